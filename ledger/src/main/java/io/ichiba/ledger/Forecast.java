package io.ichiba.ledger;

import io.ichiba.ledger.pool.Amounts;
import io.ichiba.ledger.pool.Holdings;
import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.pool.Timeline;
import io.ichiba.ledger.tenant.TenantState;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A what-if copy of the capacity of some places over time, for {@link Hints} and {@link Explain}: each node's pools
 * and (optionally) a tenant's quota, with every hold until its lease deadline and every booking over its window, to
 * which virtual holds can be added. Nothing here touches the store.
 *
 * <p>Notes: how many copies of a bundle fit in a place at a moment {@code t}, for a lease of {@code dur}:
 * <ul>
 *   <li>at {@code now}, by the admission loop's own rule ({@link NodeState#checkHold}): {@code capacity - withheld
 *       - held now - booked peak over [now, now + dur)} — a hold whose deadline has passed but that the reaper has
 *       not returned yet still counts;</li>
 *   <li>later, by the timeline: {@code capacity - withheld - peak of holds and bookings over [t, t + dur)}, holds
 *       ending at their lease deadlines (not renewed) and capacity and withheld as they are today.</li>
 * </ul>
 * Capacity can only grow at a moment where some use ends, so the {@linkplain #moments moments} worth trying are now
 * and every such end.
 */
final class Forecast {
    /** The capacity of one place (a node's pools, or a tenant's entitlement) and its uses, per kind. */
    static final class Place {
        final String id;
        final boolean lost;
        final Map<String, Long> capacity;
        final Map<String, Long> withheld;
        final Map<String, List<Timeline.Use>> held = new HashMap<>();
        final Map<String, List<Timeline.Use>> booked = new HashMap<>();

        Place(String id, boolean lost, Map<String, Long> capacity, Map<String, Long> withheld) {
            this.id = id;
            this.lost = lost;
            this.capacity = capacity;
            this.withheld = withheld;
        }

        List<Timeline.Use> held(String kind) {
            return held.getOrDefault(kind, List.of());
        }

        List<Timeline.Use> booked(String kind) {
            return booked.getOrDefault(kind, List.of());
        }
    }

    final long now;
    final long horizon;
    final TreeMap<String, Place> nodes = new TreeMap<>();
    final Place quota;
    final TreeSet<Long> moments = new TreeSet<>();

    private Forecast(long now, long horizon, Place quota) {
        this.now = now;
        this.horizon = horizon;
        this.quota = quota;
        moments.add(now);
    }

    /**
     * Builds the forecast of {@code nodes} and, if not {@code null}, of {@code tenant}'s entitlement (quota plus
     * borrowed, less lent and offered, loans that are ending left out), each hold ending at its claim's deadline in
     * {@code deadlines} (for ever if absent).
     */
    static Forecast of(long now, long horizonMillis, Map<String, NodeState> nodes, TenantState tenant,
                       Map<String, Long> deadlines) {
        Place quota = null;
        if (tenant != null) {
            Map<String, Long> entitled = new HashMap<>();
            Map<String, Long> all = new TreeMap<>(tenant.quota());
            tenant.loans().values().forEach(l -> all.putIfAbsent(l.kind(), 0L));
            tenant.holdings().totals().keySet().forEach(k -> all.putIfAbsent(k, 0L));
            all.keySet().forEach(k -> entitled.put(k, tenant.entitlement(k, false)));
            quota = new Place("tenant:" + tenant.id(), false, entitled, Map.of());
        }
        Forecast f = new Forecast(now, Math.addExact(now, horizonMillis), quota);
        if (tenant != null) {
            f.load(quota, tenant.holdings(), deadlines);
        }
        new TreeMap<>(nodes).forEach((id, n) -> {
            Place p = new Place(id, n.lost(), n.capacity(), n.withheld());
            f.load(p, n.holdings(), deadlines);
            f.nodes.put(id, p);
        });
        return f;
    }

    private void load(Place p, Holdings h, Map<String, Long> deadlines) {
        h.holders().forEach((claim, hold) -> {
            long until = deadlines.getOrDefault(claim, Timeline.FOREVER);
            // a hold past its deadline is still held until the reaper returns it: it counts now, not after
            long end = until == Timeline.FOREVER ? until : Math.max(until, now + 1);
            hold.amounts().forEach((kind, amount) ->
                    add(p.held, kind, new Timeline.Use(Long.MIN_VALUE, end, amount)));
        });
        h.bookings().values().forEach(b -> b.amounts().forEach((kind, amount) ->
                add(p.booked, kind, new Timeline.Use(b.start(), b.end(), amount))));
    }

    private void add(Map<String, List<Timeline.Use>> uses, String kind, Timeline.Use u) {
        uses.computeIfAbsent(kind, k -> new ArrayList<>()).add(u);
        if (u.until() != Timeline.FOREVER && u.until() > now && u.until() <= horizon) {
            moments.add(u.until());
        }
    }

    /** How many copies of {@code amounts} fit in {@code p} at {@code t} for {@code dur} millis (see the notes). */
    long fits(Place p, Map<String, Long> amounts, long t, long dur) {
        return fits(p, amounts, t, dur, true);
    }

    /** As {@link #fits(Place, Map, long, long)}, leaving the bookings out unless {@code withBookings}. */
    long fits(Place p, Map<String, Long> amounts, long t, long dur, boolean withBookings) {
        if (p.lost || amounts.isEmpty()) {
            return 0;
        }
        long n = Long.MAX_VALUE;
        for (var e : amounts.entrySet()) {
            String kind = e.getKey();
            List<Timeline.Use> booked = withBookings ? p.booked(kind) : List.of();
            long used;
            if (t <= now) {
                used = Math.addExact(Timeline.at(p.held(kind), now), Timeline.peak(booked, now, now + dur));
            } else {
                List<Timeline.Use> all = new ArrayList<>(p.held(kind));
                all.addAll(booked);
                used = Timeline.peak(all, t, t + dur);
            }
            long room = Amounts.get(p.capacity, kind) - Amounts.get(p.withheld, kind) - used;
            n = Math.min(n, Math.max(0, room) / e.getValue());
        }
        return n;
    }

    /** Adds {@code count} virtual copies of {@code amounts} held in {@code p} over {@code [t, t + dur)}. */
    void hold(Place p, Map<String, Long> amounts, long count, long t, long dur) {
        if (count <= 0) {
            return;
        }
        amounts.forEach((kind, a) -> add(p.held, kind, new Timeline.Use(t, t + dur, Math.multiplyExact(a, count))));
    }

    /** The first moment worth trying after {@code t}, within the horizon, or {@code null}. */
    Long next(long t) {
        Long m = moments.higher(t);
        return m == null || m > horizon ? null : m;
    }

    /** The first booking of a kind of {@code amounts} in {@code p} that overlaps {@code [from, to)}, or null. */
    static Long firstBookingStart(Place p, Map<String, Long> amounts, long from, long to) {
        Long first = null;
        for (String kind : amounts.keySet()) {
            for (Timeline.Use u : p.booked(kind)) {
                if (u.from() < to && from < u.until() && (first == null || u.from() < first)) {
                    first = u.from();
                }
            }
        }
        return first;
    }

    /** Returns {@code amounts} restricted to the kinds of {@code kinds}. */
    static SortedMap<String, Long> only(Map<String, Long> amounts, Map<String, Long> kinds) {
        TreeMap<String, Long> out = new TreeMap<>();
        amounts.forEach((k, v) -> {
            if (kinds.containsKey(k) && v != 0) {
                out.put(k, v);
            }
        });
        return out;
    }
}
