package io.ichiba.ledger;

import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.market.MarketOrder;
import io.ichiba.ledger.pool.Amounts;
import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.tenant.TenantState;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Placement hints: where a stage of N tasks × a bundle could run, how many tasks fit now and by a deadline, at what
 * price and after what wait — and, for a DAG of stages, a plan of which stages start now, where, and when the others
 * could. A pure function of a {@link Snapshot}: it reserves nothing and changes nothing.
 *
 * <h2>The forecast</h2>
 * Each node's pools are taken as they are now; each hold ends at its claim's lease deadline (as if not renewed) or
 * preemption, each reservation's booking takes its capacity over its window, capacity and withheld amounts stay as
 * reported. A task fits on a node at a moment {@code t} if its bundle fits there for the stage's {@code leaseSeconds}
 * from {@code t}: now by the admission loop's rule (held + withheld + booked before the lease would end), later by
 * the timeline (see {@code Forecast}). The claims queued for capacity go first: each is placed, on its node or the
 * tightest node that fits, at the first moment it fits, as if nothing else arrived. A stage funded by {@code QUOTA}
 * is also limited by the tenant's free entitlement (quota + borrowed − lent − offered − held − booked), which frees
 * up as the tenant's own holds end; a stage that may {@code BUY} is not (what it lacks would be bought at the spot
 * price). Moments are tried up to {@link #HORIZON_MILLIS} ahead.
 *
 * <h2>The ranking rule (one stage)</h2>
 * Nodes are put in four groups, in this order:
 * <ol>
 *   <li>at least one task fits now: data-local nodes (named in {@code prefer}) first, then more tasks fitting now
 *       first (counted up to the stage's {@code tasks}, so every node that takes the whole stage ties), then more
 *       tasks fitting by the deadline, then node id;</li>
 *   <li>nothing fits now, but a task fits later within the horizon: earliest first, then data-local first, then more
 *       tasks fitting by the deadline, then node id;</li>
 *   <li>nothing fits within the horizon (too small, held for ever, booked): data-local first, then node id;</li>
 *   <li>lost nodes, by node id.</li>
 * </ol>
 * The price per task-hour (the spot price of each kind × the bundle's amount, summed) is reported for every node
 * but does not enter the rank: spot prices are per kind, cluster-wide, so it is the same on every node today. Each
 * node's {@code reason} names why it stands where it does: {@code lost}, {@code over-committed},
 * {@code reserved from <time>} (a booking takes capacity a task would need now), {@code too small},
 * {@code data-local}, {@code fits all now} / {@code fits N now}, {@code frees at <time>}, {@code no release known}.
 *
 * <h2>The plan (several stages)</h2>
 * Stages run after the stages they name in {@code after} have ended. The plan simulates, moment by moment: at each
 * moment the ready stages, in topological order (ties in the request's order), place as many of their remaining
 * tasks as fit, going down the ranking above (data-local, then most room, then id); each placed task holds its
 * bundle for the stage's {@code leaseSeconds}; a stage ends when its last task does. The answer gives each stage's
 * first start and its tasks per node at that moment, when its last task starts and ends, and how many start by the
 * deadline.
 */
public final class Hints {
    /** How far ahead the forecast looks: 30 days. */
    public static final long HORIZON_MILLIS = 30L * 24 * 3600 * 1000;
    /** The most tasks one stage may name. */
    public static final long MAX_TASKS = 1_000_000;
    /** The most stages one plan may name. */
    public static final int MAX_STAGES = 64;
    /** The most moments a forecast tries before it gives up (the rest is "beyond the horizon"). */
    static final int MAX_MOMENTS = 20_000;

    private Hints() {
    }

    /**
     * One stage of a batch job: {@code tasks} copies of {@code bundle}.
     *
     * @param name         its name in a plan ({@code null} for a single stage)
     * @param tasks        how many tasks, 1 to {@link #MAX_TASKS}
     * @param bundle       node-local kind to amount, per task
     * @param leaseSeconds how long each task holds its bundle (the lease its claim would ask for)
     * @param prefer       data-local nodes, best first
     * @param after        names of the stages that must end before it starts
     */
    public record Stage(String name, long tasks, SortedMap<String, Long> bundle, long leaseSeconds,
                        List<String> prefer, List<String> after) {
        /** Validates the numbers and normalises the lists. */
        public Stage {
            if (tasks < 1 || tasks > MAX_TASKS) {
                throw new IllegalArgumentException("tasks must be between 1 and " + MAX_TASKS + ", was " + tasks);
            }
            bundle = Amounts.of(bundle);
            if (bundle.isEmpty()) {
                throw new IllegalArgumentException("bundle is empty: name at least one node-local kind");
            }
            Amounts.requirePositive(bundle, "bundle");
            if (leaseSeconds < 1) {
                throw new IllegalArgumentException("leaseSeconds must be at least 1, was " + leaseSeconds);
            }
            prefer = prefer == null ? List.of() : List.copyOf(prefer);
            after = after == null ? List.of() : List.copyOf(after);
        }

        long leaseMillis() {
            return leaseSeconds * 1000;
        }
    }

    /**
     * The state hints are computed on.
     *
     * @param now       epoch millis
     * @param nodes     every node
     * @param tenant    the asking tenant (its entitlement limits a stage funded by quota), or {@code null}
     * @param deadlines claim id to when its hold ends ({@link Reservations#deadlines()})
     * @param spot      kind to spot price per unit-hour (a kind absent costs 0)
     * @param queue     the admission queue, in admission order ({@link Admission#queue(long)})
     */
    public record Snapshot(long now, Map<String, NodeState> nodes, TenantState tenant, Map<String, Long> deadlines,
                           Map<String, Long> spot, List<Claim> queue) {
        /** Copies nothing; nulls become empty. */
        public Snapshot {
            nodes = nodes == null ? Map.of() : nodes;
            deadlines = deadlines == null ? Map.of() : deadlines;
            spot = spot == null ? Map.of() : spot;
            queue = queue == null ? List.of() : queue;
        }

        /** Reads the snapshot for {@code tenant} (may be {@code null}) from the ledger. */
        public static Snapshot of(Ledger ledger, String tenant) {
            long now = ledger.clock().millis();
            Map<String, Long> spot = new TreeMap<>();
            ledger.kinds().forEach(k -> spot.put(k, ledger.exchange().spot(k)));
            return new Snapshot(now, ledger.store().nodes().entries(),
                    tenant == null ? null : ledger.store().tenants().get(tenant), ledger.reservations().deadlines(),
                    spot, new Admission(ledger).queue(now));
        }
    }

    /**
     * One node, ranked for a stage.
     *
     * @param node             node id
     * @param rank             1 for the best
     * @param preferred        whether the stage prefers it (data-local)
     * @param lost             whether the node is lost
     * @param fitsNow          tasks that fit now
     * @param fitsByDeadline   the most tasks that fit at once at some moment up to the deadline ({@code null} without)
     * @param earliestAt       first moment one task fits (now if it fits now), {@code null} if none in the horizon
     * @param waitSeconds      seconds until then, rounded up, {@code null} if none
     * @param pricePerTaskHour minor units one task's bundle costs per hour at the spot prices
     * @param reason           why it ranks where it does
     */
    public record NodeHint(String node, int rank, boolean preferred, boolean lost, long fitsNow, Long fitsByDeadline,
                           Long earliestAt, Long waitSeconds, long pricePerTaskHour, String reason) {
    }

    /**
     * The answer for one stage.
     *
     * @param tasks            tasks asked
     * @param pricePerTaskHour minor units per task-hour at the spot prices
     * @param quotaTasks       tasks the tenant's free entitlement covers now ({@code null} unless funded by quota)
     * @param startNow         tasks that can start now, placed down the ranking (and within quota)
     * @param placement        node to tasks placed now
     * @param earliestAt       first moment at least one task can start, {@code null} if none in the horizon
     * @param nodes            every node, best first
     */
    public record StageHint(long tasks, long pricePerTaskHour, Long quotaTasks, long startNow,
                            SortedMap<String, Long> placement, Long earliestAt, List<NodeHint> nodes) {
    }

    /**
     * One stage of a plan.
     *
     * @param name             its name
     * @param tasks            tasks asked
     * @param after            the stages it waits for
     * @param startNow         whether some of its tasks start now
     * @param startsAt         when its first tasks start, {@code null} if not within the horizon
     * @param placement        node to tasks started at {@code startsAt}
     * @param allStartedAt     when its last task starts, {@code null} if not within the horizon
     * @param endsAt           when its last task ends, {@code null} if not within the horizon
     * @param byDeadline       tasks started by the deadline ({@code null} without one)
     * @param waitSeconds      seconds until {@code startsAt}, rounded up
     * @param pricePerTaskHour minor units per task-hour at the spot prices
     * @param reason           a short summary
     */
    public record PlannedStage(String name, long tasks, List<String> after, boolean startNow, Long startsAt,
                               SortedMap<String, Long> placement, Long allStartedAt, Long endsAt, Long byDeadline,
                               Long waitSeconds, long pricePerTaskHour, String reason) {
    }

    /**
     * A plan of stages.
     *
     * @param at     when it was computed (epoch millis)
     * @param stages the stages, in the order they were asked
     */
    public record Plan(long at, List<PlannedStage> stages) {
    }

    // ---------------------------------------------------------------- validation

    /**
     * Checks stages against the known kinds and nodes: every kind known ({@code UNKNOWN_KIND}), every preferred node
     * known ({@code NO_SUCH_NODE}), the deadline after {@code now} ({@code INVALID}); in a plan, names present and
     * distinct, every {@code after} naming another stage, and no cycle ({@code INVALID}). Returns {@code null} when
     * they are fine.
     */
    public static Rejection validate(List<Stage> stages, boolean plan, Set<String> kinds, Set<String> nodes,
                                     Long deadline, long now) {
        if (deadline != null && deadline <= now) {
            return Rejection.of(Rejection.Code.INVALID, "deadline " + Instant.ofEpochMilli(deadline)
                    + " is not in the future (now " + Instant.ofEpochMilli(now) + ")");
        }
        if (stages.isEmpty() || stages.size() > MAX_STAGES) {
            return Rejection.of(Rejection.Code.INVALID, "a plan names 1 to " + MAX_STAGES + " stages, not "
                    + stages.size());
        }
        Set<String> names = new HashSet<>();
        for (Stage s : stages) {
            String where = s.name() == null ? "stage" : "stage " + s.name();
            for (String kind : s.bundle().keySet()) {
                if (!kinds.contains(kind)) {
                    return Rejection.of(Rejection.Code.UNKNOWN_KIND, where + ": no kind named " + kind);
                }
            }
            for (String node : s.prefer()) {
                if (!nodes.contains(node)) {
                    return Rejection.of(Rejection.Code.NO_SUCH_NODE, where + ": prefer names node " + node
                            + ", which no agent has reported");
                }
            }
            if (plan && (s.name() == null || !names.add(s.name()))) {
                return Rejection.of(Rejection.Code.INVALID, s.name() == null ? "every stage of a plan needs a name"
                        : "two stages are named " + s.name());
            }
        }
        if (plan) {
            for (Stage s : stages) {
                for (String a : s.after()) {
                    if (!names.contains(a) || a.equals(s.name())) {
                        return Rejection.of(Rejection.Code.INVALID, "stage " + s.name() + " runs after "
                                + (a.equals(s.name()) ? "itself" : "an unknown stage " + a));
                    }
                }
            }
            if (order(stages) == null) {
                return Rejection.of(Rejection.Code.INVALID, "the stages' after lists form a cycle");
            }
        }
        return null;
    }

    /** The stages in topological order (ties in the given order), or {@code null} if {@code after} has a cycle. */
    static List<Stage> order(List<Stage> stages) {
        Map<String, Stage> byName = new LinkedHashMap<>();
        stages.forEach(s -> byName.put(s.name(), s));
        List<Stage> out = new ArrayList<>();
        Set<String> done = new HashSet<>();
        while (out.size() < stages.size()) {
            Stage next = null;
            for (Stage s : stages) {
                if (!done.contains(s.name()) && done.containsAll(s.after())) {
                    next = s;
                    break;
                }
            }
            if (next == null) {
                return null;
            }
            done.add(next.name());
            out.add(next);
        }
        return out;
    }

    // ---------------------------------------------------------------- one stage

    /** Ranks every node for {@code stage} by the rule in the class comment; {@code quotaFunded} limits by quota. */
    public static StageHint rank(Snapshot s, Stage stage, Long deadline, boolean quotaFunded) {
        Forecast f = forecast(s, quotaFunded);
        long now = s.now();
        long dur = stage.leaseMillis();
        long price = price(s.spot(), stage.bundle());
        List<NodeHint> hints = new ArrayList<>();
        for (Forecast.Place p : f.nodes.values()) {
            hints.add(hint(f, p, s.nodes().get(p.id), stage, deadline, price));
        }
        hints.sort(ranking(stage));
        List<NodeHint> ranked = new ArrayList<>();
        for (int i = 0; i < hints.size(); i++) {
            NodeHint h = hints.get(i);
            ranked.add(new NodeHint(h.node(), i + 1, h.preferred(), h.lost(), h.fitsNow(), h.fitsByDeadline(),
                    h.earliestAt(), h.waitSeconds(), h.pricePerTaskHour(), h.reason()));
        }
        Long quotaTasks = f.quota == null ? null : f.fits(f.quota, stage.bundle(), now, dur);
        SortedMap<String, Long> placement = place(f, stage, stage.tasks(), now);
        long startNow = placement.values().stream().mapToLong(Long::longValue).sum();
        Long earliest = startNow > 0 ? Long.valueOf(now) : null;
        int tried = 0;
        for (Long t = f.next(now); earliest == null && t != null && tried++ < MAX_MOMENTS; t = f.next(t)) {
            if (fitsSomewhere(f, stage, t)) {
                earliest = t;
            }
        }
        return new StageHint(stage.tasks(), price, quotaTasks, startNow, placement, earliest, ranked);
    }

    private static boolean fitsSomewhere(Forecast f, Stage stage, long t) {
        if (f.quota != null && f.fits(f.quota, stage.bundle(), t, stage.leaseMillis()) < 1) {
            return false;
        }
        return f.nodes.values().stream().anyMatch(p -> f.fits(p, stage.bundle(), t, stage.leaseMillis()) >= 1);
    }

    private static NodeHint hint(Forecast f, Forecast.Place p, NodeState n, Stage stage, Long deadline, long price) {
        long now = f.now;
        long dur = stage.leaseMillis();
        SortedMap<String, Long> b = stage.bundle();
        boolean preferred = stage.prefer().contains(p.id);
        long fitsNow = f.fits(p, b, now, dur);
        Long earliest = fitsNow > 0 ? Long.valueOf(now) : null;
        Long byDeadline = deadline == null ? null : fitsNow;
        int tried = 0;
        for (Long t = f.next(now); t != null && tried++ < MAX_MOMENTS; t = f.next(t)) {
            boolean beforeDeadline = deadline != null && t <= deadline;
            if (earliest != null && !beforeDeadline) {
                break;
            }
            long fits = f.fits(p, b, t, dur);
            if (earliest == null && fits > 0) {
                earliest = t;
            }
            if (beforeDeadline) {
                byDeadline = Math.max(byDeadline, fits);
            }
        }
        Long wait = earliest == null ? null : ceilSeconds(earliest - now);
        return new NodeHint(p.id, 0, preferred, p.lost, fitsNow, byDeadline, earliest, wait, price,
                reason(f, p, n, stage, fitsNow, earliest, preferred));
    }

    private static String reason(Forecast f, Forecast.Place p, NodeState n, Stage stage, long fitsNow, Long earliest,
                                 boolean preferred) {
        if (p.lost) {
            return "lost";
        }
        List<String> why = new ArrayList<>();
        SortedMap<String, Long> b = stage.bundle();
        if (b.keySet().stream().anyMatch(n::overcommitted)) {
            why.add("over-committed");
        }
        if (b.entrySet().stream().anyMatch(e -> n.capacity(e.getKey()) < e.getValue())) {
            why.add("too small");
        }
        long dur = stage.leaseMillis();
        if (f.fits(p, b, f.now, dur, false) > fitsNow) {
            Long from = Forecast.firstBookingStart(p, b, f.now, f.now + dur);
            why.add("reserved from " + Instant.ofEpochMilli(from == null ? f.now : from));
        }
        if (preferred) {
            why.add("data-local");
        }
        if (fitsNow >= stage.tasks()) {
            why.add("fits all now");
        } else if (fitsNow > 0) {
            why.add("fits " + fitsNow + " now");
        } else if (earliest != null) {
            why.add("frees at " + Instant.ofEpochMilli(earliest));
        } else if (why.isEmpty()) {
            why.add("no release known");
        }
        return String.join(", ", why);
    }

    /** The ranking rule of the class comment. */
    private static Comparator<NodeHint> ranking(Stage stage) {
        return Comparator.<NodeHint>comparingInt(h -> group(h))
                .thenComparing((x, y) -> group(x) == 1 ? Long.compare(x.earliestAt(), y.earliestAt()) : 0)
                .thenComparing(h -> !h.preferred())
                .thenComparing(h -> -Math.min(h.fitsNow(), stage.tasks()))
                .thenComparing(h -> h.fitsByDeadline() == null ? 0 : -h.fitsByDeadline())
                .thenComparing(NodeHint::node);
    }

    private static int group(NodeHint h) {
        if (h.lost()) {
            return 3;
        }
        if (h.fitsNow() > 0) {
            return 0;
        }
        return h.earliestAt() != null ? 1 : 2;
    }

    // ---------------------------------------------------------------- plans

    /** Plans {@code stages} (validated) by the simulation in the class comment. */
    public static Plan plan(Snapshot s, List<Stage> stages, Long deadline, boolean quotaFunded) {
        Forecast f = forecast(s, quotaFunded);
        long now = s.now();
        List<Stage> order = order(stages);
        Map<String, Progress> progress = new LinkedHashMap<>();
        stages.forEach(st -> progress.put(st.name(), new Progress(st.tasks())));
        int tried = 0;
        for (Long t = now; t != null && tried++ < MAX_MOMENTS; t = f.next(t)) {
            boolean pending = false;
            for (Stage st : order) {
                Progress p = progress.get(st.name());
                if (p.remaining == 0) {
                    continue;
                }
                pending = true;
                if (!ready(st, progress, t)) {
                    continue;
                }
                SortedMap<String, Long> placed = place(f, st, p.remaining, t);
                long n = placed.values().stream().mapToLong(Long::longValue).sum();
                if (n == 0) {
                    continue;
                }
                if (p.startsAt == null) {
                    p.startsAt = t;
                    p.placement = placed;
                }
                p.remaining -= n;
                p.endsAt = Math.max(p.endsAt == null ? 0 : p.endsAt, t + st.leaseMillis());
                if (deadline != null && t <= deadline) {
                    p.byDeadline += n;
                }
                if (p.remaining == 0) {
                    p.allStartedAt = t;
                    f.moments.add(p.endsAt); // its dependants may start then
                }
            }
            if (!pending) {
                break;
            }
        }
        List<PlannedStage> out = new ArrayList<>();
        for (Stage st : stages) {
            Progress p = progress.get(st.name());
            boolean all = p.remaining == 0;
            out.add(new PlannedStage(st.name(), st.tasks(), st.after(), p.startsAt != null && p.startsAt == now,
                    p.startsAt, p.placement, p.allStartedAt, all ? p.endsAt : null,
                    deadline == null ? null : p.byDeadline,
                    p.startsAt == null ? null : ceilSeconds(p.startsAt - now), price(s.spot(), st.bundle()),
                    summary(st, p, now, progress)));
        }
        return new Plan(now, out);
    }

    /** Where a stage stands in the simulation. */
    private static final class Progress {
        long remaining;
        Long startsAt;
        SortedMap<String, Long> placement = new TreeMap<>();
        Long allStartedAt;
        Long endsAt;
        long byDeadline;

        Progress(long tasks) {
            this.remaining = tasks;
        }
    }

    private static boolean ready(Stage st, Map<String, Progress> progress, long t) {
        for (String a : st.after()) {
            Progress p = progress.get(a);
            if (p.remaining > 0 || p.endsAt > t) {
                return false;
            }
        }
        return true;
    }

    private static String summary(Stage st, Progress p, long now, Map<String, Progress> progress) {
        if (p.startsAt == null) {
            boolean blocked = st.after().stream().anyMatch(a -> progress.get(a).remaining > 0);
            return blocked ? "waits for " + String.join(", ", st.after()) + ", which do not all start within the "
                    + "horizon" : "does not fit within the horizon";
        }
        String start = p.startsAt == now ? "starts now" : "starts at " + Instant.ofEpochMilli(p.startsAt)
                + (st.after().isEmpty() ? ", when capacity frees" : ", after " + String.join(", ", st.after()));
        return p.remaining == 0 ? start : start + "; " + p.remaining + " tasks not started within the horizon";
    }

    // ---------------------------------------------------------------- shared

    /** The forecast of the snapshot, with the capacity-waiting queue placed first. */
    private static Forecast forecast(Snapshot s, boolean quotaFunded) {
        Forecast f = Forecast.of(s.now(), HORIZON_MILLIS, s.nodes(), quotaFunded ? s.tenant() : null, s.deadlines());
        placeQueue(f, s.queue(), s.tenant() == null ? null : s.tenant().id());
        return f;
    }

    /**
     * Places each queued claim that waits for node capacity at the first moment it fits: on its node, or on the node
     * where it fits the fewest times (the tightest, as the admission loop's best fit), ties by id.
     */
    private static void placeQueue(Forecast f, List<Claim> queue, String tenant) {
        Deque<Claim> waiting = new ArrayDeque<>();
        for (Claim c : queue) {
            if (c.bundle().nodeLocal() && waitsForCapacity(c.reason())) {
                waiting.add(c);
            }
        }
        int tried = 0;
        for (Long t = f.now; t != null && !waiting.isEmpty() && tried++ < MAX_MOMENTS; t = f.next(t)) {
            for (var it = waiting.iterator(); it.hasNext(); ) {
                Claim c = it.next();
                long dur = c.leaseSeconds() * 1000;
                Forecast.Place best = null;
                long bestFits = Long.MAX_VALUE;
                for (Forecast.Place p : f.nodes.values()) {
                    if (c.requestedNode() != null && !c.requestedNode().equals(p.id)) {
                        continue;
                    }
                    long fits = f.fits(p, c.bundle().amounts(), t, dur);
                    if (fits >= 1 && fits < bestFits) {
                        best = p;
                        bestFits = fits;
                    }
                }
                if (best != null) {
                    f.hold(best, c.bundle().amounts(), 1, t, dur);
                    if (f.quota != null && c.tenant().equals(tenant)) {
                        f.hold(f.quota, c.bundle().amounts(), 1, t, dur);
                    }
                    it.remove();
                }
            }
        }
    }

    private static boolean waitsForCapacity(String reason) {
        return reason == null || switch (reason) {
            case "INSUFFICIENT_CAPACITY", "OVERCOMMITTED", "RESERVED", "BACKFILL_BLOCKED" -> true;
            default -> false;
        };
    }

    /**
     * Places up to {@code wanted} tasks of {@code stage} at {@code t} down the ranking (data-local first, then most
     * room, then id), within the quota if the forecast has one, and holds them in the forecast.
     */
    private static SortedMap<String, Long> place(Forecast f, Stage stage, long wanted, long t) {
        long dur = stage.leaseMillis();
        SortedMap<String, Long> b = stage.bundle();
        long allowed = f.quota == null ? wanted : Math.min(wanted, f.fits(f.quota, b, t, dur));
        Map<String, Long> room = new HashMap<>();
        List<Forecast.Place> candidates = new ArrayList<>();
        for (Forecast.Place p : f.nodes.values()) {
            long fits = f.fits(p, b, t, dur);
            if (fits > 0) {
                room.put(p.id, fits);
                candidates.add(p);
            }
        }
        candidates.sort(Comparator.<Forecast.Place, Boolean>comparing(p -> !stage.prefer().contains(p.id))
                .thenComparing(p -> -Math.min(room.get(p.id), wanted)).thenComparing(p -> p.id));
        SortedMap<String, Long> placed = new TreeMap<>();
        long left = allowed;
        for (Forecast.Place p : candidates) {
            if (left == 0) {
                break;
            }
            long n = Math.min(left, room.get(p.id));
            f.hold(p, b, n, t, dur);
            placed.put(p.id, n);
            left -= n;
        }
        if (f.quota != null) {
            f.hold(f.quota, b, allowed - left, t, dur);
        }
        return placed;
    }

    /** Minor units one copy of {@code bundle} costs per hour at {@code spot}. */
    static long price(Map<String, Long> spot, Map<String, Long> bundle) {
        long sum = 0;
        for (var e : bundle.entrySet()) {
            sum = Math.addExact(sum, MarketOrder.cost(spot.getOrDefault(e.getKey(), 0L), e.getValue(), 3600));
        }
        return sum;
    }

    private static long ceilSeconds(long millis) {
        return Math.max(0, (millis + 999) / 1000);
    }
}
