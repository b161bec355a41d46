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
    }

    /** Ended claims whose holds are not all returned yet. */
    public record ReturnsPending() implements Filter<Claim> {
        @Override
        public boolean test(Claim c) {
            return c.state().isFinal() && !c.returned();
        }
    }

    /** Ended, returned claims that ended before {@code cutoff}. */
    public record Purgeable(long cutoff) implements Filter<Claim> {
        @Override
        public boolean test(Claim c) {
            return c.state().isFinal() && c.returned() && c.endedAt() < cutoff;
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
            return node.equals(j.node()) && (j.state() == JobState.STARTING || j.state() == JobState.RUNNING);
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
}
