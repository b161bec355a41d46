package io.ichiba.ledger.claim;

import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.store.EndedBefore;
import io.ichiba.ledger.store.Table;
import io.ichiba.ledger.store.Table.Filter;
import io.ichiba.ledger.store.Table.Index;
import io.ichiba.ledger.store.Table.Indexed;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Filters and indexes over the claims (and the nodes a bundle fits on): the queue, a tenant's claims, leases due, what
 * a purge looks at. Serialisable, evaluated where the data lives; the engine keeps an index the first time a filter
 * asks for it.
 */
public final class ClaimFilters {
    private ClaimFilters() {
    }

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
        public static final String ANY = "*";

        @Override
        public void keys(Claim c, Consumer<String> out) {
            if (c.state() != ClaimState.QUEUED) {
                return;
            }
            if (c.mayDependOnAnything()) {
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

    /** Granted claims of {@code tenant} that hold {@code kind}. */
    public record GrantedHolding(String tenant, String kind) implements Filter<Claim> {
        @Override
        public boolean test(Claim c) {
            return c.state() == ClaimState.GRANTED && c.tenant().equals(tenant) && c.bundle().amounts().containsKey(kind);
        }
    }
}
