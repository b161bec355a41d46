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
 * the bundle's kinds (so large holes stay open for large claims); ties go to the smaller node id.
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
}
