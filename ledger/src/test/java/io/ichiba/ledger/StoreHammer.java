package io.ichiba.ledger;

import io.ichiba.ledger.Rejection.Code;
import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimFilters;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.pool.Hold;
import io.ichiba.ledger.pool.LockState;
import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.store.Store;
import io.ichiba.ledger.tenant.TenantState;
import org.awaitility.core.ConditionTimeoutException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Hammers one ledger from many threads, through the given views of one shared state: the same store twice, the
 * stores of the members of a cluster, or several connections to one database. Every store runs under it (the
 * in-memory and Hazelcast ones here, the benchmarks' Redis store in {@code bench/}).
 *
 * <p>Eight workers submit, release, cancel and renew claims over small overlapping pools (memory and disk on two
 * nodes, a mutex and a two-permit lock, two tenants with quotas), each through the ledger of a member in turn.
 * One thread runs the admission loop (the single writer of grants), nudged by the workers; one moves the clock and
 * runs the reaper of every member; one samples the store while all this runs and records every violation of
 * law 1 (no pool, lock or tenant over its capacity, permits or quota) and law 2 (a claim seen {@code GRANTED}
 * before and after reading its places holds its whole bundle in between). At the end every claim is ended, and
 * every token must be back — before any sweep, since every ending returns its own tokens (law 3) — and the
 * auditor must find no drift. Every loop and wait is bounded; nothing sleeps.
 */
public final class StoreHammer {
    private static final int WORKERS = 8;
    private static final int OPS_PER_WORKER = 120;
    private static final long BOUND_SECONDS = 90;
    /** The defaults, but ended claims are kept for a day so that no claim is purged while a worker uses it. */
    private static final LedgerSettings SETTINGS = new LedgerSettings(10_000, 60_000, 86_400_000, 86_400);
    /** The stores the run goes through. */
    public final List<Store> stores;
    final MutableClock clock = new MutableClock();
    final List<Ledger> ledgers = new ArrayList<>();
    final Ledger main;
    final Admission admission;
    final List<LeaseReaper> reapers = new ArrayList<>();
    final AtomicBoolean stop = new AtomicBoolean();
    final CountDownLatch stopped = new CountDownLatch(1);
    final Semaphore nudge = new Semaphore(0);
    final ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
    final AtomicInteger submitted = new AtomicInteger();
    final AtomicInteger granted = new AtomicInteger();
    final AtomicInteger released = new AtomicInteger();
    final AtomicInteger cancelled = new AtomicInteger();
    final AtomicInteger renewed = new AtomicInteger();
    final AtomicInteger expired = new AtomicInteger();
    final AtomicInteger passes = new AtomicInteger();
    final AtomicInteger samples = new AtomicInteger();
    final AtomicInteger grantsChecked = new AtomicInteger();

    /** A run over {@code stores} (at least one): each worker goes through the ledger of one of them in turn. */
    public StoreHammer(List<Store> stores) {
        this.stores = stores;
        for (Store s : stores) {
            Ledger l = new Ledger(s, clock, SETTINGS);
            ledgers.add(l);
            reapers.add(new LeaseReaper(l));
        }
        main = ledgers.get(0);
        admission = new Admission(main);
    }

    /** Runs the workload, checks the laws while it runs and at rest, and fails on any violation. */
    public void run() throws Exception {
        define();
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS + 3);
        try {
            List<Future<?>> loops = new ArrayList<>();
            loops.add(pool.submit(this::admissionLoop));
            loops.add(pool.submit(this::reaperLoop));
            loops.add(pool.submit(this::sampler));
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < WORKERS; w++) {
                int id = w;
                workers.add(pool.submit(() -> work(id, ledgers.get(id % ledgers.size()))));
            }
            for (Future<?> f : workers) {
                f.get(BOUND_SECONDS, TimeUnit.SECONDS); // rethrows a worker's failure
            }
            stop.set(true);
            stopped.countDown();
            nudge.release();
            for (Future<?> f : loops) {
                f.get(BOUND_SECONDS, TimeUnit.SECONDS);
            }
        } finally {
            stop.set(true);
            stopped.countDown();
            pool.shutdownNow();
            assertThat(pool.awaitTermination(BOUND_SECONDS, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(violations).as("violations seen while running").isEmpty();
        checkAtRest();
    }

    void define() {
        assertThat(main.createTenant("t1", Map.of("memory", 1200L, "disk", 1000L)).ok()).isTrue();
        assertThat(main.createTenant("t2", Map.of("memory", 900L, "disk", 600L)).ok()).isTrue();
        assertThat(main.report("n1", Map.of("memory", 1000L, "disk", 800L), Map.of()).ok()).isTrue();
        assertThat(main.report("n2", Map.of("memory", 700L, "disk", 500L), Map.of()).ok()).isTrue();
        assertThat(main.createLock("db", 1).ok()).isTrue();
        assertThat(main.createLock("pair", 2).ok()).isTrue();
        // a second member answers the conflicts too
        assertThat(ledgers.get(ledgers.size() - 1).createLock("db", 3).rejection().code())
                .isEqualTo(Code.ALREADY_EXISTS);
    }

    Void admissionLoop() throws InterruptedException {
        while (!stop.get()) {
            nudge.tryAcquire(20, TimeUnit.MILLISECONDS);
            nudge.drainPermits();
            granted.addAndGet(admission.pass().granted().size());
            passes.incrementAndGet();
        }
        return null;
    }

    Void reaperLoop() throws InterruptedException {
        while (!stop.get()) {
            clock.advanceMillis(100);
            int ended = 0;
            for (LeaseReaper r : reapers) {
                ended += r.sweep().expired();
            }
            if (ended > 0) {
                expired.addAndGet(ended);
                nudge.release();
            }
            stopped.await(5, TimeUnit.MILLISECONDS);
        }
        return null;
    }

    Void sampler() throws InterruptedException {
        Store store = stores.get(0);
        while (!stop.get()) {
            violations.addAll(LedgerInvariants.checkNoOverGrant(store));
            checkGrantedHoldAll(store);
            samples.incrementAndGet();
            stopped.await(10, TimeUnit.MILLISECONDS);
        }
        return null;
    }

    /**
     * Law 2 while others change the store: a claim that is GRANTED with the same attempt when read before and
     * after its places were read was granted throughout (GRANTED only moves to a final state), so its places
     * must hold its whole bundle from that attempt.
     */
    void checkGrantedHoldAll(Store store) {
        for (Claim c : store.claims().values(new ClaimFilters.ClaimIn(Set.of(ClaimState.GRANTED)))) {
            Map<String, Hold> seen = new TreeMap<>();
            if (c.bundle().nodeLocal()) {
                TenantState t = store.tenants().get(c.tenant());
                NodeState n = c.node() == null ? null : store.nodes().get(c.node());
                put(seen, "tenant:" + c.tenant(), t == null ? null : t.holdings().holders().get(c.id()));
                put(seen, "node:" + c.node(), n == null ? null : n.holdings().holders().get(c.id()));
            }
            for (String lock : c.bundle().locks()) {
                LockState l = store.locks().get(lock);
                put(seen, "lock:" + lock, l == null ? null : l.holdings().holders().get(c.id()));
            }
            Claim again = store.claims().get(c.id());
            if (again != null && again.state() == ClaimState.GRANTED && again.grantedAt() == c.grantedAt()) {
                grantsChecked.incrementAndGet();
                Map<String, Hold> expected = LedgerInvariants.expectedHolds(c);
                if (!seen.equals(expected)) {
                    violations.add("GRANTED claim " + c.id() + " held " + seen + ", its bundle needs " + expected);
                }
            }
        }
    }

    private static void put(Map<String, Hold> m, String place, Hold h) {
        if (h != null) {
            m.put(place, h);
        }
    }

    Void work(int worker, Ledger ledger) {
        Random rnd = new Random(7919L * (worker + 1));
        List<String> mine = new ArrayList<>();
        long[] memory = {100, 200, 300, 500};
        long[] disk = {0, 0, 100, 250};
        for (int i = 0; i < OPS_PER_WORKER; i++) {
            int dice = rnd.nextInt(100);
            if (dice < 40 || mine.isEmpty()) {
                String id = "w" + worker + "-" + i;
                TreeMap<String, Long> amounts = new TreeMap<>();
                amounts.put("memory", memory[rnd.nextInt(memory.length)]);
                amounts.put("disk", disk[rnd.nextInt(disk.length)]);
                List<String> locks = new ArrayList<>();
                if (rnd.nextInt(10) < 3) {
                    locks.add("db");
                }
                if (rnd.nextInt(10) < 3) {
                    locks.add("pair");
                }
                int where = rnd.nextInt(10);
                String node = where < 2 ? "n1" : where < 3 ? "n2" : null;
                Result<Claim> r = ledger.submit(ClaimRequest.of(id, rnd.nextBoolean() ? "t1" : "t2",
                        Bundle.of(amounts, locks), rnd.nextInt(3), 1 + rnd.nextInt(5), node));
                expect(r.ok(), "submit " + id + ": " + r.rejection());
                mine.add(id);
                submitted.incrementAndGet();
                nudge.release();
                if (rnd.nextBoolean()) {
                    awaitDecision(ledger, id);
                }
                continue;
            }
            String id = mine.get(rnd.nextInt(mine.size()));
            if (dice < 65) {
                // a client mostly releases what it was granted
                List<String> held = mine.stream().filter(c -> isGranted(ledger, c)).toList();
                if (!held.isEmpty() && rnd.nextInt(4) > 0) {
                    id = held.get(rnd.nextInt(held.size()));
                }
                Result<Claim> r = ledger.release(id);
                if (r.ok() && r.value().state() == ClaimState.RELEASED) {
                    released.incrementAndGet();
                    expect(r.value().returned(), "released " + id + " returned its tokens");
                } else {
                    expect(r.ok() || r.rejection().code() == Code.WRONG_STATE, "release " + id + ": " + r.rejection());
                }
                nudge.release();
            } else if (dice < 80) {
                Result<Claim> r = ledger.cancel(id);
                expect(r.ok(), "cancel " + id + ": " + r.rejection());
                if (r.value().state() == ClaimState.CANCELLED) {
                    cancelled.incrementAndGet();
                }
                nudge.release();
            } else {
                Result<Claim> r = ledger.renew(id, 0);
                if (r.ok()) {
                    renewed.incrementAndGet();
                } else {
                    expect(r.rejection().code() == Code.WRONG_STATE || r.rejection().code() == Code.LEASE_EXPIRED,
                            "renew " + id + ": " + r.rejection());
                }
            }
        }
        return null;
    }

    /** Waits, a little and bounded, as a long-polling client does, until the loop has looked at the claim. */
    private static void awaitDecision(Ledger ledger, String id) {
        try {
            await().atMost(Duration.ofMillis(100)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
                    .until(() -> {
                        Claim c = ledger.claim(id);
                        return c == null || c.considered() || c.state() != ClaimState.QUEUED;
                    });
        } catch (ConditionTimeoutException stillWaiting) {
            // the client gives up waiting and does something else; the claim stays queued
        }
    }

    private static boolean isGranted(Ledger ledger, String id) {
        Claim c = ledger.claim(id);
        return c != null && c.state() == ClaimState.GRANTED;
    }

    void expect(boolean ok, String what) {
        if (!ok) {
            violations.add(what);
        }
    }

    /** With every thread stopped: laws 1–3 exactly, then end everything and find every token back. */
    void checkAtRest() {
        Store store = stores.get(0);
        LedgerInvariants.check(store);
        assertThat(new Auditor(main).audit().drift()).isEmpty();

        granted.addAndGet(admission.pass().granted().size());
        LedgerInvariants.check(store);
        for (Claim c : store.claims().values(
                new ClaimFilters.ClaimIn(EnumSet.of(ClaimState.QUEUED, ClaimState.GRANTED)))) {
            Result<Claim> r = ledgers.get(Math.floorMod(c.id().hashCode(), ledgers.size())).cancel(c.id());
            assertThat(r.ok()).isTrue();
            assertThat(r.value().state()).isEqualTo(ClaimState.CANCELLED);
        }
        LedgerInvariants.checkAllReturned(store); // before any sweep: each ending returned its own tokens
        LedgerInvariants.check(store);
        for (LeaseReaper r : reapers) {
            LeaseReaper.Sweep s = r.sweep();
            assertThat(s.returned()).isZero();
        }
        LedgerInvariants.check(store);
        LedgerInvariants.checkAllReturned(store);
        Auditor.Report report = new Auditor(main).audit();
        assertThat(report.drift()).isEmpty();
        assertThat(report.ok()).isTrue();
        main.pools().forEach(p -> assertThat(p.granted()).as(p.id()).isZero());

        // the run did what it was meant to
        System.out.printf("%s stores=%d submitted=%d granted=%d released=%d cancelled=%d renewed=%d expired=%d"
                        + " passes=%d samples=%d grantsChecked=%d%n",
                stores.get(0).getClass().getSimpleName(), stores.size(), submitted.get(), granted.get(),
                released.get(), cancelled.get(), renewed.get(), expired.get(), passes.get(), samples.get(),
                grantsChecked.get());
        assertThat(submitted.get()).isGreaterThan(WORKERS * OPS_PER_WORKER / 3);
        assertThat(granted.get()).as("grants").isGreaterThan(50);
        assertThat(released.get()).as("releases").isPositive();
        assertThat(cancelled.get()).as("cancels").isPositive();
        assertThat(passes.get()).as("admission passes").isPositive();
        assertThat(samples.get()).as("samples").isPositive();
        assertThat(grantsChecked.get()).as("granted claims checked while running").isPositive();
    }
}
