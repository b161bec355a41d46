/**
 * Jobs: the record of a command run under a claim, its states and its transitions.
 *
 * <p>Records and their pure transitions (commands on one key); the services over them are in {@code io.ichiba.ledger}.
 */
package io.ichiba.ledger.job;
