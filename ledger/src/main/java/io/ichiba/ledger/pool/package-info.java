/**
 * Capacity and its holders: a node's pools ({@link io.ichiba.ledger.pool.NodeState}), a lock's permits
 * ({@link io.ichiba.ledger.pool.LockState}), the holds and bookings every place keeps ({@link
 * io.ichiba.ledger.pool.Holdings}, {@link io.ichiba.ledger.pool.Timeline}), the commands that change them
 * ({@link io.ichiba.ledger.pool.PlaceCommands}), the operator's kinds and the agents that report nodes.
 *
 * <p>Records and their pure transitions (commands on one key); the services over them are in {@code io.ichiba.ledger}.
 */
package io.ichiba.ledger.pool;
