package io.ichiba.ledger.job;

import io.ichiba.ledger.store.EndedBefore;
import io.ichiba.ledger.store.Table;
import io.ichiba.ledger.store.Table.Filter;
import io.ichiba.ledger.store.Table.Index;
import io.ichiba.ledger.store.Table.Indexed;

import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;

/**
 * Filters and indexes over the jobs: a tenant's, a runner's, those waiting for handlers, those a purge looks at.
 * Serialisable, evaluated where the data lives; the engine keeps an index the first time a filter asks for it.
 */
public final class JobFilters {
    private JobFilters() {
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
}
