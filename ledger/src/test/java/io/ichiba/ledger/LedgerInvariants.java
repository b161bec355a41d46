package io.ichiba.ledger;

import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.pool.Hold;
import io.ichiba.ledger.pool.LockState;
import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.store.Store;
import io.ichiba.ledger.tenant.TenantState;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The laws of DESIGN.md section 4 that a quiescent store must satisfy, as one call a test makes after every step
 * (exchange-core's {@code validateInternalState()}).
 *
 * <p>It reads each table whole, so it is exact only when nothing else is changing the store; the concurrency
 * tests use {@link #checkNoOverGrant(Store)}, which reads one key at a time, while they run.
 *
 * <ul>
 *   <li>law 1: every node pool holds at most its capacity (unless the test lowered it by a report, on purpose),
 *       every lock at most its permits, every tenant at most its quota;</li>
 *   <li>law 2: a {@code GRANTED} claim holds its whole bundle — its tenant's quota, its node's pools, one permit
 *       of each lock, all from its current attempt — and nothing elsewhere; a {@code QUEUED} or ended claim holds
 *       nothing anywhere;</li>
 *   <li>law 3: every ended claim has returned its tokens, and every hold belongs to a live grant of its claim
 *       (no orphan, no leak).</li>
 * </ul>
 */
public final class LedgerInvariants {
    private LedgerInvariants() {
    }

    /** Checks every law with no pool allowed over capacity. */
    public static void check(Store store) {
        check(store, Set.of());
    }

    /**
     * Checks every law; the pools in {@code mayBeOvercommitted} (ids such as {@code memory@n1}) may hold more than
     * their capacity because a report lowered it below what was granted.
     */
    public static void check(Store store, Set<String> mayBeOvercommitted) {
        Map<String, NodeState> nodes = store.nodes().entries();
        Map<String, LockState> locks = store.locks().entries();
        Map<String, TenantState> tenants = store.tenants().entries();
        Map<String, Claim> claims = store.claims().entries();
        List<String> errors = new ArrayList<>();

        // law 1
        for (NodeState n : nodes.values()) {
            for (String kind : n.kinds().keySet()) {
                String pool = NodeState.poolId(kind, n.node());
                if (n.granted(kind) > n.capacity(kind) && !mayBeOvercommitted.contains(pool)) {
                    errors.add(pool + " over-granted: " + n.granted(kind) + " > capacity " + n.capacity(kind));
                }
            }
        }
        for (LockState l : locks.values()) {
            if (l.granted() > l.permits()) {
                errors.add(LockState.poolId(l.name()) + " over-granted: " + l.granted() + " > " + l.permits());
            }
        }
        for (TenantState t : tenants.values()) {
            t.holdings().totals().forEach((kind, used) -> {
                if (used > t.quota(kind)) {
                    errors.add("tenant:" + t.id() + " uses " + used + " " + kind + " > quota " + t.quota(kind));
                }
            });
        }

        // who holds what where: claim id -> place -> hold
        Map<String, Map<String, Hold>> held = new TreeMap<>();
        nodes.forEach((k, n) -> n.holdings().holders().forEach((c, h) ->
                held.computeIfAbsent(c, x -> new TreeMap<>()).put("node:" + k, h)));
        locks.forEach((k, l) -> l.holdings().holders().forEach((c, h) ->
                held.computeIfAbsent(c, x -> new TreeMap<>()).put("lock:" + k, h)));
        tenants.forEach((k, t) -> t.holdings().holders().forEach((c, h) ->
                held.computeIfAbsent(c, x -> new TreeMap<>()).put("tenant:" + k, h)));

        // law 3: no hold without a live grant that owns it
        held.forEach((claimId, places) -> places.forEach((place, h) -> {
            Claim c = claims.get(claimId);
            if (c == null || !c.state().isLive()) {
                errors.add("orphan hold at " + place + " for claim " + claimId + " ("
                        + (c == null ? "no such claim" : c.state().toString()) + ")");
            }
        }));

        // law 2 (and law 3 for ended claims)
        for (Claim c : claims.values()) {
            Map<String, Hold> mine = held.getOrDefault(c.id(), Map.of());
            Map<String, Hold> expected = expectedHolds(c);
            switch (c.state()) {
                case GRANTED -> {
                    if (!mine.equals(expected)) {
                        errors.add("GRANTED claim " + c.id() + " holds " + mine + " but its bundle needs " + expected);
                    }
                    if (c.bundle().nodeLocal() != (c.node() != null)) {
                        errors.add("GRANTED claim " + c.id() + " has node " + c.node() + " for bundle " + c.bundle());
                    }
                }
                case QUEUED -> {
                    if (!mine.isEmpty()) {
                        errors.add("QUEUED claim " + c.id() + " holds " + mine);
                    }
                }
                default -> {
                    if (!c.returned()) {
                        errors.add(c.state() + " claim " + c.id() + " has not returned its tokens");
                    }
                    if (!mine.isEmpty()) {
                        errors.add(c.state() + " claim " + c.id() + " still holds " + mine);
                    }
                }
            }
        }
        assertThat(errors).as("ledger invariants").isEmpty();
    }

    /** The holds a granted claim must have: place ("node:n1", "lock:db", "tenant:acme") to hold. */
    public static Map<String, Hold> expectedHolds(Claim c) {
        Map<String, Hold> out = new TreeMap<>();
        if (c.bundle().nodeLocal()) {
            out.put("tenant:" + c.tenant(), new Hold(c.bundle().amounts()));
            if (c.node() != null) {
                out.put("node:" + c.node(), new Hold(c.bundle().amounts()));
            }
        }
        for (String lock : c.bundle().locks()) {
            out.put("lock:" + lock, new Hold(LockState.onePermit()));
        }
        return out;
    }

    /**
     * Checks law 1 on a store that others are changing: each place is read on its own (one key is one atomic
     * value), and no pool, lock or tenant may hold more than its capacity, permits or quota. Returns the
     * violations (empty when none).
     */
    public static List<String> checkNoOverGrant(Store store) {
        List<String> errors = new ArrayList<>();
        for (String key : new HashSet<>(store.nodes().entries().keySet())) {
            NodeState n = store.nodes().get(key);
            if (n != null) {
                for (String kind : n.kinds().keySet()) {
                    if (n.granted(kind) > n.capacity(kind)) {
                        errors.add(NodeState.poolId(kind, key) + " holds " + n.granted(kind) + " > " + n.capacity(kind));
                    }
                }
            }
        }
        for (String key : new HashSet<>(store.locks().entries().keySet())) {
            LockState l = store.locks().get(key);
            if (l != null && l.granted() > l.permits()) {
                errors.add(LockState.poolId(key) + " holds " + l.granted() + " > " + l.permits());
            }
        }
        for (String key : new HashSet<>(store.tenants().entries().keySet())) {
            TenantState t = store.tenants().get(key);
            if (t != null) {
                t.holdings().totals().forEach((kind, used) -> {
                    if (used > t.quota(kind)) {
                        errors.add("tenant:" + key + " uses " + used + " " + kind + " > " + t.quota(kind));
                    }
                });
            }
        }
        return errors;
    }

    /** Asserts that no pool, lock or tenant holds anything. */
    public static void checkAllReturned(Store store) {
        List<String> errors = new ArrayList<>();
        store.nodes().entries().forEach((k, n) -> {
            if (!n.holdings().holders().isEmpty()) {
                errors.add("node " + k + " still holds " + n.holdings().holders());
            }
        });
        store.locks().entries().forEach((k, l) -> {
            if (!l.holdings().holders().isEmpty()) {
                errors.add("lock " + k + " still holds " + l.holdings().holders());
            }
        });
        store.tenants().entries().forEach((k, t) -> {
            if (!t.holdings().holders().isEmpty()) {
                errors.add("tenant " + k + " still holds " + t.holdings().holders());
            }
        });
        assertThat(errors).as("every token returned").isEmpty();
    }
}
