package io.ichiba.ledger;

import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.credit.Account;
import io.ichiba.ledger.credit.JournalEntry;
import io.ichiba.ledger.credit.Posting;
import io.ichiba.ledger.handler.Binding;
import io.ichiba.ledger.handler.DeadLetter;
import io.ichiba.ledger.handler.Delivery;
import io.ichiba.ledger.handler.PriceAlert;
import io.ichiba.ledger.job.Job;
import io.ichiba.ledger.job.JobCommands;
import io.ichiba.ledger.job.JobState;
import io.ichiba.ledger.market.Loan;
import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.pool.Place;
import io.ichiba.ledger.reservation.Reservation;
import io.ichiba.ledger.store.Table;
import io.ichiba.ledger.store.Table.Filter;
import io.ichiba.ledger.store.Table.Index;
import io.ichiba.ledger.store.Table.Indexed;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Serialisable filters over the ledger's tables, evaluated where the data lives, and the indexes that narrow them:
 * the engine's store keeps an index the first time a filter asks for it, so that a tenant's claims, a queue, a
 * statement, a node's jobs are found among their own records, not by testing every record of the table.
 */
public final class Filters {
    private Filters() {
    }

    // ---------------------------------------------------------------- indexes

    /** Claims by state ({@code QUEUED}, {@code GRANTED}, ...), and queued claims no pass has looked at yet. */
    public record ClaimsByState() implements Index<Claim> {
        /** The key of queued claims not yet considered by the admission. */
        static final String UNSEEN = "QUEUED/unseen";

        @Override
        public void keys(Claim c, Consumer<String> out) {
            out.accept(c.state().name());
            if (c.state() == ClaimState.QUEUED && !c.considered()) {
                out.accept(UNSEEN);
            }
        }
    }

    /** Ended claims whose tokens are back, by the second they ended (in order): what a purge looks at. */
    public record ClaimsByEnd() implements Table.OrderedIndex<Claim> {
        @Override
        public void keys(Claim c, Consumer<String> out) {
            if (c.state().isFinal() && c.returned()) {
                out.accept(Table.OrderedIndex.key(c.endedAt() / 1000));
            }
        }
    }

    /** Ended jobs, by the second they ended (in order). */
    public record JobsByEnd() implements Table.OrderedIndex<Job> {
        @Override
        public void keys(Job j, Consumer<String> out) {
            if (j.state().isFinal()) {
                out.accept(Table.OrderedIndex.key(j.endedAt() / 1000));
            }
        }
    }

    /** The key below which everything filed by a {@code ...ByEnd} index ended before {@code cutoff} (or may have). */
    static String endedBefore(long cutoff) {
        return Table.OrderedIndex.key(Math.max(0, Math.floorDiv(cutoff - 1, 1000) + 1));
    }

    /**
     * The records a {@code ...ByEnd} index files before {@code cutoff}: a purge looks only below the cutoff's second
     * ({@link #endedBefore}), and tests those.
     *
     * @param <V> the record
     */
    interface EndedBefore<V> extends Indexed<V> {
        /** Epoch millis: what ended before it passes. */
        long cutoff();

        @Override
        default Collection<String> indexKeys() {
            return List.of();
        }

        @Override
        default String below() {
            return endedBefore(cutoff());
        }
    }

    /** The key of epoch millis {@code at} in a {@code ...ByEnd} index: its second. */
    static String second(long at) {
        return Table.OrderedIndex.key(Math.max(0, at / 1000));
    }

    /** Final postings, by the second of their last move (in order). */
    public record PostingsByEnd() implements Table.OrderedIndex<Posting> {
        @Override
        public void keys(Posting p, Consumer<String> out) {
            if (p.state().isFinal()) {
                out.accept(second(p.updatedAt()));
            }
        }
    }

    /** Ended loans, by the second they ended (in order). */
    public record LoansByEnd() implements Table.OrderedIndex<Loan> {
        @Override
        public void keys(Loan l, Consumer<String> out) {
            if (l.state() == Loan.State.ENDED) {
                out.accept(second(l.endedAt()));
            }
        }
    }

    /** Loans not ended, by the second they are due (in order); ending ones first of all. */
    public record LoansByDue() implements Table.OrderedIndex<Loan> {
        @Override
        public void keys(Loan l, Consumer<String> out) {
            if (l.state() == Loan.State.ENDING) {
                out.accept(second(0));
            } else if (l.state() == Loan.State.ACTIVE || l.state() == Loan.State.RECALLING) {
                out.accept(second(l.dueAt()));
            }
        }
    }

    /** Deleted price alerts, by the second they were deleted (in order). */
    public record AlertsByEnd() implements Table.OrderedIndex<PriceAlert> {
        @Override
        public void keys(PriceAlert a, Consumer<String> out) {
            if (a.state() == PriceAlert.State.DELETED) {
                out.accept(second(a.deletedAt()));
            }
        }
    }

    /** Ended reservations, by the second of their last change (in order). */
    public record ReservationsByEnd() implements Table.OrderedIndex<Reservation> {
        @Override
        public void keys(Reservation r, Consumer<String> out) {
            if (r.state().isFinal()) {
                out.accept(second(r.updatedAt()));
            }
        }
    }

    /** Deliveries every handler settled, by the second they were made (in order). */
    public record DeliveriesByEnd() implements Table.OrderedIndex<Delivery> {
        @Override
        public void keys(Delivery d, Consumer<String> out) {
            if (d.done()) {
                out.accept(second(d.createdAt()));
            }
        }
    }

    /** Reservations by state. */
    public record ReservationsByState() implements Index<Reservation> {
        @Override
        public void keys(Reservation r, Consumer<String> out) {
            out.accept(r.state().name());
        }
    }

    /** Claims by tenant: under {@code tenant}, {@code tenant/STATE} and, until it ends, {@code tenant/live}. */
    public record ClaimsByTenant() implements Index<Claim> {
        @Override
        public void keys(Claim c, Consumer<String> out) {
            out.accept(c.tenant());
            out.accept(c.tenant() + "/" + c.state());
            if (!c.state().isFinal()) {
                out.accept(c.tenant() + "/live");
            }
        }
    }

    /** Jobs by tenant: under {@code tenant}, {@code tenant/STATE} and, until it ends, {@code tenant/open}. */
    public record JobsByTenant() implements Index<Job> {
        @Override
        public void keys(Job j, Consumer<String> out) {
            out.accept(j.tenant());
            out.accept(j.tenant() + "/" + j.state());
            if (!j.state().isFinal()) {
                out.accept(j.tenant() + "/open");
            }
        }
    }

    /** Jobs not ended, by the node they were assigned to. */
    public record OpenJobsByNode() implements Index<Job> {
        @Override
        public void keys(Job j, Consumer<String> out) {
            if (j.node() != null && !j.state().isFinal()) {
                out.accept(j.node());
            }
        }
    }

    /** Reservations by tenant: under {@code tenant} and, until it ends, {@code tenant/live}. */
    public record ReservationsByTenant() implements Index<Reservation> {
        @Override
        public void keys(Reservation r, Consumer<String> out) {
            out.accept(r.tenant());
            if (!r.state().isFinal()) {
                out.accept(r.tenant() + "/live");
            }
        }
    }

    /** Journal entries by each account they have a leg on: a statement reads its own account's entries. */
    public record EntriesByAccount() implements Index<JournalEntry> {
        @Override
        public void keys(JournalEntry e, Consumer<String> out) {
            for (JournalEntry.Leg l : e.legs()) {
                out.accept(l.account());
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

    /** Price alerts by tenant. */
    public record AlertsByTenant() implements Index<PriceAlert> {
        @Override
        public void keys(PriceAlert a, Consumer<String> out) {
            out.accept(a.tenant());
        }
    }

    // ---------------------------------------------------------------- filters

    /** Claims in one of {@code states}. */
    public record ClaimIn(Set<ClaimState> states) implements Indexed<Claim> {
        @Override
        public boolean test(Claim c) {
            return states.contains(c.state());
        }

        @Override
        public Index<Claim> index() {
            return new ClaimsByState();
        }

        @Override
        public Collection<String> indexKeys() {
            return states.stream().map(ClaimState::name).toList();
        }

        @Override
        public boolean exact() {
            return true;
        }

        @Override
        public boolean skipsSettled() {
            return states.stream().noneMatch(ClaimState::isFinal);
        }
    }

    /**
     * Queued claims by what a change must touch for them to fit where they did not: {@code t:tenant} and
     * {@code n:node} ({@code n:*} when any node will do) for a node-local bundle, {@code l:lock} for each lock;
     * {@code *} for a claim that buys, is urgent or is a reservation's copy (it may depend on anything). What a partial
     * admission pass looks at ({@link Admission#pass}).
     */
    public record QueuedByNeed() implements Index<Claim> {
        /** The key of the claims that may depend on any change. */
        static final String ANY = "*";

        @Override
        public void keys(Claim c, Consumer<String> out) {
            if (c.state() != ClaimState.QUEUED) {
                return;
            }
            if (Admission.mayDependOnAnything(c)) {
                out.accept(ANY);
                return;
            }
            for (String lock : c.bundle().locks()) {
                out.accept("l:" + lock);
            }
            if (c.bundle().nodeLocal()) {
                out.accept("t:" + c.tenant());
                out.accept("n:" + (c.requestedNode() == null ? "*" : c.requestedNode()));
            }
        }
    }

    /** Queued claims filed by {@link QueuedByNeed} under one of {@code needs}. */
    public record QueuedNeeding(Set<String> needs) implements Indexed<Claim> {
        @Override
        public boolean test(Claim c) {
            boolean[] found = {false};
            new QueuedByNeed().keys(c, k -> found[0] |= needs.contains(k));
            return found[0];
        }

        @Override
        public Index<Claim> index() {
            return new QueuedByNeed();
        }

        @Override
        public Collection<String> indexKeys() {
            return needs;
        }

        @Override
        public boolean exact() {
            return true;
        }

        @Override
        public boolean skipsSettled() {
            return true;
        }
    }

    /** Queued claims other than {@code id}. */
    public record QueuedOtherThan(String id) implements Indexed<Claim> {
        @Override
        public boolean test(Claim c) {
            return c.state() == ClaimState.QUEUED && !c.id().equals(id);
        }

        @Override
        public Index<Claim> index() {
            return new ClaimsByState();
        }

        @Override
        public Collection<String> indexKeys() {
            return List.of(ClaimState.QUEUED.name());
        }

        @Override
        public boolean skipsSettled() {
            return true;
        }
    }

    /** Claims of {@code tenant} (any tenant if {@code null}) in {@code state} (any if {@code null}). */
    public record ClaimsOf(String tenant, ClaimState state) implements Indexed<Claim> {
        @Override
        public boolean test(Claim c) {
            return (tenant == null || tenant.equals(c.tenant())) && (state == null || state == c.state());
        }

        @Override
        public Index<Claim> index() {
            return tenant != null ? new ClaimsByTenant() : state != null ? new ClaimsByState() : null;
        }

        @Override
        public Collection<String> indexKeys() {
            if (tenant != null) {
                return List.of(state == null ? tenant : tenant + "/" + state);
            }
            return state == null ? List.of() : List.of(state.name());
        }

        @Override
        public boolean exact() {
            return true;
        }
    }

    /** Queued claims the admission has not looked at yet (not {@link Claim#considered}). */
    public record UnseenQueued() implements Indexed<Claim> {
        @Override
        public boolean test(Claim c) {
            return c.state() == ClaimState.QUEUED && !c.considered();
        }

        @Override
        public Index<Claim> index() {
            return new ClaimsByState();
        }

        @Override
        public Collection<String> indexKeys() {
            return List.of(ClaimsByState.UNSEEN);
        }

        @Override
        public boolean exact() {
            return true;
        }

        @Override
        public boolean skipsSettled() {
            return true;
        }
    }

    /** Claims of {@code tenant} not ended: queued or granted. */
    public record LiveClaimsOf(String tenant) implements Indexed<Claim> {
        @Override
        public boolean test(Claim c) {
            return tenant.equals(c.tenant()) && !c.state().isFinal();
        }

        @Override
        public Index<Claim> index() {
            return new ClaimsByTenant();
        }

        @Override
        public Collection<String> indexKeys() {
            return List.of(tenant + "/live");
        }

        @Override
        public boolean exact() {
            return true;
        }

        @Override
        public boolean skipsSettled() {
            return true;
        }
    }

    /** Granted claims whose lease deadline is at or before {@code now}. */
    public record LeaseDue(long now) implements Indexed<Claim> {
        @Override
        public boolean test(Claim c) {
            return c.state() == ClaimState.GRANTED && c.leaseExpiresAt() <= now;
        }

        @Override
        public Index<Claim> index() {
            return new ClaimsByState();
        }

        @Override
        public Collection<String> indexKeys() {
            return List.of(ClaimState.GRANTED.name());
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
    public record Purgeable(long cutoff) implements EndedBefore<Claim> {
        @Override
        public boolean test(Claim c) {
            return c.state().isFinal() && c.returned() && c.endedAt() < cutoff;
        }

        @Override
        public Index<Claim> index() {
            return new ClaimsByEnd();
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
    public record ReservationsOf(String tenant) implements Indexed<Reservation> {
        @Override
        public boolean test(Reservation r) {
            return tenant == null || tenant.equals(r.tenant());
        }

        @Override
        public Index<Reservation> index() {
            return tenant == null ? null : new ReservationsByTenant();
        }

        @Override
        public Collection<String> indexKeys() {
            return tenant == null ? List.of() : List.of(tenant);
        }

        @Override
        public boolean exact() {
            return true;
        }
    }

    /** Reservations of {@code tenant} not ended: booked or active. */
    public record LiveReservationsOf(String tenant) implements Indexed<Reservation> {
        @Override
        public boolean test(Reservation r) {
            return tenant.equals(r.tenant()) && !r.state().isFinal();
        }

        @Override
        public Index<Reservation> index() {
            return new ReservationsByTenant();
        }

        @Override
        public Collection<String> indexKeys() {
            return List.of(tenant + "/live");
        }

        @Override
        public boolean exact() {
            return true;
        }
    }

    /** Reservations in one of {@code states}. */
    public record ReservationIn(Set<Reservation.State> states) implements Indexed<Reservation> {
        @Override
        public boolean test(Reservation r) {
            return states.contains(r.state());
        }

        @Override
        public Index<Reservation> index() {
            return new ReservationsByState();
        }

        @Override
        public Collection<String> indexKeys() {
            return states.stream().map(Reservation.State::name).toList();
        }

        @Override
        public boolean exact() {
            return true;
        }
    }

    /** Ended reservations last changed before {@code cutoff}. */
    public record PurgeableReservations(long cutoff) implements EndedBefore<Reservation> {
        @Override
        public boolean test(Reservation r) {
            return r.state().isFinal() && r.updatedAt() < cutoff;
        }

        @Override
        public Index<Reservation> index() {
            return new ReservationsByEnd();
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
    public record SettledBefore(long cutoff) implements EndedBefore<Delivery> {
        @Override
        public boolean test(Delivery d) {
            return d.done() && d.createdAt() < cutoff;
        }

        @Override
        public Index<Delivery> index() {
            return new DeliveriesByEnd();
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
    public record JobsOf(String tenant, JobState state) implements Indexed<Job> {
        @Override
        public boolean test(Job j) {
            return (tenant == null || tenant.equals(j.tenant())) && (state == null || state == j.state());
        }

        @Override
        public Index<Job> index() {
            return tenant == null ? null : new JobsByTenant();
        }

        @Override
        public Collection<String> indexKeys() {
            return tenant == null ? List.of() : List.of(state == null ? tenant : tenant + "/" + state);
        }

        @Override
        public boolean exact() {
            return true;
        }
    }

    /** Jobs of {@code tenant} not ended. */
    public record OpenJobsOf(String tenant) implements Indexed<Job> {
        @Override
        public boolean test(Job j) {
            return tenant.equals(j.tenant()) && !j.state().isFinal();
        }

        @Override
        public Index<Job> index() {
            return new JobsByTenant();
        }

        @Override
        public Collection<String> indexKeys() {
            return List.of(tenant + "/open");
        }

        @Override
        public boolean exact() {
            return true;
        }
    }

    /** Jobs granted and held back until their tenant's {@code claim.granted} handlers answer. */
    public record AwaitingHandlers() implements Indexed<Job> {
        @Override
        public boolean test(Job j) {
            return awaiting(j);
        }

        @Override
        public Index<Job> index() {
            return new JobsAwaitingHandlers();
        }

        @Override
        public Collection<String> indexKeys() {
            return List.of(AWAITING);
        }

        @Override
        public boolean exact() {
            return true;
        }
    }

    private static final String AWAITING = "awaiting";

    private static boolean awaiting(Job j) {
        return j.state() == JobState.STARTING && JobCommands.Assign.AWAITING_HANDLERS.equals(j.reason());
    }

    /** The jobs held back for their handlers' answer, under one key (usually none). */
    public record JobsAwaitingHandlers() implements Index<Job> {
        @Override
        public void keys(Job j, Consumer<String> out) {
            if (awaiting(j)) {
                out.accept(AWAITING);
            }
        }
    }

    /** Jobs a node's runner must start, watch or stop: STARTING or RUNNING there. */
    public record RunnerJobs(String node) implements Indexed<Job> {
        @Override
        public boolean test(Job j) {
            return node.equals(j.node()) && ((j.state() == JobState.STARTING
                    && !JobCommands.Assign.AWAITING_HANDLERS.equals(j.reason())) || j.state() == JobState.RUNNING);
        }

        @Override
        public Index<Job> index() {
            return new OpenJobsByNode();
        }

        @Override
        public Collection<String> indexKeys() {
            return List.of(node);
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
    public record PurgeableJobs(long cutoff) implements EndedBefore<Job> {
        @Override
        public boolean test(Job j) {
            return j.state().isFinal() && j.endedAt() < cutoff;
        }

        @Override
        public Index<Job> index() {
            return new JobsByEnd();
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
    public record PurgeablePostings(long cutoff) implements EndedBefore<Posting> {
        @Override
        public boolean test(Posting p) {
            return p.state().isFinal() && p.updatedAt() < cutoff;
        }

        @Override
        public Index<Posting> index() {
            return new PostingsByEnd();
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
    public record Touching(String account) implements Indexed<JournalEntry> {
        @Override
        public boolean test(JournalEntry e) {
            return e.touches(account);
        }

        @Override
        public Index<JournalEntry> index() {
            return new EntriesByAccount();
        }

        @Override
        public Collection<String> indexKeys() {
            return List.of(account);
        }

        @Override
        public boolean exact() {
            return true;
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

    /** Price alerts of {@code tenant} (every tenant's if {@code null}); only live ones if {@code liveOnly}. */
    public record AlertsOf(String tenant, boolean liveOnly) implements Indexed<PriceAlert> {
        @Override
        public boolean test(PriceAlert a) {
            return (tenant == null || tenant.equals(a.tenant())) && (!liveOnly || a.state() == PriceAlert.State.ACTIVE);
        }

        @Override
        public Index<PriceAlert> index() {
            return tenant == null ? null : new AlertsByTenant();
        }

        @Override
        public Collection<String> indexKeys() {
            return tenant == null ? List.of() : List.of(tenant);
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
    public record PurgeableAlerts(long cutoff) implements EndedBefore<PriceAlert> {
        @Override
        public boolean test(PriceAlert a) {
            return a.state() == PriceAlert.State.DELETED && a.deletedAt() < cutoff;
        }

        @Override
        public Index<PriceAlert> index() {
            return new AlertsByEnd();
        }
    }
}
