package io.ichiba.ledger.pool;

import io.ichiba.ledger.Rejection;
import io.ichiba.ledger.event.Emits;
import io.ichiba.ledger.event.Event;
import io.ichiba.ledger.event.Outbox;

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
 * <p>Notes: <em>withheld</em> is capacity the machine does not have although no token holds it — the agent
 * measured less free than capacity minus granted at its last report (something uses the node outside of
 * tokens). The pool grants that much less until a report shows the deficit gone. A measured amount moves a little
 * at every report, so {@code pool.withheld} tells only what matters: a deficit that appears, one that goes back to
 * zero, and a change of at least {@link #WITHHELD_EVENT_STEP_PERCENT} % of the pool's capacity from the amount last
 * told ({@code announced}), so that a slow drift is told once it adds up. A node whose reports stop
 * for the grace period is <em>lost</em>: its capacity drops to zero and its grants end; its next report
 * brings it back, empty.
 *
 * @param node         node id
 * @param capacity     kind to allocatable amount (MiB)
 * @param measuredFree kind to the free amount the agent measured
 * @param withheld     kind to the deficit found at the last report
 * @param announced    kind to the withheld amount the last {@code pool.withheld} event told (absent: zero)
 * @param lastReportAt epoch millis of the last report (the heartbeat)
 * @param lostAt       epoch millis the node was found lost, 0 while it reports
 * @param holdings     the holders of this node's pools
 * @param outbox       events of its changes not yet in the event log ({@code node.lost}, {@code node.back},
 *                     {@code pool.overcommitted}, {@code pool.withheld})
 */
public record NodeState(String node, SortedMap<String, Long> capacity, SortedMap<String, Long> measuredFree,
                        SortedMap<String, Long> withheld, SortedMap<String, Long> announced, long lastReportAt,
                        long lostAt, Holdings holdings, Outbox outbox) implements Place<NodeState>, Emits<NodeState>,
        io.ichiba.ledger.store.Incremental<NodeState> {

    /** A node that holds many claims travels as its patch when one of them changed ({@link Holdings#patch}). */
    @Override
    public io.ichiba.ledger.store.Incremental.Patch<NodeState> since(NodeState before) {
        return Holdings.patch(this, before);
    }

    @Override
    public void committed() {
        holdings.forgetPast();
    }

    /** The change of a withheld amount, in percent of the pool's capacity, that is told although it stays above 0. */
    public static final int WITHHELD_EVENT_STEP_PERCENT = 5;

    /** Normalises the maps. */
    public NodeState {
        capacity = Amounts.copyOf(capacity);
        measuredFree = Amounts.copyOf(measuredFree);
        withheld = Amounts.of(withheld);
        announced = Amounts.of(announced);
        holdings = holdings == null ? Holdings.empty() : holdings;
        outbox = outbox == null ? Outbox.empty() : outbox;
    }

    /** A node with nothing to tell. */
    public NodeState(String node, SortedMap<String, Long> capacity, SortedMap<String, Long> measuredFree,
                     SortedMap<String, Long> withheld, long lastReportAt, long lostAt, Holdings holdings) {
        this(node, capacity, measuredFree, withheld, withheld, lastReportAt, lostAt, holdings, Outbox.empty());
    }

    /** A reporting node with nothing withheld. */
    public NodeState(String node, SortedMap<String, Long> capacity, SortedMap<String, Long> measuredFree,
                     long lastReportAt, Holdings holdings) {
        this(node, capacity, measuredFree, Amounts.none(), lastReportAt, 0, holdings);
    }

    /** Whether the node was lost (its reports stopped for the grace period). */
    public boolean lost() {
        return lostAt != 0;
    }

    /** Returns the amount of {@code kind} withheld because the machine measured less free than expected. */
    public long withheld(String kind) {
        return Amounts.get(withheld, kind);
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

    /** Returns the capacity of {@code kind} that can still be granted: not held, not withheld, never negative. */
    public long free(String kind) {
        return Math.max(0, capacity(kind) - granted(kind) - withheld(kind));
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

    /**
     * Returns this node after a report: capacity of each reported kind replaced, others kept (a lost node comes
     * back with only what it reports); withheld recomputed for every kind with a measured free amount.
     */
    public NodeState report(SortedMap<String, Long> allocatable, SortedMap<String, Long> free, long now) {
        TreeMap<String, Long> cap = new TreeMap<>(lost() ? Amounts.none() : capacity);
        cap.putAll(allocatable);
        TreeMap<String, Long> measured = new TreeMap<>(lost() ? Amounts.none() : measuredFree);
        measured.putAll(free);
        TreeMap<String, Long> deficit = new TreeMap<>();
        measured.forEach((kind, m) -> {
            long expected = Amounts.get(cap, kind) - granted(kind);
            if (m < expected) {
                deficit.put(kind, expected - m);
            }
        });
        Outbox events = outbox;
        if (lost()) {
            events = events.emit("node.back", now, Outbox.details("node", node));
        }
        for (var e : cap.entrySet()) {
            long granted = granted(e.getKey());
            if (granted > e.getValue() && !overcommitted(e.getKey())) {
                events = events.emit("pool.overcommitted", now, Outbox.details("node", node, "pool",
                        poolId(e.getKey(), node), "kind", e.getKey(), "granted", String.valueOf(granted), "capacity",
                        String.valueOf(e.getValue())));
            }
        }
        TreeMap<String, Long> told = new TreeMap<>(lost() ? Amounts.none() : announced);
        events = emitWithheld(events, deficit, told, cap, measured, now);
        return new NodeState(node, cap, measured, deficit, told, now, 0, holdings, events);
    }

    /**
     * Emits {@code pool.withheld} for each kind whose withheld amount is worth telling (see the notes above) and
     * records in {@code told} what it told. A lost node withholds nothing and has told nothing, so its first report
     * back compares with zero.
     */
    private Outbox emitWithheld(Outbox events, SortedMap<String, Long> deficit, TreeMap<String, Long> told,
                                SortedMap<String, Long> cap, SortedMap<String, Long> measured, long now) {
        TreeMap<String, Long> kinds = new TreeMap<>(told);
        kinds.putAll(deficit);
        for (String kind : kinds.keySet()) {
            long said = Amounts.get(told, kind);
            long is = Amounts.get(deficit, kind);
            long step = Math.max(1, Amounts.get(cap, kind) / 100 * WITHHELD_EVENT_STEP_PERCENT);
            if ((said == 0) != (is == 0) || Math.abs(is - said) >= step) {
                Long free = measured.get(kind);
                events = events.emit("pool.withheld", now, Outbox.details("node", node, "pool", poolId(kind, node),
                        "kind", kind, "withheld", String.valueOf(is), "previous", String.valueOf(said),
                        "measuredFree", free == null ? null : String.valueOf(free),
                        "capacity", String.valueOf(Amounts.get(cap, kind)), "granted", String.valueOf(granted(kind))));
                if (is == 0) {
                    told.remove(kind);
                } else {
                    told.put(kind, is);
                }
            }
        }
        return events;
    }

    /** Returns this node lost at {@code now}: every capacity zero, nothing measured or withheld. */
    public NodeState markLost(long now) {
        TreeMap<String, Long> zero = new TreeMap<>();
        capacity.keySet().forEach(k -> zero.put(k, 0L));
        return new NodeState(node, zero, Amounts.none(), Amounts.none(), Amounts.none(), lastReportAt, now, holdings,
                outbox.emit("node.lost", now, Outbox.details("node", node, "lastReportAt", String.valueOf(lastReportAt),
                        "grants", String.valueOf(holdings.holders().size()))));
    }

    @Override
    public NodeState withHoldings(Holdings h) {
        return new NodeState(node, capacity, measuredFree, withheld, announced, lastReportAt, lostAt, h, outbox);
    }

    @Override
    public NodeState withOutbox(Outbox o) {
        return new NodeState(node, capacity, measuredFree, withheld, announced, lastReportAt, lostAt, holdings, o);
    }

    /** Renders one of its events: {@code node:<id>:<n>}, the operator's (no tenant). */
    @Override
    public Event toEvent(Outbox.Pending p) {
        return new Event("node:" + node + ":" + p.n(), p.type(), p.time(), null, node, p.details());
    }

    @Override
    public Rejection checkHold(String claimId, SortedMap<String, Long> amounts, long now, long until) {
        Rejection r = checkHold(claimId, amounts);
        if (r != null || until <= now) {
            return r;
        }
        Holdings others = holdings.without(claimId);
        for (var e : amounts.entrySet()) {
            String kind = e.getKey();
            long booked = holdings.bookedPeak(kind, now, until, claimId);
            long used = Math.addExact(Math.addExact(others.granted(kind), withheld(kind)), booked);
            if (booked > 0 && Math.addExact(used, e.getValue()) > capacity(kind)) {
                return Rejection.of(Rejection.Code.RESERVED, poolId(kind, node) + " has " + booked
                        + " reserved before this lease would end; " + Math.max(0, capacity(kind) - used)
                        + " free for it, " + e.getValue() + " asked");
            }
        }
        return null;
    }

    @Override
    public long bookable(String kind) {
        return lost() ? 0 : capacity(kind);
    }

    @Override
    public Rejection checkHold(String claimId, SortedMap<String, Long> amounts) {
        if (lost()) {
            return Rejection.of(Rejection.Code.INSUFFICIENT_CAPACITY, "node " + node + " is lost");
        }
        Holdings others = holdings.without(claimId);
        for (var e : amounts.entrySet()) {
            String kind = e.getKey();
            long granted = others.granted(kind);
            long cap = capacity(kind);
            if (granted > cap) {
                return Rejection.of(Rejection.Code.OVERCOMMITTED, poolId(kind, node) + " is over-committed: "
                        + granted + " granted, capacity " + cap);
            }
            long withheldNow = withheld(kind);
            if (Math.addExact(Math.addExact(granted, withheldNow), e.getValue()) > cap) {
                return Rejection.of(Rejection.Code.INSUFFICIENT_CAPACITY, poolId(kind, node) + " has "
                        + Math.max(0, cap - granted - withheldNow) + " free"
                        + (withheldNow > 0 ? " (" + withheldNow + " withheld)" : "") + ", " + e.getValue() + " asked");
            }
        }
        return null;
    }
}
