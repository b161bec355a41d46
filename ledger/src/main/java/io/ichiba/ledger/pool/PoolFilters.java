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

    /**
     * Nodes by what they have free of some kinds (issue 13, placement by free amount): each node that has a capacity
     * of every one of {@link #kinds} is filed under the sum of what it has free of them ({@link NodeState#free}), then
     * its id ({@link #key}). A claim's best fit — the node left with the least free of the bundle's kinds, then the
     * smaller id — is then the first node from the sum it asks on that fits: a walk of the index in order
     * ({@link io.ichiba.ledger.store.Table#first}), not of every node. The engine keeps one per set of kinds asked.
     *
     * @param kinds the kinds summed, in order
     */
    public record FreeOf(java.util.List<String> kinds) implements io.ichiba.ledger.store.Table.OrderedIndex<NodeState> {
        @Override
        public void keys(NodeState n, java.util.function.Consumer<String> out) {
            long sum = 0;
            for (String kind : kinds) {
                if (n.capacity(kind) <= 0) {
                    return; // can fit no ask of it
                }
                long more = sum + n.free(kind);
                sum = more < 0 ? Long.MAX_VALUE : more; // past any ask
            }
            out.accept(key(sum, n.node()));
        }

        /** The index key of a node with {@code free} of the kinds: in order of the amount, then of the id. */
        public static String key(long free, String node) {
            return io.ichiba.ledger.store.Table.OrderedIndex.key(free) + "/" + node;
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
