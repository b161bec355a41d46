package io.ichiba.ledger.credit;

import io.ichiba.ledger.Command;
import io.ichiba.ledger.Rejection;
import io.ichiba.ledger.Result;

/** The changes of one account. */
public final class MoneyCommands {
    private MoneyCommands() {
    }

    /**
     * Why {@code a} cannot take a leg of {@code amount}, or {@code null} if it can: a debit may not take the balance
     * below the account's floor, and no balance may overflow.
     */
    public static Rejection refusal(Account a, long amount) {
        long after;
        try {
            after = Math.addExact(a.balance(), amount);
        } catch (ArithmeticException e) {
            return Rejection.of(Rejection.Code.INVALID, "the balance of " + a.id() + " would overflow");
        }
        if (amount < 0 && after < a.floor()) {
            return Rejection.of(Rejection.Code.INSUFFICIENT_CREDIT, a.id() + " has " + a.balance()
                    + " available and a credit limit of " + a.creditLimit() + "; " + (-amount) + " asked");
        }
        return null;
    }

    /**
     * Applies a leg of {@code amount} to the balance, or answers why not ({@link #refusal}); the caller writes the
     * entry the leg belongs to in the same change.
     */
    public record Apply(long amount) implements Command<Account, Rejection> {
        @Override
        public Outcome<Account, Rejection> apply(Account a) {
            if (a == null) {
                return Outcome.keep(Rejection.of(Rejection.Code.NOT_FOUND, "no account for this leg"));
            }
            Rejection r = refusal(a, amount);
            return r != null ? Outcome.keep(r) : Outcome.write(a.withBalance(a.balance() + amount), null);
        }
    }

    /**
     * Sets the credit limit of an account; refused when the account's balance is already below the new floor (a
     * limit never puts an account in breach).
     */
    public record SetCreditLimit(long limit) implements Command<Account, Result<Account>> {
        @Override
        public Outcome<Account, Result<Account>> apply(Account a) {
            if (a == null) {
                return Outcome.keep(Result.rejected(Rejection.Code.NOT_FOUND, "no such account"));
            }
            if (a.balance() < -limit) {
                return Outcome.keep(Result.rejected(Rejection.Code.INSUFFICIENT_CREDIT, a.id() + " has "
                        + a.balance() + " available: a credit limit of " + limit + " would put it in breach"));
            }
            Account next = a.withCreditLimit(limit);
            return Outcome.write(next, Result.ok(next));
        }
    }
}
