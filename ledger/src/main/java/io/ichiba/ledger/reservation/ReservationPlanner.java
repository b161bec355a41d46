package io.ichiba.ledger.reservation;

import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.pool.LockState;
import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.pool.Place;
import io.ichiba.ledger.pool.Timeline;
import io.ichiba.ledger.tenant.TenantState;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Where the copies of a reservation fit over a window, decided on a snapshot: a pure function.
 *
 * <p>A place has room over {@code [start, end)} for what its {@linkplain Place#bookable bookable} capacity leaves
 * after the peak, over the window, of its holds (each until its lease deadline) and bookings. Every lock of the
 * bundle must have a permit per copy, and a reservation on quota must find each kind's whole amount in the
 * tenant's quota. Copies go one by one to the node with the least room left after it (best fit, as for claims),
 * ties to the smaller node id, so large holes stay open.
 */
public final class ReservationPlanner {
    private ReservationPlanner() {
    }

    /**
     * The state a plan is made on.
     *
     * @param nodes     nodes by id
     * @param locks     locks by name
     * @param tenant    the tenant whose quota is promised, or {@code null} for a bought reservation
     * @param deadlines claim id to the moment its hold ends (lease deadline, or preemption); others hold for ever
     */
    public record Snapshot(Map<String, NodeState> nodes, Map<String, LockState> locks, TenantState tenant,
                           Map<String, Long> deadlines) {
    }

    /**
     * Returns the node of each copy ({@code ""} for a bundle of locks only), or {@code null} if the copies do not
     * all fit over {@code [start, end)}.
     */
    public static List<String> plan(Bundle b, int count, long start, long end, String node, Snapshot s) {
        for (String lock : b.locks()) {
            LockState l = s.locks().get(lock);
            if (l == null || room(l, LockState.KIND, s.deadlines(), start, end) < count) {
                return null;
            }
        }
        if (s.tenant() != null) {
            for (var e : b.amounts().entrySet()) {
                if (room(s.tenant(), e.getKey(), s.deadlines(), start, end) < Math.multiplyExact(e.getValue(), (long) count)) {
                    return null;
                }
            }
        }
        List<String> out = new ArrayList<>();
        if (!b.nodeLocal()) {
            for (int i = 0; i < count; i++) {
                out.add("");
            }
            return out;
        }
        TreeMap<String, TreeMap<String, Long>> rooms = new TreeMap<>();
        for (NodeState n : candidates(node, s)) {
            TreeMap<String, Long> r = new TreeMap<>();
            for (String kind : b.amounts().keySet()) {
                r.put(kind, room(n, kind, s.deadlines(), start, end));
            }
            rooms.put(n.node(), r);
        }
        for (int i = 0; i < count; i++) {
            String best = null;
            long bestLeft = Long.MAX_VALUE;
            for (var e : rooms.entrySet()) {
                long left = 0;
                boolean fits = true;
                for (var k : b.amounts().entrySet()) {
                    long l = e.getValue().get(k.getKey()) - k.getValue();
                    fits &= l >= 0;
                    left += l;
                }
                if (fits && left < bestLeft) {
                    best = e.getKey();
                    bestLeft = left;
                }
            }
            if (best == null) {
                return null;
            }
            TreeMap<String, Long> r = rooms.get(best);
            b.amounts().forEach((k, v) -> r.merge(k, -v, Long::sum));
            out.add(best);
        }
        return out;
    }

    /**
     * Returns the earliest start at or after {@code from} (and at most {@code horizon}) at which a window of
     * {@code length} millis fits, or -1. Only {@code from} and the moments a hold or booking ends can be the
     * earliest: between them nothing frees up. At most {@code limit} candidates are tried.
     */
    public static long earliest(Bundle b, int count, long from, long length, String node, Snapshot s, long horizon,
                                int limit) {
        TreeSet<Long> candidates = new TreeSet<>();
        candidates.add(from);
        List<Place<?>> places = new ArrayList<>();
        b.locks().forEach(l -> {
            if (s.locks().get(l) != null) {
                places.add(s.locks().get(l));
            }
        });
        if (s.tenant() != null) {
            places.add(s.tenant());
        }
        if (b.nodeLocal()) {
            places.addAll(candidates(node, s));
        }
        for (Place<?> p : places) {
            p.holdings().holders().keySet().forEach(id -> {
                Long d = s.deadlines().get(id);
                if (d != null && d > from && d <= horizon) {
                    candidates.add(d);
                }
            });
            p.holdings().bookings().values().forEach(bk -> {
                if (bk.end() > from && bk.end() <= horizon) {
                    candidates.add(bk.end());
                }
            });
        }
        int tried = 0;
        for (long t : candidates) {
            if (tried++ >= limit) {
                break;
            }
            if (plan(b, count, t, Math.addExact(t, length), node, s) != null) {
                return t;
            }
        }
        return -1;
    }

    /** Returns what {@code p} can still be promised of {@code kind} over the whole of {@code [start, end)}. */
    public static long room(Place<?> p, String kind, Map<String, Long> deadlines, long start, long end) {
        return p.bookable(kind) - Timeline.peak(Timeline.uses(p.holdings(), kind, deadlines), start, end);
    }

    private static List<NodeState> candidates(String node, Snapshot s) {
        List<NodeState> out = new ArrayList<>();
        for (NodeState n : new TreeMap<>(s.nodes()).values()) {
            if (!n.lost() && (node == null || node.equals(n.node()))) {
                out.add(n);
            }
        }
        return out;
    }
}
