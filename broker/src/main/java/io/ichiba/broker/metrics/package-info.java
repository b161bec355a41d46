/**
 * Ichiba's own meters ({@code ichiba_}), one class per capability: pools and nodes, claims and admission, credits,
 * the market, reservations, events and handlers. {@link io.ichiba.broker.BrokerMetrics} makes them and refreshes
 * their gauges.
 */
package io.ichiba.broker.metrics;
