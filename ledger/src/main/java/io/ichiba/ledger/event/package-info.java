/**
 * What happened, as the event log keeps it: an {@link io.ichiba.ledger.event.Event}, the outbox a record keeps its
 * events in until the engine takes them ({@link io.ichiba.ledger.event.Outbox}), and what a record that emits events
 * has ({@link io.ichiba.ledger.event.Emits}).
 *
 * <p>Records and their pure transitions (commands on one key); the services over them are in {@code io.ichiba.ledger}.
 */
package io.ichiba.ledger.event;
