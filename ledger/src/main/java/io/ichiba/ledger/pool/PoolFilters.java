package io.ichiba.ledger.pool;

import io.ichiba.ledger.store.Table.Filter;

/**
 * Filters over the places that hold tokens: held, stale or lost nodes. Serialisable, evaluated where the data lives;
 * the engine keeps an index the first time a filter asks for it.
 */
public final class PoolFilters {
    private PoolFilters() {
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
}
