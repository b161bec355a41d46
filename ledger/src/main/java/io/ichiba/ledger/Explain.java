package io.ichiba.ledger;

import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimFilters;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.market.MarketOrder;
import io.ichiba.ledger.pool.Holdings;
import io.ichiba.ledger.pool.LockState;
import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.tenant.TenantState;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Why a claim waits, where it was granted, or how it ended: a pure function of an {@link Input}, read by its own
 * tenant only. Other tenants appear only as counts and amounts, never by claim id.
 *
 * <p>For a queued claim it gives:
 * <ul>
 *   <li>its <b>queue</b> place (1-based, in admission order), the claims ahead of it and those of them that overtake
 *       it (ahead although younger: higher effective priority, or urgent) — the tenant's own by id, others counted;</li>
 *   <li>its tenant's <b>quota</b> per kind of the bundle: asked, entitled (quota + borrowed − lent − offered), used by
 *       its other claims, booked by its reservations before the lease would end, and missing;</li>
 *   <li>per <b>node</b> (its requested node, else every node, closest to fitting first, at most {@link #MAX_NODES}):
 *       per kind asked, capacity, free, booked before the lease would end, and missing (by the admission loop's rule);
 *       who holds those kinds there (own claims by id with amounts and deadline, others as a count and a total);
 *       when the holds are expected to end (lease deadlines, merged by moment); the bookings in the way; and the first
 *       moment the bundle fits there by the timeline (holds ending at their deadlines, ignoring the claims ahead);</li>
 *   <li>per <b>lock</b>: permits, held, holders (own by id, others counted) and when the first hold ends;</li>
 *   <li>what a <b>purchase</b> now would cost for its lease: the quota it lacks at the spot price (buying gives quota,
 *       not node capacity), and the whole bundle at the urgent price (which goes ahead of the queue and may
 *       preempt).</li>
 * </ul>
 * A granted or ended claim is answered with its state, node, reason and times only.
 */
public final class Explain {
    /** The most nodes an explanation lists. */
    public static final int MAX_NODES = 10;
    /** The most release moments listed per node. */
    public static final int MAX_RELEASES = 20;

    private Explain() {
    }

    /**
     * What an explanation is computed on.
     *
     * @param now       epoch millis
     * @param nodes     every node
     * @param locks     every lock
     * @param tenant    the claim's tenant
     * @param holders   claim id to its tenant, for every live claim (holders without one count as others')
     * @param deadlines claim id to when its hold ends ({@link Reservations#deadlines()})
     * @param spot      kind to spot price per unit-hour
     * @param urgent    kind to urgent price per unit-hour
     * @param queue     the admission queue in order ({@link Admission#queue(long)})
     */
    public record Input(long now, Map<String, NodeState> nodes, Map<String, LockState> locks, TenantState tenant,
                        Map<String, String> holders, Map<String, Long> deadlines, Map<String, Long> spot,
                        Map<String, Long> urgent, List<Claim> queue) {
        /** Reads the input for a claim of {@code tenant} from the ledger. */
        public static Input of(Ledger ledger, String tenant) {
            long now = ledger.clock().millis();
            Map<String, String> holders = new TreeMap<>();
            ledger.store().claims().values(new ClaimFilters.ClaimIn(java.util.Set.of(ClaimState.GRANTED)))
                    .forEach(c -> holders.put(c.id(), c.tenant()));
            Map<String, Long> spot = new TreeMap<>();
            Map<String, Long> urgent = new TreeMap<>();
            ledger.kinds().forEach(k -> {
                spot.put(k, ledger.exchange().spot(k));
                urgent.put(k, ledger.exchange().unitPrice(k, true));
            });
            return new Input(now, ledger.store().nodes().entries(), ledger.store().locks().entries(),
                    ledger.store().tenants().get(tenant), holders, ledger.reservations().deadlines(), spot, urgent,
                    new Admission(ledger).queue(now));
        }
    }

    /**
     * The claim's place in the queue.
     *
     * @param position         1 for the next one considered; {@code null} if it was not in the queue read
     * @param length           claims queued
     * @param aheadOwn         the tenant's claims ahead of it, by id
     * @param aheadOthers      other tenants' claims ahead of it
     * @param overtakingOwn    the tenant's claims ahead of it although younger
     * @param overtakingOthers other tenants' claims ahead of it although younger
     */
    public record Queue(Integer position, int length, List<String> aheadOwn, int aheadOthers,
                        List<String> overtakingOwn, int overtakingOthers) {
    }

    /**
     * The quota of one kind as it stands for the claim.
     *
     * @param kind     the kind
     * @param asked    what the claim asks
     * @param entitled what the tenant's claims may hold
     * @param used     what its other claims hold
     * @param booked   what its reservations book before the lease would end
     * @param missing  what it lacks
     */
    public record QuotaGap(String kind, long asked, long entitled, long used, long booked, long missing) {
    }

    /**
     * One kind on one node.
     *
     * @param kind          the kind
     * @param asked         what the claim asks
     * @param capacity      the pool's capacity
     * @param free          capacity − granted − withheld
     * @param booked        booked there before the lease would end
     * @param missing       what it lacks there now
     * @param overcommitted whether the pool holds more than its capacity
     */
    public record KindGap(String kind, long asked, long capacity, long free, long booked, long missing,
                          boolean overcommitted) {
    }

    /**
     * A hold of the tenant's own.
     *
     * @param claim   its claim id
     * @param amounts what it holds of the bundle's kinds
     * @param until   when it is expected to end, {@code null} if unknown
     */
    public record Holder(String claim, SortedMap<String, Long> amounts, Long until) {
    }

    /**
     * Amounts expected to free up at a moment.
     *
     * @param at      epoch millis
     * @param amounts kind to amount
     */
    public record Release(long at, SortedMap<String, Long> amounts) {
    }

    /**
     * A booking in the claim's way.
     *
     * @param from    epoch millis its window opens
     * @param to      epoch millis it closes
     * @param amounts kind to amount, of the bundle's kinds
     */
    public record Window(long from, long to, SortedMap<String, Long> amounts) {
    }

    /**
     * One node, as it stands for the claim.
     *
     * @param node         node id
     * @param lost         whether it is lost
     * @param kinds        the bundle's kinds there
     * @param own          the tenant's own holds of those kinds
     * @param others       other tenants' holds of those kinds, counted
     * @param otherAmounts what other tenants' holds hold of those kinds
     * @param releases     when holds of those kinds are expected to end, soonest first
     * @param bookings     bookings of those kinds overlapping the lease from now
     * @param fitsAt       first moment the bundle fits there by the timeline, {@code null} if none in the horizon
     */
    public record NodeGap(String node, boolean lost, List<KindGap> kinds, List<Holder> own, int others,
                          SortedMap<String, Long> otherAmounts, List<Release> releases, List<Window> bookings,
                          Long fitsAt) {
        long missing() {
            return kinds.stream().mapToLong(KindGap::missing).sum();
        }
    }

    /**
     * One lock of the bundle.
     *
     * @param lock    its name
     * @param permits its permits
     * @param held    permits held
     * @param own     the tenant's claims holding it
     * @param others  other tenants' claims holding it
     * @param freesAt when the first hold is expected to end, {@code null} if unknown
     */
    public record LockGap(String lock, long permits, long held, List<String> own, int others, Long freesAt) {
    }

    /**
     * What a purchase now would cost for the claim's lease.
     *
     * @param missing    the quota it lacks, per kind
     * @param spotCost   that at the spot price
     * @param urgentCost the whole bundle at the urgent price
     */
    public record Purchase(SortedMap<String, Long> missing, long spotCost, long urgentCost) {
    }

    /**
     * An explanation; everything but the claim is {@code null} unless it waits.
     *
     * @param claim    the claim
     * @param queue    its place in the queue
     * @param quota    its tenant's quota per kind
     * @param nodes    the nodes, closest to fitting first
     * @param locks    its locks
     * @param purchase what buying would cost
     */
    public record Explanation(Claim claim, Queue queue, List<QuotaGap> quota, List<NodeGap> nodes,
                              List<LockGap> locks, Purchase purchase) {
    }

    /** Explains {@code c} on {@code in} (which may be {@code null} for a claim that does not wait). */
    public static Explanation of(Claim c, Input in) {
        if (c.state() != ClaimState.QUEUED) {
            return new Explanation(c, null, null, null, null, null);
        }
        long until = in.now() + c.leaseSeconds() * 1000;
        return new Explanation(c, queue(c, in), quota(c, in, until), nodes(c, in, until), locks(c, in),
                purchase(c, in));
    }

    private static boolean own(Claim c, String holder, Input in) {
        return c.tenant().equals(in.holders().get(holder));
    }

    private static Queue queue(Claim c, Input in) {
        List<Claim> q = in.queue();
        int at = -1;
        for (int i = 0; i < q.size(); i++) {
            if (q.get(i).id().equals(c.id())) {
                at = i;
                break;
            }
        }
        List<String> aheadOwn = new ArrayList<>();
        List<String> overOwn = new ArrayList<>();
        int aheadOthers = 0;
        int overOthers = 0;
        for (int i = 0; i < at; i++) {
            Claim x = q.get(i);
            boolean younger = x.createdAt() > c.createdAt()
                    || (x.createdAt() == c.createdAt() && x.id().compareTo(c.id()) > 0);
            if (x.tenant().equals(c.tenant())) {
                aheadOwn.add(x.id());
                if (younger) {
                    overOwn.add(x.id());
                }
            } else {
                aheadOthers++;
                overOthers += younger ? 1 : 0;
            }
        }
        return new Queue(at < 0 ? null : at + 1, q.size(), aheadOwn, aheadOthers, overOwn, overOthers);
    }

    private static List<QuotaGap> quota(Claim c, Input in, long until) {
        List<QuotaGap> out = new ArrayList<>();
        TenantState t = in.tenant();
        if (t == null) {
            return out;
        }
        Holdings others = t.holdings().without(c.id());
        c.bundle().amounts().forEach((kind, asked) -> {
            long entitled = t.entitlement(kind, false);
            long used = others.granted(kind);
            long booked = t.holdings().bookedPeak(kind, in.now(), until, c.id());
            long missing = Math.max(0, used + booked + asked - entitled);
            out.add(new QuotaGap(kind, asked, entitled, used, booked, missing));
        });
        return out;
    }

    private static List<NodeGap> nodes(Claim c, Input in, long until) {
        List<NodeGap> out = new ArrayList<>();
        if (!c.bundle().nodeLocal()) {
            return out;
        }
        Forecast f = Forecast.of(in.now(), Hints.HORIZON_MILLIS, in.nodes(), null, in.deadlines());
        for (NodeState n : new TreeMap<>(in.nodes()).values()) {
            if (c.requestedNode() == null || c.requestedNode().equals(n.node())) {
                out.add(node(c, n, in, until, f));
            }
        }
        out.sort(Comparator.comparing(NodeGap::lost).thenComparingLong(NodeGap::missing).thenComparing(NodeGap::node));
        return out.size() > MAX_NODES ? List.copyOf(out.subList(0, MAX_NODES)) : out;
    }

    private static NodeGap node(Claim c, NodeState n, Input in, long until, Forecast f) {
        SortedMap<String, Long> b = c.bundle().amounts();
        Holdings others = n.holdings().without(c.id());
        List<KindGap> kinds = new ArrayList<>();
        b.forEach((kind, asked) -> {
            long booked = n.holdings().bookedPeak(kind, in.now(), until, c.id());
            long room = n.capacity(kind) - others.granted(kind) - n.withheld(kind) - booked;
            long missing = n.lost() ? asked : Math.max(0, asked - Math.max(0, room));
            kinds.add(new KindGap(kind, asked, n.capacity(kind), n.free(kind), booked, missing, n.overcommitted(kind)));
        });
        List<Holder> own = new ArrayList<>();
        int othersCount = 0;
        TreeMap<String, Long> otherAmounts = new TreeMap<>();
        TreeMap<Long, TreeMap<String, Long>> releases = new TreeMap<>();
        for (var e : others.holders().entrySet()) {
            SortedMap<String, Long> held = Forecast.only(e.getValue().amounts(), b);
            if (held.isEmpty()) {
                continue;
            }
            Long deadline = in.deadlines().get(e.getKey());
            if (own(c, e.getKey(), in)) {
                own.add(new Holder(e.getKey(), held, deadline));
            } else {
                othersCount++;
                held.forEach((k, v) -> otherAmounts.merge(k, v, Math::addExact));
            }
            if (deadline != null) {
                TreeMap<String, Long> at = releases.computeIfAbsent(deadline, x -> new TreeMap<>());
                held.forEach((k, v) -> at.merge(k, v, Math::addExact));
            }
        }
        List<Release> rel = new ArrayList<>();
        releases.entrySet().stream().limit(MAX_RELEASES).forEach(e -> rel.add(new Release(e.getKey(), e.getValue())));
        List<Window> bookings = new ArrayList<>();
        n.holdings().bookings().forEach((copy, bk) -> {
            SortedMap<String, Long> amounts = Forecast.only(bk.amounts(), b);
            if (!copy.equals(c.id()) && !amounts.isEmpty() && bk.overlaps(in.now(), until)) {
                bookings.add(new Window(bk.start(), bk.end(), amounts));
            }
        });
        bookings.sort(Comparator.comparingLong(Window::from).thenComparingLong(Window::to));
        return new NodeGap(n.node(), n.lost(), kinds, own, othersCount, otherAmounts, rel, bookings,
                fitsAt(f, f.nodes.get(n.node()), b, c.leaseSeconds() * 1000));
    }

    private static Long fitsAt(Forecast f, Forecast.Place p, Map<String, Long> b, long dur) {
        int tried = 0;
        for (Long t = f.now; t != null && tried++ < Hints.MAX_MOMENTS; t = f.next(t)) {
            if (f.fits(p, b, t, dur) >= 1) {
                return t;
            }
        }
        return null;
    }

    private static List<LockGap> locks(Claim c, Input in) {
        List<LockGap> out = new ArrayList<>();
        for (String name : c.bundle().locks()) {
            LockState l = in.locks().get(name);
            if (l == null) {
                continue;
            }
            List<String> own = new ArrayList<>();
            int others = 0;
            Long first = null;
            for (String holder : l.holdings().holders().keySet()) {
                if (holder.equals(c.id())) {
                    continue;
                }
                if (own(c, holder, in)) {
                    own.add(holder);
                } else {
                    others++;
                }
                Long d = in.deadlines().get(holder);
                if (d != null && (first == null || d < first)) {
                    first = d;
                }
            }
            out.add(new LockGap(name, l.permits(), l.granted(), own, others, first));
        }
        return out;
    }

    private static Purchase purchase(Claim c, Input in) {
        TreeMap<String, Long> missing = new TreeMap<>();
        TenantState t = in.tenant();
        if (t != null) {
            Holdings others = t.holdings().without(c.id());
            c.bundle().amounts().forEach((kind, asked) -> {
                long lack = others.granted(kind) + asked - t.entitlement(kind, false);
                if (lack > 0) {
                    missing.put(kind, lack);
                }
            });
        }
        long spotCost = 0;
        for (var e : missing.entrySet()) {
            spotCost = Math.addExact(spotCost, MarketOrder.cost(in.spot().getOrDefault(e.getKey(), 0L), e.getValue(),
                    c.leaseSeconds()));
        }
        long urgentCost = 0;
        for (var e : c.bundle().amounts().entrySet()) {
            urgentCost = Math.addExact(urgentCost, MarketOrder.cost(in.urgent().getOrDefault(e.getKey(), 0L),
                    e.getValue(), c.leaseSeconds()));
        }
        return new Purchase(missing, spotCost, urgentCost);
    }
}
