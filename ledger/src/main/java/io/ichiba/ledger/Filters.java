package io.ichiba.ledger;

import io.ichiba.ledger.store.Table.Filter;

import java.util.Set;

/** Serialisable filters over the ledger's tables, evaluated where the data lives. */
public final class Filters {
    private Filters() {
    }

    /** Claims in one of {@code states}. */
    public record ClaimIn(Set<ClaimState> states) implements Filter<Claim> {
        @Override
        public boolean test(Claim c) {
            return states.contains(c.state());
        }

        @Override
        public boolean skipsSettled() {
            return states.stream().noneMatch(ClaimState::isFinal);
        }
    }

    /** Queued claims other than {@code id}. */
    public record QueuedOtherThan(String id) implements Filter<Claim> {
        @Override
        public boolean test(Claim c) {
            return c.state() == ClaimState.QUEUED && !c.id().equals(id);
        }

        @Override
        public boolean skipsSettled() {
            return true;
        }
    }

    /** Claims of {@code tenant} (any tenant if {@code null}) in {@code state} (any if {@code null}). */
    public record ClaimsOf(String tenant, ClaimState state) implements Filter<Claim> {
        @Override
        public boolean test(Claim c) {
            return (tenant == null || tenant.equals(c.tenant())) && (state == null || state == c.state().visible());
        }
    }

    /** Granted claims whose lease deadline is at or before {@code now}. */
    public record LeaseDue(long now) implements Filter<Claim> {
        @Override
        public boolean test(Claim c) {
            return c.state() == ClaimState.GRANTED && c.leaseExpiresAt() <= now;
        }

        @Override
        public boolean skipsSettled() {
            return true;
        }
    }

    /** Ended claims whose holds are not all returned yet. */
    public record ReturnsPending() implements Filter<Claim> {
        @Override
        public boolean test(Claim c) {
            return c.state().isFinal() && !c.returned();
        }

        @Override
        public boolean skipsSettled() {
            return true;
        }
    }

    /** Ended, returned claims that ended before {@code cutoff}. */
    public record Purgeable(long cutoff) implements Filter<Claim> {
        @Override
        public boolean test(Claim c) {
            return c.state().isFinal() && c.returned() && c.endedAt() < cutoff;
        }
    }

    /** Nodes whose capacity could hold {@code bundle}; a lost node's capacity is unknown, so it could. */
    public record FitsCapacity(Bundle bundle) implements Filter<NodeState> {
        @Override
        public boolean test(NodeState n) {
            return n.lost() || bundle.amounts().entrySet().stream().allMatch(e -> e.getValue() <= n.capacity(e.getKey()));
        }
    }

    /** Reservations of {@code tenant} (every tenant's if {@code null}). */
    public record ReservationsOf(String tenant) implements Filter<Reservation> {
        @Override
        public boolean test(Reservation r) {
            return tenant == null || tenant.equals(r.tenant());
        }
    }

    /** Reservations in one of {@code states}. */
    public record ReservationIn(Set<Reservation.State> states) implements Filter<Reservation> {
        @Override
        public boolean test(Reservation r) {
            return states.contains(r.state());
        }
    }

    /** Ended reservations last changed before {@code cutoff}. */
    public record PurgeableReservations(long cutoff) implements Filter<Reservation> {
        @Override
        public boolean test(Reservation r) {
            return r.state().isFinal() && r.updatedAt() < cutoff;
        }
    }

    /** Records with events waiting for the relay. */
    public record HasEvents<S extends Emits<S>>() implements Filter<S> {
        @Override
        public boolean test(S s) {
            return s.outbox().hasPending();
        }
    }

    /** Bindings of {@code owner} ({@code null}: the cluster-wide ones). */
    public record BindingsOf(String owner) implements Filter<Binding> {
        @Override
        public boolean test(Binding b) {
            return java.util.Objects.equals(owner, b.owner());
        }
    }

    /** Dead letters of one binding. */
    public record DeadLettersOf(String binding) implements Filter<DeadLetter> {
        @Override
        public boolean test(DeadLetter d) {
            return binding.equals(d.binding());
        }
    }

    /** Deliveries with a handler still to settle. */
    public record Unsettled() implements Filter<Delivery> {
        @Override
        public boolean test(Delivery d) {
            return !d.done();
        }
    }

    /** Settled deliveries made before {@code cutoff}. */
    public record SettledBefore(long cutoff) implements Filter<Delivery> {
        @Override
        public boolean test(Delivery d) {
            return d.done() && d.createdAt() < cutoff;
        }
    }

    /** Places that have at least one holder. */
    public record Held<S extends Place<S>>() implements Filter<S> {
        @Override
        public boolean test(S place) {
            return !place.holdings().holders().isEmpty();
        }
    }

    /** Nodes still counted as reporting whose last report is older than {@code staleBefore}. */
    public record StaleNode(long staleBefore) implements Filter<NodeState> {
        @Override
        public boolean test(NodeState n) {
            return !n.lost() && n.lastReportAt() < staleBefore;
        }
    }

    /** Lost nodes that still have holders. */
    public record LostWithHolders() implements Filter<NodeState> {
        @Override
        public boolean test(NodeState n) {
            return n.lost() && !n.holdings().holders().isEmpty();
        }
    }

    /** Jobs of {@code tenant} (any if {@code null}) in {@code state} (any if {@code null}). */
    public record JobsOf(String tenant, JobState state) implements Filter<Job> {
        @Override
        public boolean test(Job j) {
            return (tenant == null || tenant.equals(j.tenant())) && (state == null || state == j.state());
        }
    }

    /** Jobs a node's runner must start, watch or stop: STARTING or RUNNING there. */
    public record RunnerJobs(String node) implements Filter<Job> {
        @Override
        public boolean test(Job j) {
            return node.equals(j.node()) && ((j.state() == JobState.STARTING
                    && !JobCommands.Assign.AWAITING_HANDLERS.equals(j.reason())) || j.state() == JobState.RUNNING);
        }
    }

    /** Jobs that have not ended. */
    public record OpenJobs() implements Filter<Job> {
        @Override
        public boolean test(Job j) {
            return !j.state().isFinal();
        }
    }

    /** Ended jobs that ended before {@code cutoff}. */
    public record PurgeableJobs(long cutoff) implements Filter<Job> {
        @Override
        public boolean test(Job j) {
            return j.state().isFinal() && j.endedAt() < cutoff;
        }
    }

    /** Every value. */
    public record All<V>() implements Filter<V> {
        @Override
        public boolean test(V value) {
            return true;
        }
    }
    /** Postings not yet final whose last move is older than {@code staleBefore}. */
    public record PostingsInFlight(long staleBefore) implements Filter<Posting> {
        @Override
        public boolean test(Posting p) {
            return !p.state().isFinal() && p.updatedAt() < staleBefore;
        }
    }

    /** Final postings whose last move is older than {@code cutoff}. */
    public record PurgeablePostings(long cutoff) implements Filter<Posting> {
        @Override
        public boolean test(Posting p) {
            return p.state().isFinal() && p.updatedAt() < cutoff;
        }
    }

    /** Accounts with legs applied but not settled. */
    public record WithPendingLegs() implements Filter<Account> {
        @Override
        public boolean test(Account a) {
            return !a.pending().isEmpty();
        }
    }

    /** Journal entries with a leg on {@code account}. */
    public record Touching(String account) implements Filter<JournalEntry> {
        @Override
        public boolean test(JournalEntry e) {
            return e.touches(account);
        }
    }
    /** Loans due to end at {@code now}, or ending. */
    public record LoansDue(long now) implements Filter<Loan> {
        @Override
        public boolean test(Loan l) {
            return l.state() == Loan.State.ENDING
                    || ((l.state() == Loan.State.ACTIVE || l.state() == Loan.State.RECALLING) && l.dueAt() <= now);
        }
    }

    /** Loans a tenant lends or borrows; only live ones if {@code liveOnly}. */
    public record LoansOf(String tenant, boolean liveOnly) implements Filter<Loan> {
        @Override
        public boolean test(Loan l) {
            return (tenant == null || tenant.equals(l.lender()) || tenant.equals(l.borrower()))
                    && (!liveOnly || l.state() != Loan.State.ENDED);
        }
    }

    /** Granted claims of {@code tenant} that hold {@code kind}. */
    public record GrantedHolding(String tenant, String kind) implements Filter<Claim> {
        @Override
        public boolean test(Claim c) {
            return c.state() == ClaimState.GRANTED && c.tenant().equals(tenant) && c.bundle().amounts().containsKey(kind);
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
    public record PurgeableLoans(long cutoff) implements Filter<Loan> {
        @Override
        public boolean test(Loan l) {
            return l.state() == Loan.State.ENDED && l.endedAt() < cutoff;
        }
    }

    /** Price alerts of {@code tenant} (every tenant's if {@code null}); only live ones if {@code liveOnly}. */
    public record AlertsOf(String tenant, boolean liveOnly) implements Filter<PriceAlert> {
        @Override
        public boolean test(PriceAlert a) {
            return (tenant == null || tenant.equals(a.tenant())) && (!liveOnly || a.state() == PriceAlert.State.ACTIVE);
        }
    }

    /** Live price alerts on one of {@code kinds} (a serialisable set: the filter travels to the data). */
    public record AlertsOn(Set<String> kinds) implements Filter<PriceAlert> {
        @Override
        public boolean test(PriceAlert a) {
            return a.state() == PriceAlert.State.ACTIVE && kinds.contains(a.kind());
        }
    }

    /** Price alerts deleted before {@code cutoff}. */
    public record PurgeableAlerts(long cutoff) implements Filter<PriceAlert> {
        @Override
        public boolean test(PriceAlert a) {
            return a.state() == PriceAlert.State.DELETED && a.deletedAt() < cutoff;
        }
    }
}
