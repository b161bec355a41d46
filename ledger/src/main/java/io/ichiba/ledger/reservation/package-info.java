/**
 * Advance reservations: the record and its commands, the planner that finds a window and where its copies go, and
 * the settings.
 *
 * <p>Records and their pure transitions (commands on one key); the services over them are in {@code io.ichiba.ledger}.
 */
package io.ichiba.ledger.reservation;
