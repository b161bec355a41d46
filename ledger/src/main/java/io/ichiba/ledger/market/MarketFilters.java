package io.ichiba.ledger.market;

import io.ichiba.ledger.store.EndedBefore;
import io.ichiba.ledger.store.Table;
import io.ichiba.ledger.store.Table.Filter;
import io.ichiba.ledger.store.Table.Index;
import io.ichiba.ledger.store.Table.Indexed;

import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;

/**
 * Filters and indexes over the loans: a tenant's, an order's, those due to end or to purge. Serialisable, evaluated
 * where the data lives; the engine keeps an index the first time a filter asks for it.
 */
public final class MarketFilters {
    private MarketFilters() {
    }

    /** Ended loans, by the second they ended (in order). */
    public record LoansByEnd() implements Table.OrderedIndex<Loan> {
        @Override
        public void keys(Loan l, Consumer<String> out) {
            if (l.state() == Loan.State.ENDED) {
                out.accept(EndedBefore.second(l.endedAt()));
            }
        }
    }

    /** Loans not ended, by the second they are due (in order); ending ones first of all. */
    public record LoansByDue() implements Table.OrderedIndex<Loan> {
        @Override
        public void keys(Loan l, Consumer<String> out) {
            if (l.state() == Loan.State.ENDING) {
                out.accept(EndedBefore.second(0));
            } else if (l.state() == Loan.State.ACTIVE || l.state() == Loan.State.RECALLING) {
                out.accept(EndedBefore.second(l.dueAt()));
            }
        }
    }

    /** Loans by their lender and their borrower. */
    public record LoansByTenant() implements Index<Loan> {
        @Override
        public void keys(Loan l, Consumer<String> out) {
            out.accept(l.lender());
            out.accept(l.borrower());
        }
    }

    /** Loans due to end at {@code now}, or ending. */
    public record LoansDue(long now) implements Indexed<Loan> {
        @Override
        public boolean test(Loan l) {
            return l.state() == Loan.State.ENDING
                    || ((l.state() == Loan.State.ACTIVE || l.state() == Loan.State.RECALLING) && l.dueAt() <= now);
        }

        @Override
        public Index<Loan> index() {
            return new LoansByDue();
        }

        @Override
        public Collection<String> indexKeys() {
            return List.of();
        }

        @Override
        public String below() {
            return Table.OrderedIndex.key(Math.max(0, Math.floorDiv(now, 1000) + 1)); // due within the second, or before
        }
    }

    /** Loans a tenant lends or borrows; only live ones if {@code liveOnly}. */
    public record LoansOf(String tenant, boolean liveOnly) implements Indexed<Loan> {
        @Override
        public boolean test(Loan l) {
            return (tenant == null || tenant.equals(l.lender()) || tenant.equals(l.borrower()))
                    && (!liveOnly || l.state() != Loan.State.ENDED);
        }

        @Override
        public Index<Loan> index() {
            return tenant == null ? null : new LoansByTenant();
        }

        @Override
        public Collection<String> indexKeys() {
            return tenant == null ? List.of() : List.of(tenant);
        }
    }

    /** Loans made by fills of order {@code orderId} (as bid or offer). */
    public record LoansOfOrder(String orderId) implements Filter<Loan> {
        @Override
        public boolean test(Loan l) {
            return orderId.equals(l.bidId()) || orderId.equals(l.offerId());
        }
    }

    /** Loans that ended before {@code cutoff}. */
    public record PurgeableLoans(long cutoff) implements EndedBefore<Loan> {
        @Override
        public boolean test(Loan l) {
            return l.state() == Loan.State.ENDED && l.endedAt() < cutoff;
        }

        @Override
        public Index<Loan> index() {
            return new LoansByEnd();
        }
    }
}
