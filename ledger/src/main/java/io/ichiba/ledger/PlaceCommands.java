package io.ichiba.ledger;

import java.util.SortedMap;

/** The commands that change a {@link Place}: hold tokens for a claim, return them, report, create. */
public final class PlaceCommands {
    private PlaceCommands() {
    }

    /**
     * Holds {@code amounts} for a claim's grant attempt, if they fit; returns {@code null} when held, else why not.
     * Holding again for the same claim replaces its hold (idempotent).
     */
    public record HoldFor<S extends Place<S>>(String claimId, long attempt, SortedMap<String, Long> amounts,
                                               String missing) implements Command<S, Rejection> {
        @Override
        public Outcome<S, Rejection> apply(S place) {
            if (place == null) {
                return Outcome.keep(Rejection.of(Rejection.Code.NOT_FOUND, missing));
            }
            Hold existing = place.holdings().holders().get(claimId);
            if (existing != null && existing.attempt() == attempt && existing.amounts().equals(amounts)) {
                return Outcome.keep(null);
            }
            Rejection r = place.checkHold(claimId, amounts);
            if (r != null) {
                return Outcome.keep(r);
            }
            return Outcome.write(place.withHoldings(place.holdings().with(claimId, new Hold(attempt, amounts))), null);
        }
    }

    /**
     * Returns a claim's hold (placed by {@code attempt}, or any attempt); returns whether anything was returned.
     * Returning twice returns nothing the second time (law 3).
     */
    public record ReturnFor<S extends Place<S>>(String claimId, long attempt) implements Command<S, Boolean> {
        @Override
        public Outcome<S, Boolean> apply(S place) {
            if (place == null) {
                return Outcome.keep(false);
            }
            Holdings after = place.holdings().without(claimId, attempt);
            if (after == place.holdings()) {
                return Outcome.keep(false);
            }
            return Outcome.write(place.withHoldings(after), true);
        }
    }

    /** Creates the value if the key is absent; answers the value that is stored afterwards. */
    public record CreateIfAbsent<S>(S value) implements Command<S, S> {
        @Override
        public Outcome<S, S> apply(S current) {
            return current == null ? Outcome.write(value, value) : Outcome.keep(current);
        }
    }

    /**
     * Creates the value if the key is absent; answers whether it did. Unlike comparing the stored value with the
     * one sent by identity, the answer survives a store that serialises commands and results (Hazelcast).
     */
    public record CreateNew<S>(S value) implements Command<S, Boolean> {
        @Override
        public Outcome<S, Boolean> apply(S current) {
            return current == null ? Outcome.write(value, Boolean.TRUE) : Outcome.keep(Boolean.FALSE);
        }
    }

    /** Marks a node lost if its last report is older than {@code staleBefore}; answers the node if it was marked. */
    public record MarkLost(long staleBefore, long now) implements Command<NodeState, NodeState> {
        @Override
        public Outcome<NodeState, NodeState> apply(NodeState n) {
            if (n == null || n.lost() || n.lastReportAt() >= staleBefore) {
                return Outcome.keep(null);
            }
            NodeState lost = n.markLost(now);
            return Outcome.write(lost, lost);
        }
    }

    /** Applies an agent's report to its node, creating the node on its first report; answers the node. */
    public record Report(String node, SortedMap<String, Long> allocatable, SortedMap<String, Long> free, long now)
            implements Command<NodeState, NodeState> {
        @Override
        public Outcome<NodeState, NodeState> apply(NodeState current) {
            NodeState base = current != null ? current
                    : new NodeState(node, Amounts.none(), Amounts.none(), now, Holdings.empty());
            NodeState next = base.report(allocatable, free, now);
            return Outcome.write(next, next);
        }
    }
}
