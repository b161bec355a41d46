package io.ichiba.ledger.credit;

import io.ichiba.ledger.Command;
import io.ichiba.ledger.Rejection;
import io.ichiba.ledger.Result;

import java.util.Set;
import java.util.TreeMap;

/** The atomic changes of accounts and postings, each on one key. */
public final class MoneyCommands {
    private MoneyCommands() {
    }

    /**
     * Applies one leg of entry {@code entryId} as pending: a debit is refused when it would take the account's
     * available balance below its floor. Applying the same entry again changes nothing.
     */
    public record Apply(String entryId, long amount) implements Command<Account, Rejection> {
        @Override
        public Outcome<Account, Rejection> apply(Account a) {
            if (a == null) {
                return Outcome.keep(Rejection.of(Rejection.Code.NOT_FOUND, "no account for this leg"));
            }
            if (a.pending().containsKey(entryId)) {
                return Outcome.keep(null);
            }
            try {
                // whichever of the pending legs settle and whichever are undone, the balance must fit a long
                Math.addExact(a.ceiling(), Math.max(amount, 0));
                Math.addExact(a.available(), Math.min(amount, 0));
                if (amount < 0 && Math.addExact(a.available(), amount) < a.floor()) {
                    return Outcome.keep(Rejection.of(Rejection.Code.INSUFFICIENT_CREDIT, a.id() + " has "
                            + a.available() + " available and a credit limit of " + a.creditLimit() + "; "
                            + (-amount) + " asked"));
                }
            } catch (ArithmeticException e) {
                return Outcome.keep(Rejection.of(Rejection.Code.INVALID, "the balance of " + a.id() + " would overflow"));
            }
            TreeMap<String, Long> p = new TreeMap<>(a.pending());
            p.put(entryId, amount);
            return Outcome.write(a.with(a.balance(), p), null);
        }
    }

    /** Settles the pending leg of {@code entryId} into the balance; idempotent. */
    public record Settle(String entryId) implements Command<Account, Boolean> {
        @Override
        public Outcome<Account, Boolean> apply(Account a) {
            if (a == null || !a.pending().containsKey(entryId)) {
                return Outcome.keep(false);
            }
            TreeMap<String, Long> p = new TreeMap<>(a.pending());
            long v = p.remove(entryId);
            return Outcome.write(a.with(Math.addExact(a.balance(), v), p), true);
        }
    }

    /** Drops the pending leg of {@code entryId}: nothing of it takes effect; idempotent. */
    public record Undo(String entryId) implements Command<Account, Boolean> {
        @Override
        public Outcome<Account, Boolean> apply(Account a) {
            if (a == null || !a.pending().containsKey(entryId)) {
                return Outcome.keep(false);
            }
            TreeMap<String, Long> p = new TreeMap<>(a.pending());
            p.remove(entryId);
            return Outcome.write(a.with(a.balance(), p), true);
        }
    }

    /**
     * Sets the credit limit of an account; refused when the account's available balance is already below the new
     * floor (a limit never puts an account in breach).
     */
    public record SetCreditLimit(long limit) implements Command<Account, Result<Account>> {
        @Override
        public Outcome<Account, Result<Account>> apply(Account a) {
            if (a == null) {
                return Outcome.keep(Result.rejected(Rejection.Code.NOT_FOUND, "no such account"));
            }
            if (a.available() < -limit) {
                return Outcome.keep(Result.rejected(Rejection.Code.INSUFFICIENT_CREDIT, a.id() + " has "
                        + a.available() + " available: a credit limit of " + limit + " would put it in breach"));
            }
            Account next = a.withCreditLimit(limit);
            return Outcome.write(next, Result.ok(next));
        }
    }

    /** Moves a posting from one of {@code from} to {@code to}; answers the posting afterwards and whether it moved. */
    public record Move(Set<Posting.State> from, Posting.State to, Rejection why, long now)
            implements Command<Posting, Moved> {
        @Override
        public Outcome<Posting, Moved> apply(Posting p) {
            if (p == null) {
                return Outcome.keep(new Moved(null, false));
            }
            if (!from.contains(p.state())) {
                return Outcome.keep(new Moved(p, false));
            }
            Posting next = p.moved(to, why, now);
            return Outcome.write(next, new Moved(next, true));
        }
    }

    /**
     * The answer of {@link Move}.
     *
     * @param posting the posting afterwards ({@code null} if there is none)
     * @param moved   whether this command moved it
     */
    public record Moved(Posting posting, boolean moved) implements java.io.Serializable {
    }

    /** Removes a final posting older than {@code cutoff}. */
    public record PurgePosting(long cutoff) implements Command<Posting, Boolean> {
        @Override
        public Outcome<Posting, Boolean> apply(Posting p) {
            if (p != null && p.state().isFinal() && p.updatedAt() < cutoff) {
                return Outcome.write(null, true);
            }
            return Outcome.keep(false);
        }
    }
}
