package io.ichiba.ledger.market;

import io.ichiba.ledger.Command;
import io.ichiba.ledger.Rejection;
import io.ichiba.ledger.Result;
import io.ichiba.ledger.tenant.TenantState;
import io.ichiba.pricing.PriceHistory;
import io.ichiba.pricing.Trade;

import java.io.Serializable;
import java.util.List;
import java.util.SortedMap;

/**
 * The atomic changes of the market: of a kind's {@link Book} (its single writer), of loans, and of the market
 * side of tenants (earmarks and loan shares). Each is idempotent by order id or loan id.
 */
public final class MarketCommands {
    private MarketCommands() {
    }

    // ---------------------------------------------------------------- books

    /**
     * The answer of {@link Place}.
     *
     * @param order  the order afterwards
     * @param trades the trades it made (empty if it was placed before)
     */
    public record Placed(MarketOrder order, List<Trade> trades) implements Serializable {
    }

    /**
     * Places a funded NEW order in its book (made on the kind's first order) and matches it; an order placed before
     * is answered as it is.
     */
    public record Place(MarketOrder order, long now) implements Command<Book, Placed> {
        @Override
        public Outcome<Book, Placed> apply(Book b) {
            Book book = b == null ? new Book(order.kind()) : b;
            MarketOrder existing = book.order(order.id());
            if (existing != null) {
                return Outcome.keep(new Placed(existing, List.of()));
            }
            book.register(order);
            List<Trade> trades = book.place(order, now);
            return Outcome.write(book, new Placed(book.order(order.id()), trades));
        }
    }

    /** Cancels a resting order of {@code owner}; a final one is answered as it is. */
    public record Cancel(String id, String owner, long now) implements Command<Book, Result<MarketOrder>> {
        @Override
        public Outcome<Book, Result<MarketOrder>> apply(Book b) {
            MarketOrder o = b == null ? null : b.order(id);
            if (o == null || !o.owner().equals(owner)) {
                return Outcome.keep(Result.rejected(Rejection.Code.NOT_FOUND, "no order " + id));
            }
            if (o.state().isFinal()) {
                return Outcome.keep(Result.ok(o));
            }
            return Outcome.write(b, Result.ok(b.cancel(id, now)));
        }
    }

    /** Expires the resting orders past their goodUntil; answers how many. */
    public record Expire(long now) implements Command<Book, Integer> {
        @Override
        public Outcome<Book, Integer> apply(Book b) {
            if (b == null) {
                return Outcome.keep(0);
            }
            int n = b.expire(now);
            return n == 0 ? Outcome.keep(0) : Outcome.write(b, n);
        }
    }

    /** Records that the trade of sequence {@code seq} became a loan. */
    public record Settled(long seq) implements Command<Book, Boolean> {
        @Override
        public Outcome<Book, Boolean> apply(Book b) {
            return b != null && b.settled(seq) ? Outcome.write(b, true) : Outcome.keep(false);
        }
    }

    /** Records that a final order gave back what it set aside. */
    public record Released(String id) implements Command<Book, Boolean> {
        @Override
        public Outcome<Book, Boolean> apply(Book b) {
            MarketOrder o = b == null ? null : b.order(id);
            if (o == null || !o.state().isFinal() || o.released()) {
                return Outcome.keep(false);
            }
            b.put(o.withReleased());
            return Outcome.write(b, true);
        }
    }

    /** Forgets final, released orders that ended before {@code cutoff}; answers their ids. */
    public record Purge(long cutoff) implements Command<Book, List<String>> {
        @Override
        public Outcome<Book, List<String>> apply(Book b) {
            if (b == null) {
                return Outcome.keep(List.of());
            }
            List<String> gone = b.purge(cutoff);
            return gone.isEmpty() ? Outcome.keep(gone) : Outcome.write(b, gone);
        }
    }

    /** Removes an order's reference once its book has forgotten it. */
    public record ForgetRef() implements Command<OrderRef, Boolean> {
        @Override
        public Outcome<OrderRef, Boolean> apply(OrderRef r) {
            return r == null ? Outcome.keep(false) : Outcome.write(null, true);
        }
    }

    /** Removes an ended loan that ended before {@code cutoff}. */
    public record PurgeLoan(long cutoff) implements Command<Loan, Boolean> {
        @Override
        public Outcome<Loan, Boolean> apply(Loan l) {
            if (l != null && l.state() == Loan.State.ENDED && l.endedAt() < cutoff && !l.outbox().hasPending()) {
                return Outcome.write(null, true);
            }
            return Outcome.keep(false);
        }
    }

    /** Moves the posted spot price towards {@code target}; answers the posted price. */
    public record Spot(String kind, long target, long windowMillis, long now) implements Command<Book, Long> {
        @Override
        public Outcome<Book, Long> apply(Book b) {
            Book book = b == null ? new Book(kind) : b;
            return Outcome.write(book, book.spot(target, windowMillis, now));
        }
    }

    // ---------------------------------------------------------------- book reads (change nothing)

    /** Answers one order, or {@code null}. */
    public record GetOrder(String id) implements Command<Book, MarketOrder> {
        @Override
        public Outcome<Book, MarketOrder> apply(Book b) {
            return Outcome.keep(b == null ? null : b.order(id));
        }
    }

    /** Answers the trades not yet turned into loans. */
    public record Unsettled() implements Command<Book, List<Book.Fill>> {
        @Override
        public Outcome<Book, List<Book.Fill>> apply(Book b) {
            return Outcome.keep(b == null ? List.of() : b.unsettled());
        }
    }

    /** Answers the orders that have ended and must give back what they set aside. */
    public record NeedingWork() implements Command<Book, List<MarketOrder>> {
        @Override
        public Outcome<Book, List<MarketOrder>> apply(Book b) {
            return Outcome.keep(b == null ? List.of() : b.needingWork());
        }
    }

    /** Answers the orders of {@code owner} (every owner's if {@code null}), only live ones if {@code liveOnly}. */
    public record OrdersOf(String owner, boolean liveOnly) implements Command<Book, List<MarketOrder>> {
        @Override
        public Outcome<Book, List<MarketOrder>> apply(Book b) {
            return Outcome.keep(b == null ? List.of() : b.ordersOf(owner, liveOnly));
        }
    }

    /** Answers how many of {@code owner}'s orders have not ended, without copying them. */
    public record OpenCount(String owner) implements Command<Book, Integer> {
        @Override
        public Outcome<Book, Integer> apply(Book b) {
            return Outcome.keep(b == null ? 0 : b.openOf(owner));
        }
    }

    /** Answers a snapshot of the book with {@code levels} price levels a side. */
    public record ViewOf(int levels) implements Command<Book, Book.View> {
        @Override
        public Outcome<Book, Book.View> apply(Book b) {
            return Outcome.keep(b == null ? null : b.view(levels));
        }
    }

    /** Answers the price history in buckets of {@code step} millis. */
    public record History(long from, long to, long step) implements Command<Book, List<PriceHistory.Bucket>> {
        @Override
        public Outcome<Book, List<PriceHistory.Bucket>> apply(Book b) {
            return Outcome.keep(b == null ? List.of() : b.history(from, to, step));
        }
    }

    // ---------------------------------------------------------------- loans

    /** Recalls an active loan of {@code lender}: it ends at {@code deadline} (or its term, if sooner). */
    public record Recall(String lender, long deadline) implements Command<Loan, Result<Loan>> {
        @Override
        public Outcome<Loan, Result<Loan>> apply(Loan l) {
            if (l == null || !l.lender().equals(lender)) {
                return Outcome.keep(Result.rejected(Rejection.Code.NOT_FOUND, "no loan of yours with this id"));
            }
            if (l.state() == Loan.State.RECALLING && l.recallDeadline() <= deadline) {
                return Outcome.keep(Result.ok(l));
            }
            if (l.state() != Loan.State.ACTIVE && l.state() != Loan.State.RECALLING) {
                return Outcome.keep(new Result<>(l, Rejection.of(Rejection.Code.WRONG_STATE,
                        "loan " + l.id() + " is " + l.state())));
            }
            Loan next = l.recalled(deadline);
            return Outcome.write(next, Result.ok(next));
        }
    }

    /** Begins the end of a loan that is due at {@code now}; answers the loan afterwards. */
    public record BeginEnd(long now) implements Command<Loan, Loan> {
        @Override
        public Outcome<Loan, Loan> apply(Loan l) {
            if (l == null || (l.state() != Loan.State.ACTIVE && l.state() != Loan.State.RECALLING) || l.dueAt() > now) {
                return Outcome.keep(l);
            }
            Loan next = l.ending(Math.min(now, l.dueAt()), l.state() == Loan.State.RECALLING
                    && l.recallDeadline() < l.endsAt() ? "RECALL" : "TERM");
            return Outcome.write(next, next);
        }
    }

    /** Records that claim {@code claimId} was preempted because the loan ends. */
    public record RecordPreempted(String claimId) implements Command<Loan, Loan> {
        @Override
        public Outcome<Loan, Loan> apply(Loan l) {
            if (l == null || l.preempted().contains(claimId)) {
                return Outcome.keep(l);
            }
            Loan next = l.withPreempted(claimId);
            return Outcome.write(next, next);
        }
    }

    /** Marks an ending loan settled. */
    public record FinishEnd() implements Command<Loan, Loan> {
        @Override
        public Outcome<Loan, Loan> apply(Loan l) {
            if (l == null || l.state() != Loan.State.ENDING) {
                return Outcome.keep(l);
            }
            Loan next = l.ended();
            return Outcome.write(next, next);
        }
    }

    // ---------------------------------------------------------------- tenants

    /** Earmarks {@code amount} of {@code kind} for offer {@code orderId}, if the tenant may lend it. */
    public record Earmark(String orderId, String kind, long amount) implements Command<TenantState, Rejection> {
        @Override
        public Outcome<TenantState, Rejection> apply(TenantState t) {
            if (t == null) {
                return Outcome.keep(Rejection.of(Rejection.Code.NOT_FOUND, "no such tenant"));
            }
            if (t.earmarks().containsKey(orderId)) {
                return Outcome.keep(null);
            }
            Rejection no = notLendable(t, kind, amount);
            if (no != null) {
                return Outcome.keep(no);
            }
            return Outcome.write(t.withEarmark(orderId, new TenantState.Earmark(kind, amount)), null);
        }
    }

    /** Why {@code t} may not lend {@code amount} of {@code kind} now, or {@code null} if it may. */
    public static Rejection notLendable(TenantState t, String kind, long amount) {
        long lendable = t.lendable(kind);
        if (amount <= lendable) {
            return null;
        }
        return Rejection.of(Rejection.Code.NOT_LENDABLE, "tenant " + t.id() + " may lend " + lendable + " " + kind
                + " (quota " + t.quota(kind) + ", used " + t.used(kind) + ", lent " + t.lent(kind) + ", offered "
                + t.offered(kind)
                + (t.lendingLimit().containsKey(kind) ? ", lending limit " + t.lendingLimit().get(kind) : "")
                + "); " + amount + " offered");
    }

    /** Drops what is left of an offer's earmark. */
    public record Unearmark(String orderId) implements Command<TenantState, Boolean> {
        @Override
        public Outcome<TenantState, Boolean> apply(TenantState t) {
            if (t == null || !t.earmarks().containsKey(orderId)) {
                return Outcome.keep(false);
            }
            return Outcome.write(t.withEarmark(orderId, null), true);
        }
    }

    /**
     * Adds a tenant's share of loan {@code loanId}; for the lender, the amount comes out of offer {@code offerId}'s
     * earmark. Idempotent by loan id.
     */
    public record AddShare(String loanId, String offerId, String kind, long amount, boolean lent)
            implements Command<TenantState, Boolean> {
        @Override
        public Outcome<TenantState, Boolean> apply(TenantState t) {
            if (t == null || t.loans().containsKey(loanId)) {
                return Outcome.keep(false);
            }
            TenantState next = t;
            if (lent && offerId != null) {
                TenantState.Earmark m = t.earmarks().get(offerId);
                if (m != null) {
                    long left = m.amount() - amount;
                    next = next.withEarmark(offerId, left > 0 ? new TenantState.Earmark(kind, left) : null);
                }
            }
            return Outcome.write(next.withLoan(loanId, new TenantState.LoanShare(kind, amount, lent, false)), true);
        }
    }

    /** Marks a borrower's share of an ending loan: it covers the holds it covers, and no new ones. */
    public record MarkEnding(String loanId) implements Command<TenantState, Boolean> {
        @Override
        public Outcome<TenantState, Boolean> apply(TenantState t) {
            TenantState.LoanShare s = t == null ? null : t.loans().get(loanId);
            if (s == null || s.ending()) {
                return Outcome.keep(false);
            }
            return Outcome.write(t.withLoan(loanId, new TenantState.LoanShare(s.kind(), s.amount(), s.lent(), true)),
                    true);
        }
    }

    /**
     * Removes a tenant's share of a loan. A borrower's share is removed only if what its claims hold of the kind
     * fits without it; otherwise nothing changes and the answer is by how much they exceed it (preempt, then
     * try again). Answers 0 when removed (or absent).
     */
    public record RemoveShare(String loanId) implements Command<TenantState, Long> {
        @Override
        public Outcome<TenantState, Long> apply(TenantState t) {
            TenantState.LoanShare s = t == null ? null : t.loans().get(loanId);
            if (s == null) {
                return Outcome.keep(0L);
            }
            TenantState next = t.withLoan(loanId, null);
            if (!s.lent()) {
                long excess = next.used(s.kind()) - next.entitlement(s.kind(), true);
                if (excess > 0) {
                    return Outcome.keep(excess);
                }
            }
            return Outcome.write(next, 0L);
        }
    }

    /** Sets a tenant's lending limits (kinds absent: no limit beyond its quota). */
    public record SetLendingLimit(SortedMap<String, Long> limit) implements Command<TenantState, TenantState> {
        @Override
        public Outcome<TenantState, TenantState> apply(TenantState t) {
            if (t == null) {
                return Outcome.keep(null);
            }
            TenantState next = t.withLendingLimit(limit);
            return Outcome.write(next, next);
        }
    }

    /** Sets the operator's own limits for a tenant ({@link TenantLimits}); answers the tenant, {@code null} if none. */
    public record SetTenantLimits(SortedMap<String, Long> limits) implements Command<TenantState, TenantState> {
        @Override
        public Outcome<TenantState, TenantState> apply(TenantState t) {
            if (t == null) {
                return Outcome.keep(null);
            }
            TenantState next = t.withLimits(limits);
            return Outcome.write(next, next);
        }
    }
}
