package io.ichiba.bench;

import io.ichiba.ledger.Admission;
import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.LedgerSettings;
import io.ichiba.ledger.Result;
import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimCommands;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.claim.Funding;
import io.ichiba.ledger.engine.EngineListener;
import io.ichiba.ledger.engine.EngineStore;
import io.ichiba.ledger.journal.InMemoryJournal;
import io.ichiba.ledger.pool.PlaceCommands;
import io.ichiba.ledger.store.InMemoryEventLog;
import io.ichiba.ledger.store.Store;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Admission-loop latency: how long a claim that fits waits for the single admission loop when {@code queued}
 * claims that cannot be granted are ahead of it, through the engine's store over its journal in memory (what a broker
 * runs, without Hazelcast's replication).
 *
 * <p>Run: {@code java -jar bench/target/ichiba-bench.jar AdmissionBench -f 1 -wi 2 -i 3 -w 1s -r 2s}
 * (add {@code -p queued=10,1000} to leave out the largest queue).
 *
 * <h2>Setup (per trial)</h2>
 * Tenant {@code bench} with a quota of 2^40 MiB of memory and of disk, node {@code n1} with 2^40 of each, lock
 * {@code blocker} (1 permit) held by a granted claim with a day's lease, lock {@code probe} (1 permit), and
 * {@code queued} claims, each wanting {@code blocker} only (the first submitted through {@link Ledger#submit},
 * the others stored by the same command it ends with, see {@link #queue}), marked considered ({@code LOCK_HELD})
 * by one {@link Admission#pass} before the measurement. They stay queued. The setup prints its time.
 *
 * <h2>Measured</h2>
 * {@link #grantProbe}: submit a probe claim (1 MiB memory, 1 MiB disk and lock {@code probe}) that fits, run
 * {@link Admission#pass} until it is {@code GRANTED} (one pass: it is last in queue order, being the youngest,
 * so the pass first walks every blocked claim), then release it. What the broker does afterwards — relay the
 * probe's events and purge it — runs outside the measurement (per invocation), so that the claims table stays
 * at {@code queued + 2}. {@link #pass}: one pass over the queue alone, nothing to grant.
 *
 * <h2>Why the blocked claims do not block the probe</h2>
 * A claim that has waited for capacity longer than {@link LedgerSettings#starvationMillis} (60 s by default)
 * stops backfill on the kinds and locks it wants, so a probe sharing a kind with the blocked claims would be
 * held back ({@code BACKFILL_BLOCKED}) — correct behaviour, not what is measured here. The blocked claims
 * therefore want lock {@code blocker} and no kind, and the probe wants kinds and another lock: the starvation
 * bound can only reserve {@code blocker}. The clock also stands still (a {@link StepClock} moved 1 ms per
 * probe), so no claim ages past the bound and priorities do not age during a run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g",
        "--add-modules", "java.se", "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
        "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-opens", "java.management/sun.management=ALL-UNNAMED",
        "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
        "-Dhazelcast.phone.home.enabled=false", "-Dhazelcast.logging.type=slf4j",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-Djava.util.concurrent.ForkJoinPool.common.parallelism=2"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
public class AdmissionBench {
    private static final String TENANT = "bench";
    private static final String NODE = "n1";
    private static final long HUGE = 1L << 40;
    private static final long LEASE_SECONDS = 86_400;
    private static final Bundle BLOCKED = Bundle.of(Map.of(), List.of("blocker"));
    private static final Bundle PROBE = Bundle.of(Map.of("memory", 1L, "disk", 1L), List.of("probe"));

    /** Claims queued ahead of the probe, none of which can be granted. */
    @Param({"10", "1000", "100000"})
    public int queued;

    private final StepClock clock = new StepClock(1_700_000_000_000L);
    private Store tables;
    private Ledger ledger;
    private Admission admission;
    private long probes;
    private String lastProbe;

    /** Builds the ledger and queues {@code queued} blocked claims behind a held lock. */
    @Setup(Level.Trial)
    public void setUp() {
        long started = System.nanoTime();
        EngineStore e = new EngineStore(new InMemoryJournal(), new InMemoryEventLog(100_000), null,
                EngineListener.NONE, java.time.Duration.ofSeconds(30));
        try {
            e.engine().activate().get(30, TimeUnit.SECONDS);
        } catch (Exception ex) {
            throw new IllegalStateException("the engine did not start", ex);
        }
        tables = e;
        // no tenant limits: one tenant queues a hundred thousand claims here on purpose
        ledger = new Ledger(tables, clock, LedgerSettings.defaults().withLimits(io.ichiba.ledger.tenant.TenantLimits.NONE));
        ledger.accounts().openSystemAccounts();
        admission = new Admission(ledger);
        require(ledger.createTenant(TENANT, Map.of("memory", HUGE, "disk", HUGE)));
        require(ledger.report(NODE, Map.of("memory", HUGE, "disk", HUGE), Map.of("memory", HUGE, "disk", HUGE)));
        require(ledger.createLock("blocker", 1));
        require(ledger.createLock("probe", 1));
        require(ledger.submit(ClaimRequest.of("holder", TENANT, BLOCKED, 0, LEASE_SECONDS, null)));
        pass();
        expect("holder", ClaimState.GRANTED);
        require(ledger.submit(ClaimRequest.of(String.format("q-%06d", 0), TENANT, BLOCKED, 0, LEASE_SECONDS, null)));
        for (int from = 1; from < queued; from += 1000) {
            int start = from;
            tables.atomically(() -> { // on the engine, a thousand claims a command
                for (int i = start; i < Math.min(queued, start + 1000); i++) {
                    queue(String.format("q-%06d", i));
                }
                return null;
            });
        }
        long submitted = System.nanoTime();
        Admission.Pass first = pass();
        if (first.considered() != queued || !first.granted().isEmpty()) {
            throw new IllegalStateException("the first pass considered " + first.considered() + " and granted "
                    + first.granted().size() + "; wanted " + queued + " and none");
        }
        Claim last = ledger.claim(String.format("q-%06d", queued - 1));
        if (!last.considered() || !"LOCK_HELD".equals(last.reason())) {
            throw new IllegalStateException("a blocked claim was not marked: " + last);
        }
        System.out.printf("%nsetup queued=%d: submit %.1f s, first pass %.1f s%n", queued,
                (submitted - started) / 1e9, (System.nanoTime() - submitted) / 1e9);
    }

    /** Stops the member, if any. */
    @TearDown(Level.Trial)
    public void tearDown() {
        tables.close();
    }

    /** Submits a probe that fits, runs passes until it is granted, releases it; answers the passes run. */
    @Benchmark
    public int grantProbe() {
        clock.advance(1);
        String id = "p-" + (++probes);
        lastProbe = id;
        // the broker's intake: the submission and its admission in one command (the probe alone when nothing changed
        // since the last pass), then passes until it is granted
        boolean granted = tables.atomically(() -> {
            require(ledger.submit(ClaimRequest.of(id, TENANT, PROBE, 0, 60, null)));
            return admission.admit(id).granted().stream().anyMatch(c -> c.id().equals(id));
        });
        int passes = 0;
        while (!granted) {
            if (++passes > 3) {
                throw new IllegalStateException("probe " + id + " not granted after 3 passes: " + ledger.claim(id));
            }
            granted = pass().granted().stream().anyMatch(c -> c.id().equals(id));
        }
        require(ledger.release(id));
        return passes;
    }

    /** The broker's follow-up of a released probe, outside the measurement: purge it. */
    @TearDown(Level.Invocation)
    public void forgetProbe() {
        if (lastProbe != null) {
            if (!tables.claims().execute(lastProbe, new ClaimCommands.Purge(clock.millis() + 1))) {
                throw new IllegalStateException("probe " + lastProbe + " was not purged: " + ledger.claim(lastProbe));
            }
            lastProbe = null;
            pass(); // the pass the release nudges in a broker (it gave tokens back: a full pass)
        }
    }

    /** One pass, as the broker's loop runs it: one command of the engine. */
    private Admission.Pass pass() {
        return tables.atomically(admission::pass);
    }

    /**
     * One admission pass over the blocked queue: nothing fits, nothing changes (a pass when nothing changed since the
     * last is skipped: this measures the skip).
     */
    @Benchmark
    public Admission.Pass passOverQueue() {
        return pass();
    }

    /**
     * Queues a blocked claim as {@link Ledger#submit} does once it has validated the first (the same tenant,
     * bundle and lease): the ledger's own {@code CreateIfAbsent} of {@link Claim#queued}. Submitting each through
     * the ledger validates it again, and validation reads the whole kinds table ({@code Ledger.kinds()}, an entry-set
     * query over every partition on Hazelcast): about 8 ms a claim there, so 100 000 would take some 13 minutes.
     */
    private void queue(String id) {
        Claim c = Claim.queued(id, TENANT, BLOCKED, 0, LEASE_SECONDS, null, clock.millis(), Funding.QUOTA_ONLY);
        if (tables.claims().execute(id, new PlaceCommands.CreateIfAbsent<>(c)).state() != ClaimState.QUEUED) {
            throw new IllegalStateException("claim " + id + " was not queued");
        }
    }

    private void expect(String id, ClaimState state) {
        Claim c = ledger.claim(id);
        if (c == null || c.state() != state) {
            throw new IllegalStateException("claim " + id + " is " + c + ", wanted " + state);
        }
    }

    private static void require(Result<?> r) {
        if (!r.ok()) {
            throw new IllegalStateException(r.rejection().toString());
        }
    }
}
