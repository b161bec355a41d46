package io.ichiba.ledger;

import java.util.SortedMap;
import java.util.TreeMap;

/**
 * All the node-local pools of one node, under one key so that a node-local bundle is one atomic change.
 *
 * <p>Capacity per kind comes from the agent's last report; granted amounts are derived from the holders.
 * A pool whose holders exceed its capacity (the agent reported less than was granted) is
 * <em>over-committed</em>: no grant is forgotten, and the pool grants nothing until releases bring it
 * back under capacity (law 1).
 *
 * @param node         node id
 * @param capacity     kind to allocatable amount (MiB)
 * @param measuredFree kind to the free amount the agent measured
 * @param lastReportAt epoch millis of the last report (the heartbeat)
 * @param holdings     the holders of this node's pools
 */
public record NodeState(String node, SortedMap<String, Long> capacity, SortedMap<String, Long> measuredFree,
                        long lastReportAt, Holdings holdings) implements Place<NodeState> {

    /** Normalises the maps. */
    public NodeState {
        capacity = Amounts.of(capacity);
        measuredFree = Amounts.of(measuredFree);
        holdings = holdings == null ? Holdings.empty() : holdings;
    }

    /** Returns the pool id of {@code kind} on {@code node}, e.g. {@code memory@node-1}. */
    public static String poolId(String kind, String node) {
        return kind + "@" + node;
    }

    /** Returns the capacity of {@code kind}. */
    public long capacity(String kind) {
        return Amounts.get(capacity, kind);
    }

    /** Returns the amount of {@code kind} held. */
    public long granted(String kind) {
        return holdings.granted(kind);
    }

    /** Returns the capacity of {@code kind} not held, never negative. */
    public long free(String kind) {
        return Math.max(0, capacity(kind) - granted(kind));
    }

    /** Whether {@code kind} holds more than its capacity. */
    public boolean overcommitted(String kind) {
        return granted(kind) > capacity(kind);
    }

    /** Returns every kind that has a capacity or a holder here. */
    public SortedMap<String, Long> kinds() {
        TreeMap<String, Long> all = new TreeMap<>(capacity);
        holdings.totals().keySet().forEach(k -> all.putIfAbsent(k, 0L));
        return all;
    }

    /** Returns this node after a report: capacity of each reported kind replaced, others kept. */
    public NodeState report(SortedMap<String, Long> allocatable, SortedMap<String, Long> free, long now) {
        TreeMap<String, Long> cap = new TreeMap<>(capacity);
        allocatable.forEach((k, v) -> cap.put(k, v));
        TreeMap<String, Long> measured = new TreeMap<>(measuredFree);
        measured.putAll(free);
        return new NodeState(node, cap, measured, now, holdings);
    }

    @Override
    public NodeState withHoldings(Holdings h) {
        return new NodeState(node, capacity, measuredFree, lastReportAt, h);
    }

    @Override
    public Rejection checkHold(String claimId, SortedMap<String, Long> amounts) {
        Holdings others = holdings.without(claimId, Holdings.ANY_ATTEMPT);
        for (var e : amounts.entrySet()) {
            String kind = e.getKey();
            long granted = others.granted(kind);
            long cap = capacity(kind);
            if (granted > cap) {
                return Rejection.of(Rejection.Code.OVERCOMMITTED, poolId(kind, node) + " is over-committed: "
                        + granted + " granted, capacity " + cap);
            }
            if (Math.addExact(granted, e.getValue()) > cap) {
                return Rejection.of(Rejection.Code.INSUFFICIENT_CAPACITY, poolId(kind, node) + " has "
                        + (cap - granted) + " free, " + e.getValue() + " asked");
            }
        }
        return null;
    }
}
