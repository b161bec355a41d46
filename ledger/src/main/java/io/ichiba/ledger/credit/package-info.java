/**
 * Credits: accounts, the journal's entries and the commands that change an account.
 *
 * <p>Records and their pure transitions (commands on one key); the services over them are in {@code io.ichiba.ledger}.
 */
package io.ichiba.ledger.credit;
