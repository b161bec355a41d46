/**
 * Event handlers and price alerts: bindings, deliveries, dead letters and the cursor in the log, and the price alerts
 * with their commands.
 *
 * <p>Records and their pure transitions (commands on one key); the services over them are in {@code io.ichiba.ledger}.
 */
package io.ichiba.ledger.handler;
