/**
 * The market of each kind: the book and its orders ({@link io.ichiba.ledger.market.Book}, {@link
 * io.ichiba.ledger.market.MarketOrder}), the loans trades make ({@link io.ichiba.ledger.market.Loan}), their commands
 * and the market's settings.
 *
 * <p>Records and their pure transitions (commands on one key); the services over them are in {@code io.ichiba.ledger}.
 */
package io.ichiba.ledger.market;
