/**
 * Pricing: price curves, the order book and price history, in plain Java. The market (a later issue)
 * fills this package; the foundation only reserves its place in the dependency graph
 * ({@code broker → ledger → pricing}).
 */
package io.ichiba.pricing;
