package io.ichiba.ledger.pool;

/**
 * One pool as readers see it: the capacity of one kind at one place.
 *
 * @param id            {@code kind@node} or {@code lock:name}
 * @param kind          the resource kind ({@code lock} for locks)
 * @param node          the node of a node-local pool, else {@code null}
 * @param name          the lock name of a lock pool, else {@code null}
 * @param capacity      allocatable amount, or permits
 * @param granted       amount held by claims
 * @param free          capacity neither held nor withheld, never negative
 * @param overcommitted whether more is held than the capacity
 * @param measuredFree  what the node's agent measured as free, for node-local pools
 * @param withheld      capacity not granted because the machine measured less free than expected
 * @param holders       number of claims holding tokens of this pool
 */
public record PoolView(String id, String kind, String node, String name, long capacity, long granted, long free,
                       boolean overcommitted, Long measuredFree, long withheld, int holders) {

    /** The pools of one node. */
    public static java.util.List<PoolView> of(NodeState n) {
        java.util.List<PoolView> out = new java.util.ArrayList<>();
        for (String kind : n.kinds().keySet()) {
            int holders = (int) n.holdings().holders().values().stream()
                    .filter(h -> h.amounts().containsKey(kind)).count();
            out.add(new PoolView(NodeState.poolId(kind, n.node()), kind, n.node(), null, n.capacity(kind),
                    n.granted(kind), n.free(kind), n.overcommitted(kind), n.measuredFree().get(kind),
                    n.withheld(kind), holders));
        }
        return out;
    }

    /** The pool of one lock. */
    public static PoolView of(LockState l) {
        long granted = l.granted();
        return new PoolView(LockState.poolId(l.name()), LockState.KIND, null, l.name(), l.permits(), granted,
                Math.max(0, l.permits() - granted), granted > l.permits(), null, 0, l.holdings().holders().size());
    }
}
