package io.ichiba.ledger;

import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.engine.Engines;
import io.ichiba.ledger.event.Event;
import io.ichiba.ledger.job.Job;
import io.ichiba.ledger.job.JobRequest;
import io.ichiba.ledger.journal.InMemoryJournal;
import io.ichiba.ledger.store.Store;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Events: written with the change they describe (the outbox), in the log in order with the batch that made them,
 * under ids stable per record.
 */
@org.junit.jupiter.api.extension.ExtendWith(Engines.ClosedAfterEach.class)
class EventsTest {
    private MutableClock clock;
    private Store store;
    private Ledger ledger;
    private Admission admission;

    @BeforeEach
    void setUp() {
        clock = new MutableClock();
        store = Engines.started(new InMemoryJournal());
        ledger = new Ledger(store, clock, LedgerSettings.defaults());
        ledger.accounts().openSystemAccounts();
        admission = new Admission(ledger);
        ledger.createTenant("team-a", Map.of("memory", 16_384L));
        ledger.report("n1", Map.of("memory", 10_000L), Map.of());
    }

    private List<Event> log() {
        return store.events().read(-1, 1000).stream().map(Event.Logged::event).toList();
    }

    private static List<String> types(List<Event> events, String subject) {
        return events.stream().filter(e -> e.subject().equals(subject)).map(Event::type).toList();
    }

    @Test
    void aClaimsLifeIsLoggedInOrderWithStableIds() {
        ledger.submit(ClaimRequest.of("c1", "team-a", Bundle.of(Map.of("memory", 4000L), List.of()), 3, 60, null));
        admission.pass();
        clock.advanceMillis(1000);
        ledger.release("c1");
        List<Event> events = log();
        assertThat(types(events, "c1")).containsExactly("claim.queued", "claim.granted", "claim.released");
        assertThat(events).extracting(Event::id).containsExactly("claim:c1:0", "claim:c1:1", "claim:c1:2");
        Event granted = events.get(1);
        assertThat(granted.tenant()).isEqualTo("team-a");
        assertThat(granted.payload()).containsEntry("node", "n1").containsEntry("bundle", "memory=4000")
                .containsEntry("priority", "3").containsEntry("leaseExpiresAt", String.valueOf(granted.time() + 60_000));
        assertThat(events.get(2).payload()).containsEntry("reason", "RELEASED");
        assertThat(store.claims().get("c1").outbox().hasPending()).as("none kept on the record").isFalse();
    }

    @Test
    void expiryCancellationAndNodeEvents() {
        ledger.submit(ClaimRequest.of("c1", "team-a", Bundle.of(Map.of("memory", 4000L), List.of()), 3, 60, null));
        ledger.submit(ClaimRequest.of("c2", "team-a", Bundle.of(Map.of("memory", 9000L), List.of()), 3, 60, null));
        admission.pass();
        ledger.cancel("c2");
        clock.advanceMillis(61_000);
        new LeaseReaper(ledger).sweepLeases();
        ledger.submit(ClaimRequest.of("c3", "team-a", Bundle.of(Map.of("memory", 6000L), List.of()), 3, 600, null));
        admission.pass();
        ledger.report("n1", Map.of("memory", 5000L), Map.of()); // below the 6000 granted
        Ledger lossy = new Ledger(store, clock, LedgerSettings.defaults().withNodeGraceMillis(1000));
        clock.advanceMillis(2000);
        new LeaseReaper(lossy).sweepNodes();
        ledger.report("n1", Map.of("memory", 10_000L), Map.of());
        List<Event> events = log();
        assertThat(types(events, "c1")).containsExactly("claim.queued", "claim.granted", "claim.expired");
        assertThat(types(events, "c2")).containsExactly("claim.queued", "claim.cancelled");
        assertThat(types(events, "c3")).containsExactly("claim.queued", "claim.granted", "claim.lost");
        assertThat(types(events, "n1")).containsExactly("pool.overcommitted", "node.lost", "node.back");
        Event over = events.stream().filter(e -> e.type().equals("pool.overcommitted")).findFirst().orElseThrow();
        assertThat(over.tenant()).isNull();
        assertThat(over.payload()).containsEntry("pool", "memory@n1").containsEntry("granted", "6000")
                .containsEntry("capacity", "5000");
    }

    // ---------------------------------------------------------------- jobs

    private Jobs jobs() {
        Jobs jobs = new Jobs(ledger);
        store.claims().listenLocal(jobs::follow);
        return jobs;
    }

    /** Waits (bounded) until the jobs have followed their claims ({@link JobsTest#followed(Store)}). */
    private void followed() {
        JobsTest.followed(store);
    }

    private static void submitJob(Jobs jobs, String id, long memory, long lease) {
        Result<Job> r = jobs.submit(new JobRequest(id, "team-a", List.of("sh", "-c", "true"), Map.of(),
                Bundle.of(Map.of("memory", memory), List.of()), 2, lease, null));
        assertThat(r.ok()).as(String.valueOf(r.rejection())).isTrue();
    }

    private static List<Event> ofJobs(List<Event> events) {
        return events.stream().filter(e -> e.type().startsWith("job.")).toList();
    }

    @Test
    void aJobsLifeIsLoggedInOrderWithStableIds() {
        Jobs jobs = jobs();
        submitJob(jobs, "j1", 1000, 60);
        admission.pass();
        followed();
        clock.advanceMillis(500);
        jobs.start("j1", "n1");
        clock.advanceMillis(2000);
        jobs.finish("j1", "n1", 0, null);
        List<Event> events = ofJobs(log());
        assertThat(events).extracting(Event::type).containsExactly("job.started", "job.finished");
        assertThat(events).extracting(Event::id).containsExactly("job:j1:0", "job:j1:1");
        assertThat(events).allSatisfy(e -> {
            assertThat(e.tenant()).isEqualTo("team-a");
            assertThat(e.subject()).isEqualTo("j1");
            assertThat(e.payload()).containsEntry("job", "j1").containsEntry("node", "n1")
                    .containsEntry("bundle", "memory=1000");
        });
        assertThat(events.get(0).payload()).containsEntry("state", "RUNNING").doesNotContainKey("exitCode");
        assertThat(events.get(1).payload()).containsEntry("state", "SUCCEEDED").containsEntry("exitCode", "0");
        assertThat(events.get(1).time() - events.get(0).time()).isEqualTo(2000);
        // the job's claim (same id) has its own events under its own ids: in order per record, not across them
        assertThat(log().stream().filter(e -> e.id().startsWith("claim:j1:")).map(Event::type).toList())
                .containsExactly("claim.queued", "claim.granted", "claim.released");
    }

    @Test
    void aJobThatFailsIsCancelledOrIsLostSaysWhy() {
        Jobs jobs = jobs();
        submitJob(jobs, "exit3", 1000, 600);
        submitJob(jobs, "nostart", 1000, 600);
        submitJob(jobs, "cancelled", 1000, 600);
        submitJob(jobs, "lapsed", 1000, 1);
        submitJob(jobs, "lost", 1000, 600);
        admission.pass();
        followed();
        jobs.start("exit3", "n1");
        jobs.finish("exit3", "n1", 3, null);
        jobs.finish("nostart", "n1", null, "no such file: nope");
        jobs.start("cancelled", "n1");
        jobs.cancel("cancelled");
        jobs.finish("cancelled", "n1", 143, null);
        jobs.start("lapsed", "n1");
        jobs.start("lost", "n1");
        clock.advanceMillis(1000);
        new LeaseReaper(ledger).sweepLeases();
        followed();
        clock.advanceMillis(2000);
        new LeaseReaper(new Ledger(store, clock, LedgerSettings.defaults().withNodeGraceMillis(1000))).sweepNodes();
        followed();
        List<Event> events = ofJobs(log());
        assertThat(types(events, "exit3")).containsExactly("job.started", "job.failed");
        Event exit3 = events.stream().filter(e -> e.id().equals("job:exit3:1")).findFirst().orElseThrow();
        assertThat(exit3.payload()).containsEntry("state", "FAILED").containsEntry("reason", "EXIT_3")
                .containsEntry("exitCode", "3");
        assertThat(types(events, "nostart")).as("never ran: no start").containsExactly("job.failed");
        Event nostart = events.stream().filter(e -> e.subject().equals("nostart")).findFirst().orElseThrow();
        assertThat(nostart.payload()).containsEntry("reason", "ERROR: no such file: nope").doesNotContainKey("exitCode");
        assertThat(types(events, "cancelled")).containsExactly("job.started", "job.cancelled");
        assertThat(types(events, "lapsed")).containsExactly("job.started", "job.failed");
        assertThat(events.stream().filter(e -> e.id().equals("job:lapsed:1")).findFirst().orElseThrow().payload())
                .containsEntry("reason", "LEASE_EXPIRED");
        assertThat(types(events, "lost")).containsExactly("job.started", "job.lost");
        assertThat(events.stream().filter(e -> e.id().equals("job:lost:1")).findFirst().orElseThrow().payload())
                .containsEntry("reason", "NODE_LOST").containsEntry("state", "LOST");
    }

    @Test
    void anEndedJobsEventsAreInTheLogBeforeItIsPurged() {
        Jobs jobs = jobs();
        submitJob(jobs, "j1", 1000, 60);
        admission.pass();
        followed();
        jobs.start("j1", "n1");
        jobs.finish("j1", "n1", 0, null);
        assertThat(store.jobs().get("j1").outbox().pending()).as("in the log with their batch").isEmpty();
        clock.advanceMillis(ledger.settings().retentionMillis() + 1);
        new LeaseReaper(ledger).purge();
        assertThat(store.jobs().get("j1")).isNull();
        assertThat(ofJobs(log())).extracting(Event::id).containsExactly("job:j1:0", "job:j1:1");
    }
}
