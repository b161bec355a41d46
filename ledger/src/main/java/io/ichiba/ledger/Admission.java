package io.ichiba.ledger;

import io.ichiba.ledger.PlaceCommands.HoldFor;
import io.ichiba.ledger.PlaceCommands.ReturnFor;
import io.ichiba.ledger.store.Store;
import io.ichiba.ledger.store.Table;
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
import java.util.concurrent.ConcurrentHashMap;

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
 * <h2>Grant of one claim (spans keys)</h2>
 * <pre>
 *   claim: QUEUED -> GRANTING(attempt n, node)          BeginGrant
 *   tenant: hold quota (claim, n)                        HoldFor   -- refused? undo + AbortGrant
 *   node:   hold every node-local kind (claim, n)        HoldFor   -- refused? undo + AbortGrant
 *   locks:  hold one permit each (claim, n)              HoldFor   -- refused? undo + AbortGrant
 *   claim: GRANTING(n) -> GRANTED                        FinishGrant
 * </pre>
 * Holds carry the attempt number, so undoing attempt n never removes the hold of attempt n+1. A loop that
 * dies mid-grant leaves a {@code GRANTING} claim; the next loop undoes it ({@link #recover}).
 */
public final class Admission {
    private static final Logger LOG = LoggerFactory.getLogger(Admission.class);

    private static final Filters.ClaimIn QUEUED = new Filters.ClaimIn(Set.of(ClaimState.QUEUED));

    /** How long a pass that found nothing changed may be skipped, at most: a full pass runs at least this often. */
    static final long SKIP_AT_MOST_MILLIS = 1_000;

    private final Ledger ledger;
    private final Store store;
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
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
    }

    /** Creates the admission work over the ledger's store. */
    public Admission(Ledger ledger) {
        this.ledger = ledger;
        this.store = ledger.store();
    }

    /** The outcome of one pass: the claims granted, and how many were looked at. */
    public record Pass(List<Claim> granted, int considered) {
    }

    /**
     * Undoes grant attempts that no live loop is making: all of them not made by this instance when
     * {@code takeover} (call it when the loop moves to this member), else those older than the stale bound.
     * Returns how many were undone.
     */
    public int recover(boolean takeover) {
        long now = ledger.clock().millis();
        long staleBefore = now - ledger.settings().staleGrantingMillis();
        int undone = 0;
        for (Claim c : store.claims().values(new Filters.ClaimIn(Set.of(ClaimState.GRANTING)))) {
            if (c.reserved()) {
                continue; // a reservation's copy is finished, never undone, by the reservations sweep
            }
            if (inFlight.contains(c.id()) || (!takeover && c.grantingSince() >= staleBefore)) {
                continue;
            }
            LOG.info("undoing an abandoned grant attempt claim={} attempt={} node={}", c.id(), c.attempt(), c.node());
            undo(c, c.attempt(), c.node(), "RECOVERED");
            undone++;
        }
        return undone;
    }

    /**
     * Whether {@code claimId} is the only claim queued: then a pass at once grants it if it fits, and overtakes
     * nobody (the intake of a new claim on the engine uses this).
     */
    public boolean queueIsOnly(String claimId) {
        return !store.claims().any(new Filters.QueuedOtherThan(claimId));
    }

    /** Returns the queue in admission order at {@code now}. */
    public List<Claim> queue(long now) {
        List<Claim> queued = new ArrayList<>(store.claims().values(new Filters.ClaimIn(Set.of(ClaimState.QUEUED))));
        long step = ledger.settings().agingMillisPerPriority();
        queued.sort(Comparator.<Claim, Boolean>comparing(c -> !c.urgent())
                .thenComparingLong(c -> -effectivePriority(c, now, step))
                .thenComparingLong(Claim::createdAt).thenComparing(Claim::id));
        return queued;
    }

    /** Returns the priority of {@code c} after aging. */
    public static long effectivePriority(Claim c, long now, long agingStep) {
        return c.priority() + Math.max(0, now - c.createdAt()) / agingStep;
    }

    /** The versions of the tables whose records decide whether a queued claim fits. */
    private long[] versions() {
        return new long[] {store.nodes().version(), store.locks().version(), store.tenants().version(),
                store.reservations().version(), store.loans().version(), store.books().version(),
                store.kinds().version(), store.accounts().version()};
    }

    /**
     * Whether a full pass now would decide what the last one did for every claim it looked at ({@link Seen}), with
     * at most {@code unseen} queued claims it did not look at. Needs a store that counts its changes (the engine's).
     */
    private boolean unchanged(long now, int unseen) {
        Seen s = seen;
        if (s == null || s.guarded() || now - s.at() >= SKIP_AT_MOST_MILLIS || now >= s.nextStarvingAt()
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
        return java.util.Arrays.equals(v, s.versions())
                && store.claims().count(new Filters.UnseenQueued()) <= unseen
                && store.claims().count(QUEUED) == s.queued() + unseen;
    }

    /**
     * Admits a claim just queued, as part of the command that queued it, when that decides what a pass would: if it
     * is the only claim queued, a pass; else, if nothing changed since the last pass ({@link #unchanged}) and the
     * claim neither buys nor is urgent, the claim alone: granted if it fits and takes nothing a starving claim lacks,
     * else marked waiting with its reason. Otherwise nothing: the next pass decides. So a claim that fits is granted
     * by its own request however long the queue of claims that cannot be granted (issue 13: admission
     * O(log n)), without overtaking a claim that a release, a report or a new lock let in.
     */
    public Pass admit(String claimId) {
        Claim c = store.claims().get(claimId);
        if (c == null || c.state() != ClaimState.QUEUED || c.considered()) {
            return new Pass(List.of(), 0);
        }
        if (queueIsOnly(claimId)) {
            return pass();
        }
        if (c.urgent() || c.funding().mode() != Funding.Mode.QUOTA || c.cancelRequested()) {
            return new Pass(List.of(), 0);
        }
        ledger.reservations().sweep(); // a window that closed frees what it was promised: then not unchanged
        long now = ledger.clock().millis();
        if (!unchanged(now, 1) || seen.grantedAny()) {
            return new Pass(List.of(), 0);
        }
        TenantState tenant = store.tenants().get(c.tenant());
        List<Claim> alone = List.of(c);
        Map<String, NodeState> nodes = nodesFor(alone);
        Map<String, LockState> locks = read(store.locks(), locksOf(alone));
        Placement.Choice choice = Placement.choose(c, tenant, nodes, locks, now);
        Rejection wait;
        if (!choice.fits()) {
            wait = choice.why();
        } else if (seen.starving().mayTake(c, choice.node())) {
            return new Pass(List.of(), 0); // it may be ahead of the starving claim, or behind it: a pass decides
        } else {
            Map<String, TenantState> tenants = new HashMap<>();
            tenants.put(c.tenant(), tenant);
            wait = grant(c, choice.node(), nodes, locks, tenants);
        }
        if (wait == null) {
            // what it took may be what a starving claim now lacks, or another reason for a waiting claim: the next
            // pass looks at every claim again (one claim admitted alone per pass: exactly what a pass would grant)
            seen = null;
            return new Pass(List.of(store.claims().get(claimId)), 1);
        }
        store.claims().execute(c.id(), new ClaimCommands.MarkWaiting(wait.code().name()));
        Seen s = seen;
        seen = new Seen(s.versions(), s.at(), s.nextStarvingAt(), s.starving(), s.queued() + 1, s.guarded(),
                s.grantedAny());
        return new Pass(List.of(), 1);
    }

    /**
     * Runs one pass over the queue: grants every claim that fits, in order, and records why the others wait. A pass
     * when nothing changed since the last ({@link #unchanged}) is skipped: it would grant nothing and change no
     * reason.
     */
    public Pass pass() {
        ledger.reservations().sweep();
        recover(false);
        long now = ledger.clock().millis();
        if (unchanged(now, 0)) {
            return new Pass(List.of(), 0);
        }
        seen = null;
        List<Claim> queue = queue(now);
        if (queue.isEmpty()) {
            seen = new Seen(versions(), now, Long.MAX_VALUE, new Starving(), store.claims().count(QUEUED), false,
                    false);
            return new Pass(List.of(), 0);
        }
        Map<String, NodeState> nodes = nodesFor(queue);
        Map<String, LockState> locks = read(store.locks(), locksOf(queue));
        Map<String, TenantState> tenants = new HashMap<>();
        Starving starving = new Starving();
        List<Claim> granted = new ArrayList<>();
        long step = ledger.settings().starvationMillis();
        long nextStarvingAt = Math.addExact(now, step);
        // asks that did not fit in this pass (tenant, bundle, node asked for, lease): grants and the guard only take,
        // so an ask alike later in the pass does not fit either (a purchase or a preemption forgets them)
        Map<List<Object>, Rejection> didNotFit = new HashMap<>();
        boolean guarded = false;
        for (Claim c : queue) {
            if (c.cancelRequested()) {
                continue;
            }
            TenantState tenant = tenants.computeIfAbsent(c.tenant(), store.tenants()::get);
            Rejection wait;
            // (a reservation's copy is not alike: what was booked for it is free for it alone)
            List<Object> ask = c.funding().buys() || c.urgent() || c.reserved() ? null
                    : java.util.Arrays.asList(c.tenant(), c.bundle(), c.requestedNode(), c.leaseSeconds());
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
                        continue;
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
        }
        seen = new Seen(versions(), now, nextStarvingAt, starving, store.claims().count(QUEUED), guarded,
                !granted.isEmpty());
        return new Pass(granted, queue.size());
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

    /**
     * The nodes a pass may place the queue on: only those the queued claims name, unless one of them lets the
     * broker choose its node or buys (and may preempt): then every node. Reading a node copies it out of the
     * store, so a pass over claims pinned to nodes no longer pays for every node of the cluster (bench/, issue 7).
     */
    private Map<String, NodeState> nodesFor(List<Claim> queue) {
        Set<String> named = new HashSet<>();
        for (Claim c : queue) {
            if (c.cancelRequested() || !c.bundle().nodeLocal()) {
                continue;
            }
            if (c.requestedNode() == null || c.funding().buys()) {
                return new HashMap<>(store.nodes().entries());
            }
            named.add(c.requestedNode());
        }
        return read(store.nodes(), named);
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
        SortedMap<String, Long> missing = exchange.toBuy(c, tenant);
        TenantState bought = tenant;
        if (!missing.isEmpty()) {
            for (var m : missing.entrySet()) {
                bought = bought.withLoan(c.id() + ":would-buy:" + m.getKey(),
                        new TenantState.LoanShare(m.getKey(), m.getValue(), false, false));
            }
        }
        Placement.Choice would = Placement.choose(c, bought, nodes, locks, now);
        if (!would.fits() && c.urgent() && waitsForCapacity(would.why())) {
            String node = exchange.preemptFor(c, nodes, bought, locks, now);
            if (node != null) {
                nodes.putAll(store.nodes().entries());
                tenants.clear();
                tenants.put(c.tenant(), tenant);
                would = Placement.choose(c, bought, nodes, locks, now);
            }
        }
        if (!would.fits() || missing.isEmpty()) {
            return would;
        }
        Rejection unpaid = exchange.buyFor(c, tenant);
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

    /** Grants {@code c} on {@code node}; returns {@code null} when granted, else why it waits. Updates the snapshot. */
    private Rejection grant(Claim c, String node, Map<String, NodeState> nodes, Map<String, LockState> locks,
                            Map<String, TenantState> tenants) {
        long attempt = c.attempt() + 1;
        ClaimCommands.Transition begun = store.claims().execute(c.id(),
                new ClaimCommands.BeginGrant(attempt, node, ledger.clock().millis()));
        if (!begun.ok()) {
            return begun.rejection();
        }
        inFlight.add(c.id());
        try {
            Rejection refused = holdAll(c, attempt, node, ledger.clock().millis());
            if (refused != null) {
                undo(c, attempt, node, refused.code().name());
                return refused;
            }
            ClaimCommands.Transition done = store.claims().execute(c.id(),
                    new ClaimCommands.FinishGrant(attempt, ledger.clock().millis()));
            if (!done.ok()) {
                undo(c, attempt, node, "RECOVERED");
                return done.rejection();
            }
            if (done.claim().state() == ClaimState.CANCELLED) {
                ledger.returnTokens(done.claim());
                return Rejection.of(Rejection.Code.WRONG_STATE, "cancelled while being granted");
            }
            applyToSnapshot(c, attempt, node, nodes, locks, tenants);
            LOG.info("granted claim={} tenant={} node={} locks={}", c.id(), c.tenant(), node, c.bundle().locks());
            return null;
        } finally {
            inFlight.remove(c.id());
        }
    }

    private Rejection holdAll(Claim c, long attempt, String node, long now) {
        Bundle b = c.bundle();
        long until = Math.addExact(now, c.leaseSeconds() * 1000);
        if (b.nodeLocal()) {
            Rejection r = store.tenants().execute(c.tenant(),
                    new HoldFor<TenantState>(c.id(), attempt, b.amounts(), "no tenant " + c.tenant(), now, until));
            if (r != null) {
                return r;
            }
            r = store.nodes().execute(node, new HoldFor<NodeState>(c.id(), attempt, b.amounts(), "no node " + node, now,
                    until));
            if (r != null) {
                return r;
            }
        }
        for (String lock : b.locks()) {
            Rejection r = store.locks().execute(lock,
                    new HoldFor<LockState>(c.id(), attempt, LockState.onePermit(), "no lock " + lock, now, until));
            if (r != null) {
                return r;
            }
        }
        return null;
    }

    private void undo(Claim c, long attempt, String node, String why) {
        Bundle b = c.bundle();
        if (b.nodeLocal()) {
            store.tenants().execute(c.tenant(), new ReturnFor<TenantState>(c.id(), attempt));
            if (node != null) {
                store.nodes().execute(node, new ReturnFor<NodeState>(c.id(), attempt));
            }
        }
        for (String lock : b.locks()) {
            store.locks().execute(lock, new ReturnFor<LockState>(c.id(), attempt));
        }
        store.claims().execute(c.id(), new ClaimCommands.AbortGrant(attempt, why, ledger.clock().millis()));
    }

    private static void applyToSnapshot(Claim c, long attempt, String node, Map<String, NodeState> nodes,
                                        Map<String, LockState> locks, Map<String, TenantState> tenants) {
        Bundle b = c.bundle();
        if (b.nodeLocal()) {
            Hold h = new Hold(attempt, b.amounts());
            tenants.computeIfPresent(c.tenant(), (k, t) -> t.withHoldings(t.holdings().with(c.id(), h)));
            nodes.computeIfPresent(node, (k, n) -> n.withHoldings(n.holdings().with(c.id(), h)));
        }
        Hold permit = new Hold(attempt, LockState.onePermit());
        for (String lock : b.locks()) {
            locks.computeIfPresent(lock, (k, l) -> l.withHoldings(l.holdings().with(c.id(), permit)));
        }
    }
}
