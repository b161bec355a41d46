/**
 * Delivery of events to handlers: the {@link io.ichiba.broker.handlers.HandlerDispatcher} makes the webhook and
 * event-bus calls; the bookkeeping (bindings, deliveries, ack policies, retries, dead letters) lives in the ledger
 * ({@code io.ichiba.ledger.Handlers}).
 */
package io.ichiba.broker.handlers;
