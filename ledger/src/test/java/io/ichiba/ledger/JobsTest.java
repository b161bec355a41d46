package io.ichiba.ledger;

import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.job.Job;
import io.ichiba.ledger.job.JobRequest;
import io.ichiba.ledger.job.JobState;
import io.ichiba.ledger.pool.PlaceCommands;
import io.ichiba.ledger.store.Store;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Jobs follow their claims: assigned on grant, ended with the claim, tokens returned once however they end. Run
 * against each {@link Store} like {@link StoreContractTest} (a subclass supplies an empty store).
 *
 * <p>Notes: the jobs follow the claims through {@link io.ichiba.ledger.store.Table#listenLocal}, as in the broker.
 * The in-memory store calls the listener before a change returns; Hazelcast calls it a moment later on an event
 * thread, so the test waits (bounded) for the jobs to have followed ({@link #followed()}) before it looks.
 */
public abstract class JobsTest {
    private MutableClock clock;
    private Store store;
    private Ledger ledger;
    private Jobs jobs;
    private Admission admission;
    private LeaseReaper reaper;
    /** Whether the jobs follow the claims' changes; off, as on a member that missed them. */
    private volatile boolean following = true;

    /** Returns an empty store of the kind under test. */
    protected abstract Store createStore();

    @BeforeEach
    void setUp() {
        clock = new MutableClock();
        store = createStore();
        ledger = new Ledger(store, clock, LedgerSettings.defaults().withNodeGraceMillis(15_000));
        jobs = new Jobs(ledger);
        store.claims().listenLocal(c -> {
            if (following) {
                jobs.follow(c);
            }
        });
        admission = new Admission(ledger);
        reaper = new LeaseReaper(ledger);
        ledger.createTenant("acme", Map.of("memory", 100_000L));
        ledger.report("n1", Map.of("memory", 4096L), Map.of());
    }

    private Job submit(String id, long memory, long lease) {
        Result<Job> r = jobs.submit(new JobRequest(id, "acme", List.of("sh", "-c", "true"), Map.of("A", "1"),
                Bundle.of(Map.of("memory", memory), List.of()), 1, lease, null));
        assertThat(r.ok()).as(String.valueOf(r.rejection())).isTrue();
        pass();
        return jobs.job(id);
    }

    private void pass() {
        admission.pass();
        followed();
    }

    private void followed() {
        followed(store);
    }

    /**
     * Waits (bounded) until no open job of {@code store} lags behind its claim: none is queued while its claim is
     * granted, and none is open while its claim has ended (the engine tells the jobs of their claims' changes after
     * each batch, on a thread of its own).
     */
    static void followed(Store store) {
        await().atMost(Duration.ofSeconds(10)).until(() -> store.jobs().entries().values().stream()
                .filter(j -> !j.state().isFinal())
                .allMatch(j -> {
                    Claim c = store.claims().get(j.id());
                    return c == null || !(c.state().isFinal()
                            || (c.state() == ClaimState.GRANTED && j.state() == JobState.QUEUED));
                }));
    }

    @Test
    void aJobIsHandedToItsRunnerOnlyOnceItsClaimIsGranted() {
        Job a = submit("a", 3000, 60);
        Job b = submit("b", 3000, 60);
        assertThat(a.state()).isEqualTo(JobState.STARTING);
        assertThat(a.node()).isEqualTo("n1");
        assertThat(b.state()).isEqualTo(JobState.QUEUED);
        assertThat(jobs.forNode("n1")).extracting(Job::id).containsExactly("a");
        assertThat(jobs.start("b", "n1").ok()).isFalse();
        assertThat(jobs.start("a", "n2").ok()).as("only the job's node runs it").isFalse();
        assertThat(jobs.start("a", "n1").value().state()).isEqualTo(JobState.RUNNING);

        Result<Job> done = jobs.finish("a", "n1", 0, null);
        assertThat(done.value().state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(ledger.claim("a").state()).isEqualTo(ClaimState.RELEASED);
        assertThat(jobs.finish("a", "n1", 1, null).value().state()).as("finishing twice changes nothing")
                .isEqualTo(JobState.SUCCEEDED);
        pass();
        assertThat(jobs.job("b").state()).isEqualTo(JobState.STARTING);
        LedgerInvariants.check(store);
    }

    @Test
    void aJobThatCannotStartOrExitsNonZeroFailsAndReturnsItsTokens() {
        submit("a", 1000, 60);
        Result<Job> r = jobs.finish("a", "n1", null, "no such file: nope");
        assertThat(r.value().state()).isEqualTo(JobState.FAILED);
        assertThat(r.value().reason()).startsWith("ERROR: no such file");
        submit("b", 1000, 60);
        jobs.start("b", "n1");
        assertThat(jobs.finish("b", "n1", 7, null).value().reason()).isEqualTo("EXIT_7");
        LedgerInvariants.checkAllReturned(store);
    }

    @Test
    void cancelEndsAJobNotRunningAtOnceAndARunningOneThroughItsRunner() {
        submit("a", 1000, 60);
        submit("b", 1000, 60);
        assertThat(jobs.cancel("a").value().state()).isEqualTo(JobState.CANCELLED);
        assertThat(ledger.claim("a").state()).isEqualTo(ClaimState.CANCELLED);
        assertThat(jobs.start("a", "n1").ok()).as("a cancelled job never starts").isFalse();
        jobs.start("b", "n1");
        Job asked = jobs.cancel("b").value();
        assertThat(asked.state()).isEqualTo(JobState.RUNNING);
        assertThat(asked.cancelRequested()).isTrue();
        assertThat(store.nodes().get("n1").granted("memory")).as("held until the process is stopped").isEqualTo(1000);
        assertThat(jobs.finish("b", "n1", 143, null).value().state()).isEqualTo(JobState.CANCELLED);
        LedgerInvariants.checkAllReturned(store);
    }

    @Test
    void aJobEndsWithItsClaimWhenTheLeaseLapsesOrTheNodeIsLost() {
        submit("lapsing", 1000, 1);
        submit("lost", 1000, 600);
        jobs.start("lapsing", "n1");
        jobs.start("lost", "n1");
        clock.advanceMillis(1_000);
        reaper.sweepLeases();
        followed();
        assertThat(jobs.job("lapsing").state()).isEqualTo(JobState.FAILED);
        assertThat(jobs.job("lapsing").reason()).isEqualTo("LEASE_EXPIRED");
        clock.advanceMillis(15_001);
        reaper.sweepNodes();
        followed();
        assertThat(jobs.job("lost").state()).isEqualTo(JobState.LOST);
        assertThat(jobs.job("lost").reason()).isEqualTo("NODE_LOST");
        LedgerInvariants.checkAllReturned(store);
    }

    @Test
    void reconcileMakesUpForAChangeThatWasMissed() {
        // nobody follows the claims' changes, as when the member owning a job died mid-way
        following = false;
        jobs.submit(new JobRequest("a", "acme", List.of("true"), Map.of(), Bundle.of(Map.of("memory", 10L), List.of()),
                1, 60, null));
        admission.pass();
        assertThat(ledger.claim("a").state()).isEqualTo(ClaimState.GRANTED);
        assertThat(jobs.job("a").state()).isEqualTo(JobState.QUEUED);
        assertThat(jobs.reconcile()).isEqualTo(1);
        assertThat(jobs.job("a").state()).isEqualTo(JobState.STARTING);
        assertThat(jobs.reconcile()).as("nothing left to do").isZero();

        // a job whose claim was never written gets one
        store.jobs().execute("b", new PlaceCommands.CreateIfAbsent<>(Job.queued("b", "acme", List.of("true"), Map.of(),
                Bundle.of(Map.of("memory", 10L), List.of()), 1, 60, null, clock.millis())));
        jobs.reconcile();
        assertThat(ledger.claim("b")).isNotNull();
    }

    @Test
    void endedJobsArePurgedAfterTheRetentionTimeAndOpenOnesAreKept() {
        submit("done", 1000, 60);
        jobs.start("done", "n1");
        jobs.finish("done", "n1", 0, null);
        submit("open", 1000, 60);
        clock.advanceMillis(ledger.settings().retentionMillis() - 1);
        reaper.purge();
        assertThat(jobs.job("done")).as("kept until the retention time has passed").isNotNull();
        clock.advanceMillis(2);
        reaper.sweepLeases(); // the open job's lease lapsed long ago: it ends now, and is kept for a while
        followed();
        reaper.purge();
        assertThat(jobs.job("done")).isNull();
        assertThat(ledger.claim("done")).isNull();
        assertThat(jobs.job("open")).isNotNull();
        assertThat(jobs.job("open").state()).isEqualTo(JobState.FAILED);
    }

    @Test
    void anInvalidJobIsRefusedAndNothingIsWritten() {
        Result<Job> r = jobs.submit(new JobRequest("x", "acme", List.of("true"), Map.of(),
                Bundle.of(Map.of("memory", 999_999L), List.of()), 1, 60, null));
        assertThat(r.rejection().code()).isEqualTo(Rejection.Code.NEVER_FITS);
        assertThat(jobs.job("x")).isNull();
        assertThat(ledger.claim("x")).isNull();
    }
}
