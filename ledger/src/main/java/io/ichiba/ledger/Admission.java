package io.ichiba.ledger;

import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimCommands;
import io.ichiba.ledger.claim.ClaimFilters;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.claim.Funding;
import io.ichiba.ledger.pool.LockState;
import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.pool.PlaceCommands.HoldFor;
import io.ichiba.ledger.pool.PlaceCommands.ReturnFor;
import io.ichiba.ledger.store.Store;
import io.ichiba.ledger.store.Table;
import io.ichiba.ledger.tenant.TenantState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;

/**
 * The admission loop's work: grants queued claims, all or nothing, in queue order. One instance runs at a
 * time in the cluster (the broker runs it on the owner of a fixed partition), like an exchange's matching
 * thread; correctness does not depend on that, only fairness does: every hold checks capacity atomically.
 *
 * <h2>Queue order</h2>
 * Effective priority = priority + (waiting time / aging step); higher first, then older first, then id.
 * A claim that does not fit is skipped and smaller ones behind it may be granted (backfill) — until it has
 * waited longer than the starvation bound: from then on no claim behind it may take what it needs and lacks (a
 * pool it is short of on a node it may use, a lock without a free permit), so releases accumulate until it fits.
 * A large claim is therefore granted after at most the starvation bound plus the longest lease among the holders
 * it waits for.
 *
 * <h2>Grant of one claim</h2>
 * <pre>
 *   tenant: hold quota (claim, n)                        HoldFor   -- refused? the holds placed are returned
 *   node:   hold every node-local kind (claim, n)        HoldFor   -- refused? the holds placed are returned
 *   locks:  hold one permit each (claim, n)              HoldFor   -- refused? the holds placed are returned
 *   claim: QUEUED -> GRANTED (grant n, node)             Grant
 * </pre>
 * All in the command that runs the pass (or the intake): the engine journals the whole grant or none of it, so no
 * claim is ever seen, kept or taken over half granted (laws 1, 2, 7). Holds carry the grant's number.
 */
public final class Admission {
    private static final Logger LOG = LoggerFactory.getLogger(Admission.class);

    private static final ClaimFilters.ClaimIn QUEUED = new ClaimFilters.ClaimIn(Set.of(ClaimState.QUEUED));

    /**
     * How long after a full pass others may be skipped or partial, at most: a full pass runs at least this often. What
     * only a full pass sees is what time alone changes: why a claim waits when a reservation's window comes closer.
     */
    static final long FULL_AT_LEAST_EVERY_MILLIS = 10_000;

    private final Ledger ledger;
    private final Store store;
    /** What the last full pass decided on; {@code null} before the first, or when nothing may be taken from it. */
    private Seen seen;

    /**
     * What a full pass decided on: the versions of the tables a claim's fit depends on, when, the earliest time a
     * claim it left waiting may start to starve, what its starving claims lack, how many claims it left queued,
     * whether the guard held back a claim that fits, and whether it granted any. While the tables are unchanged, no
     * claim left the queue or came into it unseen, no claim starts to starve, little time passed and no claim that
     * fits was held back (time reorders the queue, and with it the guard's effect), another pass would grant nothing:
     * a claim that did not fit still does not, since nothing was given back. A claim admitted alone is checked against
     * what the starving claims lack, so only after a pass that granted nothing after their look.
     */
    private record Seen(long[] versions, long at, long nextStarvingAt, Starving starving, int queued,
                        boolean guarded, boolean grantedAny) {
        /**
         * The same, after a partial pass or a claim admitted alone: the versions it began at ({@link #seenFrom}),
         * when a claim it left waiting starts to starve, the claims left queued, and whether it granted any.
         */
        Seen after(long[] versions, long starvingAt, int stillQueued, boolean granted) {
            return new Seen(versions, at, Math.min(nextStarvingAt, starvingAt), starving, stillQueued, guarded,
                    granted);
        }
    }

    /** Creates the admission work over the ledger's store. */
    public Admission(Ledger ledger) {
        this.ledger = ledger;
        this.store = ledger.store();
    }

    /** The outcome of one pass: the claims granted, how many were looked at, and what kind of pass it was. */
    public record Pass(List<Claim> granted, int considered, Kind kind) {
        /** What a pass looked at. */
        public enum Kind {
            /** Nothing: {@link #admit} left the claim to the next pass. */
            NONE,
            /** The claim just queued, alone ({@link #admit}). */
            ALONE,
            /** Nothing: nothing changed since the last pass. */
            SKIPPED,
            /** The claims the changes since the last pass concern, and the unseen ones. */
            PARTIAL,
            /** The whole queue. */
            FULL
        }
    }

    /**
     * Whether {@code claimId} is the only claim queued: then a pass at once grants it if it fits, and overtakes
     * nobody (the intake of a new claim on the engine uses this).
     */
    public boolean queueIsOnly(String claimId) {
        return !store.claims().any(new ClaimFilters.QueuedOtherThan(claimId));
    }

    /** Returns the queue in admission order at {@code now}. */
    public List<Claim> queue(long now) {
        List<Claim> queued = new ArrayList<>(store.claims().values(
                new ClaimFilters.ClaimIn(Set.of(ClaimState.QUEUED))));
        queued.sort(order(now));
        return queued;
    }

    /** Admission order at {@code now}: urgent first, then by priority after aging, then older first, then by id. */
    private Comparator<Claim> order(long now) {
        long step = ledger.settings().agingMillisPerPriority();
        return Comparator.<Claim, Boolean>comparing(c -> !c.urgent())
                .thenComparingLong(c -> -effectivePriority(c, now, step))
                .thenComparingLong(Claim::createdAt).thenComparing(Claim::id);
    }

    /** Returns the priority of {@code c} after aging. */
    public static long effectivePriority(Claim c, long now, long agingStep) {
        return c.priority() + Math.max(0, now - c.createdAt()) / agingStep;
    }

    /**
     * The versions of the tables whose records decide whether a queued claim fits (nodes, locks and tenants first:
     * {@link #partial} knows which of their records changed), and last of the claims table.
     */
    private long[] versions() {
        return new long[] {store.nodes().version(), store.locks().version(), store.tenants().version(),
                store.reservations().version(), store.loans().version(), store.books().version(),
                store.kinds().version(), store.accounts().version(), store.claims().version()};
    }

    /** How many of {@link #versions} decide whether a claim fits: all but the claims table's. */
    private static final int FIT_TABLES = 8;

    /**
     * What a pass that began at {@code start} remembers: the versions of the tables a claim's fit depends on as they
     * were before it decided anything, so that what its own grants took counts as a change for the claims ahead of them
     * (a full pass now would decide on those after the grants: their reason may differ), and the claims table's as it
     * is now, after its marks.
     */
    private long[] seenFrom(long[] start) {
        long[] v = start.clone();
        v[FIT_TABLES] = store.claims().version();
        return v;
    }

    /**
     * Whether a full pass now would decide what the last one did for every claim it looked at ({@link Seen}), with
     * at most {@code unseen} queued claims it did not look at. Needs a store that counts its changes (the engine's).
     */
    private boolean unchanged(long now, int unseen) {
        Seen s = seen;
        if (s == null || s.guarded() || now - s.at() >= FULL_AT_LEAST_EVERY_MILLIS || now >= s.nextStarvingAt()
                || now < s.at()) {
            return false;
        }
        long[] v = versions();
        for (long x : v) {
            if (x < 0) {
                return false;
            }
        }
        // the queue holds what the pass left waiting and the unseen claims only: none left it (a starving claim
        // cancelled keeps nothing any more)
        return java.util.Arrays.equals(v, 0, FIT_TABLES, s.versions(), 0, FIT_TABLES)
                && store.claims().count(new ClaimFilters.UnseenQueued()) <= unseen
                && store.claims().count(QUEUED) == s.queued() + unseen;
    }

    /**
     * Admits a claim just queued, as part of the command that queued it, when that decides what a pass would: if it
     * is the only claim queued, a pass; else, if nothing changed since the last pass ({@link #unchanged}) and the
     * claim neither buys nor is urgent, the claim alone: granted if it fits and takes nothing a starving claim lacks,
     * else marked waiting with its reason; else, if a partial pass may run ({@link #partial}), that pass: it decides,
     * in queue order, the claims the changes since concern and the unseen ones, this one among them. Otherwise
     * nothing: the next pass decides. So a claim that fits is granted by its own request however long the queue of
     * claims that cannot be granted, and while others come and go (issue 13: admission O(log n)), without overtaking
     * a claim that a release, a report or a new lock let in.
     */
    public Pass admit(String claimId) {
        Claim c = store.claims().get(claimId);
        if (c == null || c.state() != ClaimState.QUEUED || c.considered()) {
            return new Pass(List.of(), 0, Pass.Kind.NONE);
        }
        if (queueIsOnly(claimId)) {
            return pass();
        }
        if (c.urgent() || c.funding().mode() != Funding.Mode.QUOTA) {
            return new Pass(List.of(), 0, Pass.Kind.NONE);
        }
        ledger.reservations().sweep(); // a window that closed frees what it was promised: then not unchanged
        long now = ledger.clock().millis();
        if (!unchanged(now, 1) || seen.grantedAny()) {
            // a pass at once: what the admission loop's next pass would do, in this command
            Pass partial = partial(now, versions());
            return partial != null ? partial : new Pass(List.of(), 0, Pass.Kind.NONE);
        }
        TenantState tenant = store.tenants().get(c.tenant());
        List<Claim> alone = List.of(c);
        Map<String, NodeState> nodes = new LiveNodes(store.nodes());
        Map<String, LockState> locks = read(store.locks(), locksOf(alone));
        Placement.Choice choice = Placement.choose(c, tenant, nodes, locks, now);
        Rejection wait;
        if (!choice.fits()) {
            wait = choice.why();
        } else if (seen.starving().mayTake(c, choice.node())) {
            // it may be ahead of the starving claim, or behind it: a pass decides
            return new Pass(List.of(), 0, Pass.Kind.NONE);
        } else {
            Map<String, TenantState> tenants = new HashMap<>();
            tenants.put(c.tenant(), tenant);
            wait = grant(c, choice.node(), nodes, locks, tenants);
        }
        if (wait == null) {
            // what it took may be what a starving claim now lacks: the next pass looks at every claim again; else
            // another reason for a waiting claim that needs what it took, which a partial pass finds by the records
            // the grant changed (one claim admitted alone per pass: exactly what a pass would grant)
            Seen s = seen;
            seen = s.starving().isEmpty() ? s.after(s.versions(), Long.MAX_VALUE, s.queued(), true) : null;
            return new Pass(List.of(store.claims().get(claimId)), 1, Pass.Kind.ALONE);
        }
        store.claims().execute(c.id(), new ClaimCommands.MarkWaiting(wait.code().name()));
        Seen s = seen;
        seen = new Seen(s.versions(), s.at(), s.nextStarvingAt(), s.starving(), s.queued() + 1, s.guarded(),
                s.grantedAny());
        return new Pass(List.of(), 1, Pass.Kind.ALONE);
    }

    /**
     * Runs one pass over the queue: grants every claim that fits, in order, and records why the others wait. A pass
     * when nothing changed since the last ({@link #unchanged}) is skipped: it would grant nothing and change no
     * reason. A pass after changes the store can name ({@link #partial}) looks only at the claims they concern.
     */
    public Pass pass() {
        ledger.reservations().sweep();
        long now = ledger.clock().millis();
        if (unchanged(now, 0)) {
            return new Pass(List.of(), 0, Pass.Kind.SKIPPED);
        }
        long[] start = versions();
        Pass partial = partial(now, start);
        if (partial != null) {
            return partial;
        }
        seen = null;
        List<Claim> queue = queue(now);
        if (queue.isEmpty()) {
            seen = new Seen(seenFrom(start), now, Long.MAX_VALUE, new Starving(), store.claims().count(QUEUED), false,
                    false);
            return new Pass(List.of(), 0, Pass.Kind.FULL);
        }
        Run run = new Run(now, queue);
        for (Claim c : queue) {
            run.decide(c);
        }
        seen = new Seen(seenFrom(start), now, run.nextStarvingAt, run.starving, store.claims().count(QUEUED),
                run.guarded, !run.granted.isEmpty());
        return new Pass(run.granted, queue.size(), Pass.Kind.FULL);
    }

    /**
     * A pass over the claims that the changes since the last pass began concern, when that decides what a full pass
     * would; {@code null} when it may not, and a full pass must run. It may when the last full pass found no starving
     * claim that keeps anything (then no claim is held back for another, and none starts to starve before
     * {@link Seen#nextStarvingAt}), little time passed, and of the tables a claim's fit depends on only nodes, locks
     * and tenants changed, by records the store can name. A waiting claim none of whose needs ({@link ClaimFilters.QueuedByNeed}) changed does not fit now
     * either, since nothing it needs was given back and a grant before it only takes; so it is left as it is, and the
     * others are decided in queue order as a full pass would. A claim this pass grants changes what it takes: the
     * waiting claims after it that need the same are decided too. A claim that buys, is urgent or is a reservation's
     * copy may depend on anything: while one waits, a change means a full pass. Issue 13: admission looks at what a
     * change concerns, not at the whole queue.
     */
    private Pass partial(long now, long[] v) {
        Seen s = seen;
        if (s == null || s.guarded() || !s.starving().isEmpty() || now - s.at() >= FULL_AT_LEAST_EVERY_MILLIS
                || now >= s.nextStarvingAt() || now < s.at()) {
            return null;
        }
        for (int i = 3; i < FIT_TABLES; i++) {
            if (v[i] < 0 || v[i] != s.versions()[i]) {
                return null;
            }
        }
        Set<String> needs = new HashSet<>();
        needs.add(ClaimFilters.QueuedByNeed.ANY);
        Set<String> nodes = store.nodes().changedSince(s.versions()[0]);
        Set<String> locks = store.locks().changedSince(s.versions()[1]);
        Set<String> tenants = store.tenants().changedSince(s.versions()[2]);
        Set<String> claims = store.claims().changedSince(s.versions()[FIT_TABLES]);
        if (nodes == null || locks == null || tenants == null || claims == null) {
            return null;
        }
        nodes.forEach(n -> needs.add("n:" + n));
        if (!nodes.isEmpty()) {
            needs.add("n:*");
        }
        locks.forEach(l -> needs.add("l:" + l));
        tenants.forEach(t -> needs.add("t:" + t));
        Map<String, Claim> concerned = new HashMap<>();
        for (Claim c : store.claims().values(new ClaimFilters.QueuedNeeding(needs))) {
            concerned.put(c.id(), c);
        }
        for (Claim c : store.claims().values(new ClaimFilters.UnseenQueued())) {
            concerned.put(c.id(), c);
        }
        for (String id : claims) {
            Claim c = store.claims().get(id);
            if (c != null && c.state() == ClaimState.QUEUED) {
                concerned.put(id, c);
            }
        }
        for (Claim c : concerned.values()) {
            if (c.mayDependOnAnything()) {
                return null;
            }
        }
        Comparator<Claim> order = order(now);
        java.util.PriorityQueue<Claim> todo = new java.util.PriorityQueue<>(Math.max(1, concerned.size()), order);
        todo.addAll(concerned.values());
        List<Claim> all = new ArrayList<>(concerned.values());
        Run run = new Run(now, all);
        Set<String> widened = new HashSet<>(needs);
        int considered = 0;
        while (!todo.isEmpty()) {
            Claim c = todo.poll();
            considered++;
            if (!run.decide(c)) {
                continue;
            }
            // what it took: the waiting claims after it that need it are decided now, as a full pass would
            Set<String> took = new HashSet<>();
            new ClaimFilters.QueuedByNeed().keys(c, took::add); // c as it was queued
            if (c.bundle().nodeLocal()) {
                took.add("n:" + store.claims().get(c.id()).node());
                took.add("n:*");
            }
            took.removeAll(widened);
            if (took.isEmpty()) {
                continue;
            }
            widened.addAll(took);
            List<Claim> after = new ArrayList<>();
            for (Claim w : store.claims().values(new ClaimFilters.QueuedNeeding(took))) {
                if (concerned.containsKey(w.id())) {
                    continue;
                }
                if (order.compare(w, c) > 0) {
                    concerned.put(w.id(), w);
                    after.add(w);
                } else {
                    run.decidedAhead(w);
                }
            }
            run.widen(after);
            todo.addAll(after);
        }
        if (run.guarded || !run.starving.isEmpty()) {
            seen = null; // cannot be: no claim starves before nextStarvingAt; a full pass next time, to be sure
        } else {
            seen = s.after(seenFrom(v), run.nextStarvingAt, store.claims().count(QUEUED), !run.granted.isEmpty());
        }
        return new Pass(run.granted, considered, Pass.Kind.PARTIAL);
    }

    /** One pass's work: the snapshot it decides on, and what it found so far. */
    private final class Run {
        final long now;
        /** Every node, read when asked: a grant's holds are seen at once. */
        final Map<String, NodeState> nodes = new LiveNodes(store.nodes());
        final Map<String, LockState> locks;
        final Map<String, TenantState> tenants = new HashMap<>();
        final Starving starving = new Starving();
        final List<Claim> granted = new ArrayList<>();
        final long step = ledger.settings().starvationMillis();
        long nextStarvingAt;
        boolean guarded;
        /**
         * Asks that did not fit in this pass (tenant, bundle, node asked for, lease): grants and the guard only take,
         * so an ask alike later in the pass does not fit either (a purchase or a preemption forgets them).
         */
        final Map<List<Object>, Rejection> didNotFit = new HashMap<>();

        Run(long now, List<Claim> claims) {
            this.now = now;
            this.locks = read(store.locks(), locksOf(claims));
            this.nextStarvingAt = Math.addExact(now, step);
        }

        /**
         * Takes {@code w}, a waiting claim ahead of this pass's grant that the pass leaves as it is, as decided: a full
         * pass would have found it did not fit, for the reason it has, before the grant; a claim alike behind the grant
         * then waits for that reason too ({@link #didNotFit}). (Claims alike need the same: if one of them was
         * concerned by a change, all were, so none alike has been decided in this pass.)
         */
        void decidedAhead(Claim w) {
            List<Object> ask = ask(w);
            if (!w.considered() || w.reason() == null || ask == null) {
                return;
            }
            Rejection.Code code;
            try {
                code = Rejection.Code.valueOf(w.reason());
            } catch (IllegalArgumentException e) {
                return; // not a reason a pass gives (an aborted attempt's): the claim behind is decided afresh
            }
            didNotFit.putIfAbsent(ask, Rejection.of(code, "as " + w.id() + " ahead of it"));
        }

        /**
         * Adds the locks {@code claims} need that the snapshot does not hold yet: read now, they hold the pass's
         * grants.
         */
        void widen(List<Claim> claims) {
            Set<String> moreLocks = locksOf(claims);
            moreLocks.removeAll(locks.keySet());
            locks.putAll(read(store.locks(), moreLocks));
        }

        /** Decides on {@code c}, next in queue order: grants it, or records why it waits. Answers whether granted. */
        boolean decide(Claim c) {
            TenantState tenant = tenants.computeIfAbsent(c.tenant(), store.tenants()::get);
            Rejection wait;
            List<Object> ask = ask(c);
            Rejection known = ask == null ? null : didNotFit.get(ask);
            if (known != null) {
                wait = known;
            } else if (!c.urgent() && c.funding().buys() && starving.mayTake(c, null)) {
                // a purchase is made before the node is known: it waits if any pool it may take is kept
                wait = BACKFILL_BLOCKED;
            } else {
                Placement.Choice choice;
                if (c.funding().buys()) {
                    choice = fund(c, tenant, nodes, locks, tenants, now);
                    starving.changed(); // a preemption may have changed the snapshot
                    didNotFit.clear();
                } else {
                    choice = Placement.choose(c, tenant, nodes, locks, now);
                    if (!choice.fits() && ask != null) {
                        didNotFit.put(ask, choice.why());
                    }
                }
                if (choice.fits() && !c.urgent() && starving.mayTake(c, choice.node())) {
                    wait = BACKFILL_BLOCKED;
                } else {
                    wait = choice.fits() ? grant(c, choice.node(), nodes, locks, tenants) : choice.why();
                    if (wait == null) {
                        granted.add(c);
                        starving.changed();
                        return true;
                    }
                }
            }
            if (!c.considered() || !wait.code().name().equals(c.reason())) {
                store.claims().execute(c.id(), new ClaimCommands.MarkWaiting(wait.code().name()));
            }
            guarded |= wait == BACKFILL_BLOCKED;
            if (now - c.createdAt() >= step && waitsForCapacity(wait)) {
                starving.keepWhatItLacks(c, nodes, locks, now);
            } else if (now - c.createdAt() < step) {
                nextStarvingAt = Math.min(nextStarvingAt, c.createdAt() + step);
            }
            return false;
        }
    }

    /**
     * What decides whether {@code c} fits besides the state (tenant, bundle, node asked for, lease): claims alike fit or
     * not together within a pass. {@code null} for a claim that {@link Claim#mayDependOnAnything} (a reservation's copy is
     * not alike: what was booked for it is free for it alone).
     */
    private static List<Object> ask(Claim c) {
        return c.mayDependOnAnything() ? null
                : java.util.Arrays.asList(c.tenant(), c.bundle(), c.requestedNode(), c.leaseSeconds());
    }

    private static final Rejection BACKFILL_BLOCKED = Rejection.of(Rejection.Code.BACKFILL_BLOCKED,
            "an older claim that has waited past the starvation bound needs what this one would take");

    /**
     * What the starving claims of a pass lack, kept from the claims behind them (the starvation guard). A claim that
     * has waited past the bound keeps only what it needs and lacks: each pool it is short of on each node it may
     * use, and each lock without a free permit. A claim behind it that takes none of those delays nobody and is
     * granted (issue 13, defect 13: ten thousand claims waiting for a lock no longer stop a small claim for memory
     * on a node with room to spare). Whatever it still lacks is kept at the next pass, so releases accumulate until
     * it fits.
     */
    private static final class Starving {
        /** Pools ({@code kind@node}) some starving claim lacks. */
        private final Set<String> pools = new HashSet<>();
        /** Kinds some starving claim lacks on some node. */
        private final Set<String> kinds = new HashSet<>();
        private final Set<String> locks = new HashSet<>();
        /**
         * The asks looked at since the last grant of the pass (bundle, node asked for, lease): a queued claim holds
         * nothing, so what it lacks depends on these and the snapshot alone, and thousands of starving claims alike
         * are looked at once.
         */
        private final Set<List<Object>> looked = new HashSet<>();

        /** Whether no starving claim keeps anything. */
        boolean isEmpty() {
            return pools.isEmpty() && kinds.isEmpty() && locks.isEmpty();
        }

        /** A grant changed the snapshot: what an ask lacks is looked at again. */
        void changed() {
            looked.clear();
        }

        void keepWhatItLacks(Claim c, Map<String, NodeState> nodes, Map<String, LockState> lockStates, long now) {
            if (!looked.add(java.util.Arrays.asList(c.bundle(), c.requestedNode(), c.leaseSeconds()))) {
                return;
            }
            long until = Math.addExact(now, c.leaseSeconds() * 1000);
            for (String name : c.bundle().locks()) {
                LockState l = lockStates.get(name);
                if (l == null || l.checkHold(c.id(), LockState.onePermit(), now, until) != null) {
                    locks.add(name);
                }
            }
            if (!c.bundle().nodeLocal()) {
                return;
            }
            java.util.Collection<NodeState> mayUse = c.requestedNode() == null ? nodes.values()
                    : nodes.containsKey(c.requestedNode()) ? List.of(nodes.get(c.requestedNode())) : List.of();
            for (NodeState n : mayUse) {
                for (var e : c.bundle().amounts().entrySet()) {
                    java.util.SortedMap<String, Long> one = new java.util.TreeMap<>(Map.of(e.getKey(), e.getValue()));
                    if (n.checkHold(c.id(), one, now, until) != null) {
                        pools.add(e.getKey() + "@" + n.node());
                        kinds.add(e.getKey());
                    }
                }
            }
        }

        /** Whether granting {@code c} on {@code node} (any node when {@code null}) may take what is kept. */
        boolean mayTake(Claim c, String node) {
            for (String l : c.bundle().locks()) {
                if (locks.contains(l)) {
                    return true;
                }
            }
            for (String k : c.bundle().amounts().keySet()) {
                if (node == null ? kinds.contains(k) : pools.contains(k + "@" + node)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** The locks the queued claims ask for. */
    private static Set<String> locksOf(List<Claim> queue) {
        Set<String> names = new HashSet<>();
        for (Claim c : queue) {
            names.addAll(c.bundle().locks());
        }
        return names;
    }

    /** The values of {@code keys} that exist, read one by one. */
    private static <V> Map<String, V> read(Table<V> table, Set<String> keys) {
        Map<String, V> out = new HashMap<>();
        for (String k : keys) {
            V v = table.get(k);
            if (v != null) {
                out.put(k, v);
            }
        }
        return out;
    }

    /**
     * Places a claim that buys: decides where it would fit once it has bought what it lacks, buys it (from the
     * house, at the spot price), then decides again on the tenant's new quota. An urgent claim that does not fit
     * makes room by preemption. Refreshes the snapshot where it changed it.
     */
    private Placement.Choice fund(Claim c, TenantState tenant, Map<String, NodeState> nodes,
                                  Map<String, LockState> locks, Map<String, TenantState> tenants, long now) {
        if (tenant == null) {
            return Placement.choose(c, null, nodes, locks, now);
        }
        Exchange exchange = ledger.exchange();
        SortedMap<String, Long> missing = exchange.funding().toBuy(c, tenant);
        TenantState bought = tenant;
        if (!missing.isEmpty()) {
            for (var m : missing.entrySet()) {
                bought = bought.withLoan(c.id() + ":would-buy:" + m.getKey(),
                        new TenantState.LoanShare(m.getKey(), m.getValue(), false, false));
            }
        }
        Placement.Choice would = Placement.choose(c, bought, nodes, locks, now);
        if (!would.fits() && c.urgent() && waitsForCapacity(would.why())) {
            String node = exchange.funding().preemptFor(c, nodes, bought, locks, now);
            if (node != null) {
                tenants.clear();
                tenants.put(c.tenant(), tenant);
                would = Placement.choose(c, bought, nodes, locks, now);
            }
        }
        if (!would.fits() || missing.isEmpty()) {
            return would;
        }
        Rejection unpaid = exchange.funding().buyFor(c, tenant);
        if (unpaid != null) {
            return new Placement.Choice(null, unpaid);
        }
        TenantState current = store.tenants().get(c.tenant());
        tenants.put(c.tenant(), current);
        return Placement.choose(c, current, nodes, locks, now);
    }

    private static boolean waitsForCapacity(Rejection wait) {
        return switch (wait.code()) {
            case INSUFFICIENT_CAPACITY, OVERCOMMITTED, LOCK_HELD, RESERVED -> true;
            default -> false;
        };
    }

    /**
     * Grants {@code c} on {@code node}: places every hold of its bundle, then marks it granted, in the command running
     * this; returns {@code null} when granted, else why it waits (the holds it placed returned). Updates the snapshot.
     */
    private Rejection grant(Claim c, String node, Map<String, NodeState> nodes, Map<String, LockState> locks,
                            Map<String, TenantState> tenants) {
        long now = ledger.clock().millis();
        Rejection refused = holdAll(c, node, now);
        if (refused == null) {
            ClaimCommands.Transition done = store.claims().execute(c.id(), new ClaimCommands.Grant(node, now));
            refused = done.ok() ? null : done.rejection();
        }
        if (refused != null) {
            returnHolds(c, node);
            return refused;
        }
        applyToSnapshot(c, locks, tenants);
        LOG.debug("granted claim={} tenant={} node={} locks={}", c.id(), c.tenant(), node, c.bundle().locks());
        return null;
    }

    private Rejection holdAll(Claim c, String node, long now) {
        Bundle b = c.bundle();
        long until = Math.addExact(now, c.leaseSeconds() * 1000);
        if (b.nodeLocal()) {
            Rejection r = store.tenants().execute(c.tenant(),
                    new HoldFor<TenantState>(c.id(), b.amounts(), "no tenant " + c.tenant(), now, until));
            if (r != null) {
                return r;
            }
            r = store.nodes().execute(node, new HoldFor<NodeState>(c.id(), b.amounts(), "no node " + node, now,
                    until));
            if (r != null) {
                return r;
            }
        }
        for (String lock : b.locks()) {
            Rejection r = store.locks().execute(lock,
                    new HoldFor<LockState>(c.id(), LockState.onePermit(), "no lock " + lock, now, until));
            if (r != null) {
                return r;
            }
        }
        return null;
    }

    /** Returns what {@link #holdAll} placed for {@code c} (a place it did not reach: nothing). */
    private void returnHolds(Claim c, String node) {
        Bundle b = c.bundle();
        if (b.nodeLocal()) {
            store.tenants().execute(c.tenant(), new ReturnFor<TenantState>(c.id()));
            if (node != null) {
                store.nodes().execute(node, new ReturnFor<NodeState>(c.id()));
            }
        }
        for (String lock : b.locks()) {
            store.locks().execute(lock, new ReturnFor<LockState>(c.id()));
        }
    }

    /**
     * The pass's snapshot of the tenant and locks {@code c} now holds, as the store has them after its grant (read
     * from the running command's changes: the holds placed, not placed again on the copies). Its nodes are live.
     */
    private void applyToSnapshot(Claim c, Map<String, LockState> locks, Map<String, TenantState> tenants) {
        Bundle b = c.bundle();
        if (b.nodeLocal()) {
            tenants.computeIfPresent(c.tenant(), (k, t) -> store.tenants().get(k));
        }
        for (String lock : b.locks()) {
            locks.computeIfPresent(lock, (k, l) -> store.locks().get(k));
        }
    }
}
