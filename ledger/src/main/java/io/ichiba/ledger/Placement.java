package io.ichiba.ledger;

import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.pool.LockState;
import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.tenant.TenantState;

import java.util.Map;

/**
 * Where a queued claim could be granted now, decided on a snapshot of the state: a pure function.
 *
 * <p>The tenant's remaining quota is checked first, then every lock, then the nodes. Among the nodes
 * where the whole node-local part fits, the best fit wins: the one left with the least free capacity of
 * the bundle's kinds (so large holes stay open for large claims); ties go to the smaller node id. Nodes that can
 * find that by their index ({@link ByFree}, the engine's: issue 13, placement by free amount) are walked from the sum
 * the bundle asks, in order, up to the first that fits; others are all looked at.
 */
public final class Placement {
    private Placement() {
    }

    /**
     * The decision for one claim.
     *
     * @param node the node to grant on ({@code null} for a bundle of locks only), when it fits
     * @param why  why it cannot be granted now, or {@code null} when it fits
     */
    public record Choice(String node, Rejection why) {
        /** Whether the claim fits now. */
        public boolean fits() {
            return why == null;
        }
    }

    /**
     * Nodes that can be walked by what they have free ({@link io.ichiba.ledger.pool.PoolFilters.FreeOf}): the first
     * node, in order of the sum of what it has free of {@code kinds} then of its id, from {@code atLeast} on, that
     * {@code fits}; {@code null} if none. Every node a map of nodes holds is among those walked, and a node that
     * has no capacity of one of the kinds (not walked) fits no positive ask of it.
     */
    public interface ByFree {
        /** The first node from {@code atLeast} of {@code kinds} free on that {@code fits}, or {@code null}. */
        NodeState first(java.util.List<String> kinds, long atLeast, java.util.function.Predicate<NodeState> fits);
    }

    /** Decides where {@code c} fits on the given snapshot, bookings left out. */
    public static Choice choose(Claim c, TenantState tenant, Map<String, NodeState> nodes, Map<String, LockState> locks) {
        return choose(c, tenant, nodes, locks, 0, 0);
    }

    /**
     * Decides where {@code c} fits on the given snapshot at {@code now}: capacity booked for a reservation whose
     * window opens before the claim's lease would end is not free for it.
     */
    public static Choice choose(Claim c, TenantState tenant, Map<String, NodeState> nodes, Map<String, LockState> locks,
                                long now) {
        return choose(c, tenant, nodes, locks, now, Math.addExact(now, c.leaseSeconds() * 1000));
    }

    private static Choice choose(Claim c, TenantState tenant, Map<String, NodeState> nodes,
                                 Map<String, LockState> locks, long now, long until) {
        Bundle b = c.bundle();
        if (b.nodeLocal()) {
            if (tenant == null) {
                return new Choice(null, Rejection.of(Rejection.Code.NOT_FOUND, "tenant " + c.tenant() + " is gone"));
            }
            Rejection q = tenant.checkHold(c.id(), b.amounts(), now, until);
            if (q != null) {
                return new Choice(null, q);
            }
        }
        for (String name : b.locks()) {
            LockState l = locks.get(name);
            if (l == null) {
                return new Choice(null, Rejection.of(Rejection.Code.NO_SUCH_LOCK, "no lock named " + name));
            }
            Rejection r = l.checkHold(c.id(), LockState.onePermit(), now, until);
            if (r != null) {
                return new Choice(null, r);
            }
        }
        if (!b.nodeLocal()) {
            return new Choice(null, null);
        }
        if (c.requestedNode() != null) {
            NodeState n = nodes.get(c.requestedNode());
            if (n == null) {
                return new Choice(null, Rejection.of(Rejection.Code.NO_SUCH_NODE, "node " + c.requestedNode()
                        + " is gone"));
            }
            Rejection r = n.checkHold(c.id(), b.amounts(), now, until);
            return r == null ? new Choice(n.node(), null) : new Choice(null, r);
        }
        if (nodes instanceof ByFree byFree) {
            NodeState found = bestByFree(c, byFree, now, until);
            if (found != null) {
                return new Choice(found.node(), null);
            }
            // none fits (or an ask of nothing): every node is looked at below, for the first refusal by id
        }
        // the best fit: the least left, then the smaller id; in any order of the nodes, without sorting them, and a
        // node that could not beat the best so far is not checked
        String best = null;
        long bestLeft = Long.MAX_VALUE;
        String firstRefused = null;
        Rejection first = null;
        for (NodeState n : nodes.values()) {
            long left = 0;
            for (var e : b.amounts().entrySet()) {
                left += n.free(e.getKey()) - e.getValue();
            }
            if (best != null && (left > bestLeft || (left == bestLeft && n.node().compareTo(best) > 0))) {
                continue;
            }
            Rejection r = n.checkHold(c.id(), b.amounts(), now, until);
            if (r == null) {
                best = n.node();
                bestLeft = left;
            } else if (firstRefused == null || n.node().compareTo(firstRefused) < 0) {
                firstRefused = n.node(); // until one fits, every node is checked: this is the first by id
                first = r;
            }
        }
        if (best != null) {
            return new Choice(best, null);
        }
        return new Choice(null, first != null ? first
                : Rejection.of(Rejection.Code.INSUFFICIENT_CAPACITY, "no node has reported yet"));
    }

    /**
     * The best fit found by walking {@code nodes} in order of what they have free of the bundle's kinds: what is left
     * after the grant is that sum less the sum asked, so the first node from the sum asked that fits is the one left
     * with the least, and of those the smaller id. {@code null} if none fits, an ask is not positive (a node
     * without the kind could fit it: the walk does not see those), or the claim is not queued (a queued claim holds
     * nothing, law 2; what a claim holds on a node is free for it there, below the sum the walk starts from).
     */
    private static NodeState bestByFree(Claim c, ByFree nodes, long now, long until) {
        if (c.state() != io.ichiba.ledger.claim.ClaimState.QUEUED) {
            return null;
        }
        java.util.SortedMap<String, Long> amounts = c.bundle().amounts();
        long asked = 0;
        for (long v : amounts.values()) {
            if (v <= 0) {
                return null;
            }
            asked = Math.addExact(asked, v);
        }
        return nodes.first(java.util.List.copyOf(amounts.keySet()), asked,
                n -> n.checkHold(c.id(), amounts, now, until) == null);
    }
}
