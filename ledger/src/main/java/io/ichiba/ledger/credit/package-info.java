/**
 * Credits: accounts, the journal's entries, the postings that move credits across accounts and their commands.
 *
 * <p>Records and their pure transitions (commands on one key); the services over them are in {@code io.ichiba.ledger}.
 */
package io.ichiba.ledger.credit;
