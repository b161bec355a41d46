package io.ichiba.ledger;

import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.event.Event;
import io.ichiba.ledger.handler.Binding;
import io.ichiba.ledger.handler.Binding.AckPolicy;
import io.ichiba.ledger.handler.Delivery;
import io.ichiba.ledger.handler.Delivery.Ack;
import io.ichiba.ledger.handler.Delivery.StepState;
import io.ichiba.ledger.job.Job;
import io.ichiba.ledger.job.JobCommands;
import io.ichiba.ledger.job.JobRequest;
import io.ichiba.ledger.job.JobState;
import io.ichiba.ledger.store.Store;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Handlers step by step on a controllable clock: which events reach which bindings, each ack policy with handlers
 * that succeed, fail, time out (a failed attempt) and are disabled midway, the order of {@code ANY}, retries with
 * backoff, dead letters and their replay, sessions, and an event appended twice delivered once.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.ichiba.ledger.engine.Engines.ClosedAfterEach.class)
class HandlersTest {
    /** An empty store: the engine's, over a journal in memory; each test's engine is closed after it. */
    Store createStore() {
        return io.ichiba.ledger.engine.Engines.started(new io.ichiba.ledger.journal.InMemoryJournal());
    }


    private MutableClock clock;
    private Store store;
    private Ledger ledger;
    private Handlers handlers;
    private Admission admission;

    @BeforeEach
    void setUp() {
        clock = new MutableClock();
        store = createStore();
        ledger = new Ledger(store, clock, LedgerSettings.defaults());
        handlers = new Handlers(ledger);
        admission = new Admission(ledger);
        ledger.createTenant("team-a", Map.of("memory", 16_384L));
        ledger.createTenant("team-b", Map.of("memory", 16_384L));
        ledger.report("n1", Map.of("memory", 10_000L), Map.of());
    }

    private Binding bind(String id, String owner, AckPolicy policy, int priority, int attempts) {
        Result<Binding> r = handlers.create(id, new Handlers.Spec(owner, "claim.granted", Map.of(),
                "http://localhost:1/" + id, null, priority, policy, 1000, attempts, 100, "api"), "s-" + id);
        assertThat(r.rejection()).isNull();
        return r.value();
    }

    /** Grants a claim of {@code tenant} and hands the events to the handlers; returns the delivery of its grant. */
    private Delivery granted(String claim, String tenant) {
        ledger.submit(ClaimRequest.of(claim, tenant, Bundle.of(Map.of("memory", 100L), List.of()), 1, 60, null));
        admission.pass();
        handlers.ingest(100);
        return handlers.delivery("claim:" + claim + ":1|" + tenant);
    }

    private static List<String> due(Delivery d, long now) {
        return d.due(now).stream().map(Delivery.Step::binding).toList();
    }

    @Test
    void eachTenantsEventsReachItsBindingsAndTheOperatorsOnly() {
        bind("a1", "team-a", AckPolicy.ALL, 0, 1);
        bind("b1", "team-b", AckPolicy.ALL, 0, 1);
        bind("ops", null, AckPolicy.BEFORE, 0, 1);
        handlers.create("q", new Handlers.Spec("team-a", "claim.queued", Map.of("priority", "7"), "http://h/q", null,
                0, AckPolicy.ALL, 1000, 1, 100, "api"), "s");
        Delivery d = granted("c1", "team-a");
        assertThat(d.steps()).extracting(Delivery.Step::binding).containsExactly("a1");
        assertThat(handlers.delivery("claim:c1:1|*").steps()).extracting(Delivery.Step::binding).containsExactly("ops");
        assertThat(handlers.pending()).extracting(Delivery::id)
                .containsExactlyInAnyOrder("claim:c1:1|team-a", "claim:c1:1|*");
        assertThat(handlers.delivery("claim:c1:0|team-a")).as("the filter wants priority 7").isNull();
    }

    @Test
    void allIsAcknowledgedWhenEveryHandlerSucceededAndRefusedWhenOneGivesUp() {
        bind("h1", "team-a", AckPolicy.ALL, 5, 1);
        bind("h2", "team-a", AckPolicy.ALL, 1, 2);
        Delivery d = granted("c1", "team-a");
        assertThat(due(d, clock.millis())).containsExactly("h1", "h2");
        d = handlers.attempted(d.id(), "h1", true, null, null);
        assertThat(d.ack()).isEqualTo(Ack.PENDING);
        d = handlers.attempted(d.id(), "h2", true, null, null);
        assertThat(d.ack()).isEqualTo(Ack.ACKED);
        assertThat(d.done()).isTrue();

        Delivery e = granted("c2", "team-a");
        e = handlers.attempted(e.id(), "h1", true, null, null);
        e = handlers.attempted(e.id(), "h2", false, "timed out after 1000 ms", null);
        assertThat(e.ack()).as("h2 may try again").isEqualTo(Ack.PENDING);
        assertThat(due(e, clock.millis())).as("not before its backoff").isEmpty();
        assertThat(due(e, clock.millis() + 100)).containsExactly("h2");
        e = handlers.attempted(e.id(), "h2", false, "HTTP 500", null);
        assertThat(e.ack()).isEqualTo(Ack.FAILED);
        assertThat(handlers.deadLetters("h2")).singleElement().satisfies(dl -> {
            assertThat(dl.attempts()).isEqualTo(2);
            assertThat(dl.lastError()).isEqualTo("HTTP 500");
            assertThat(dl.event().id()).isEqualTo("claim:c2:1");
        });
        assertThat(handlers.get("h2").failures()).isEqualTo(2);
        assertThat(handlers.get("h1").successes()).isEqualTo(2);
    }

    @Test
    void anyTriesOneAtATimeInPriorityOrderUntilOneSucceeds() {
        bind("low", "team-a", AckPolicy.ANY, 1, 1);
        bind("high", "team-a", AckPolicy.ANY, 9, 1);
        bind("mid", "team-a", AckPolicy.ANY, 5, 1);
        Delivery d = granted("c1", "team-a");
        assertThat(due(d, clock.millis())).containsExactly("high");
        d = handlers.attempted(d.id(), "high", false, "connection refused", null);
        assertThat(due(d, clock.millis())).containsExactly("mid");
        d = handlers.attempted(d.id(), "mid", true, null, null);
        assertThat(d.ack()).isEqualTo(Ack.ACKED);
        assertThat(d.steps()).extracting(Delivery.Step::state)
                .containsExactly(StepState.FAILED, StepState.OK, StepState.SKIPPED);
        assertThat(d.done()).isTrue();

        Delivery e = granted("c2", "team-a");
        for (String b : List.of("high", "mid", "low")) {
            e = handlers.attempted(e.id(), b, false, "down", null);
        }
        assertThat(e.ack()).as("none succeeded").isEqualTo(Ack.FAILED);
    }

    @Test
    void beforeIsAcknowledgedAtOnceAndFailuresAreOnlyRecorded() {
        bind("h1", "team-a", AckPolicy.BEFORE, 0, 1);
        Delivery d = granted("c1", "team-a");
        assertThat(d.ack()).isEqualTo(Ack.ACKED);
        assertThat(d.done()).isFalse();
        d = handlers.attempted(d.id(), "h1", false, "HTTP 503", null);
        assertThat(d.ack()).isEqualTo(Ack.ACKED);
        assertThat(d.done()).isTrue();
        assertThat(handlers.deadLetters("h1")).hasSize(1);
    }

    @Test
    void aHandlerDisabledMidwayIsSkippedAndNoLongerBlocksAll() {
        bind("h1", "team-a", AckPolicy.ALL, 0, 1);
        bind("h2", "team-a", AckPolicy.ALL, 0, 1);
        Delivery d = granted("c1", "team-a");
        d = handlers.attempted(d.id(), "h1", true, null, null);
        handlers.update("h2", false, null);
        d = handlers.skip(d.id(), "h2"); // what the dispatcher does with a disabled binding's step
        assertThat(d.ack()).isEqualTo(Ack.ACKED);
        assertThat(granted("c2", "team-a").steps()).as("a disabled binding gets no new deliveries")
                .extracting(Delivery.Step::binding).containsExactly("h1");
        handlers.update("h2", true, null);
        assertThat(granted("c3", "team-a").steps()).extracting(Delivery.Step::binding).containsExactly("h1", "h2");
    }

    @Test
    void deadLettersCanBeReplayed() {
        bind("h1", "team-a", AckPolicy.ALL, 0, 1);
        Delivery d = granted("c1", "team-a");
        handlers.attempted(d.id(), "h1", false, "HTTP 500", null);
        assertThat(handlers.replay("h1")).isEqualTo(1);
        assertThat(handlers.deadLetters("h1")).isEmpty();
        Delivery replay = handlers.pending().get(0);
        assertThat(replay.event().id()).isEqualTo("claim:c1:1");
        assertThat(due(replay, clock.millis())).containsExactly("h1");
        assertThat(handlers.attempted(replay.id(), "h1", true, null, null).done()).isTrue();
    }

    @Test
    void theSessionIsReplacedByWhatTheHandlerAnswers() {
        bind("h1", "team-a", AckPolicy.ALL, 0, 3);
        Delivery d = granted("c1", "team-a");
        handlers.attempted(d.id(), "h1", true, null, "{\"seen\":1}");
        assertThat(handlers.get("h1").session()).isEqualTo("{\"seen\":1}");
        Delivery e = granted("c2", "team-a");
        handlers.attempted(e.id(), "h1", true, null, null);
        assertThat(handlers.get("h1").session()).as("no answer keeps it").isEqualTo("{\"seen\":1}");
    }

    @Test
    void withNoBindingAndNoJobAwaitingItsHandlersTheEventsArePassedOverUnread() {
        ledger.submit(ClaimRequest.of("c1", "team-a", Bundle.of(Map.of("memory", 100L), List.of()), 1, 60, null));
        admission.pass();
        long newest = store.events().newest();
        assertThat(newest).isGreaterThanOrEqualTo(0);
        assertThat(handlers.ingest(100)).as("passed over").isEqualTo((int) (newest + 1));
        assertThat(store.cursors().get(Handlers.CURSOR).seq()).isEqualTo(newest);
        assertThat(handlers.pending()).isEmpty();
        assertThat(handlers.ingest(100)).as("nothing new").isZero();

        bind("h1", "team-a", AckPolicy.ALL, 0, 1); // a binding: events are read and handed over again
        ledger.submit(ClaimRequest.of("c2", "team-a", Bundle.of(Map.of("memory", 100L), List.of()), 1, 60, null));
        admission.pass();
        handlers.ingest(100);
        assertThat(handlers.pending()).extracting(Delivery::id).containsExactly("claim:c2:1|team-a");
    }

    @Test
    void aJobAwaitingHandlersDeletedSinceGoesAheadWhenItsGrantIsRead() {
        bind("h1", "team-a", AckPolicy.ALL, 0, 1);
        Jobs jobs = new Jobs(ledger);
        assertThat(jobs.submit(new JobRequest("j1", "team-a", List.of("true"), Map.of(),
                Bundle.of(Map.of("memory", 100L), List.of()), 1, 60, null)).ok()).isTrue();
        admission.pass();
        jobs.follow(store.claims().get("j1"));
        assertThat(jobs.job("j1").reason()).isEqualTo(JobCommands.Assign.AWAITING_HANDLERS);
        assertThat(handlers.delete("h1")).isTrue(); // no binding left, but a job waits: the log must be read
        handlers.ingest(100);
        assertThat(jobs.forNode("n1")).as("no handler will answer: the job goes ahead").extracting(Job::id)
                .containsExactly("j1");
    }

    @Test
    void anEventAppendedTwiceIsDeliveredOnce() {
        bind("h1", "team-a", AckPolicy.ALL, 0, 1);
        ledger.submit(ClaimRequest.of("c1", "team-a", Bundle.of(Map.of("memory", 100L), List.of()), 1, 60, null));
        admission.pass();
        List<Event> once = store.events().read(-1, 100).stream().map(Event.Logged::event).toList();
        assertThat(once).hasSize(2);
        // appended again with the same ids: an engine that took over and published again the batches its head still
        // held
        once.forEach(store.events()::append);
        assertThat(store.events().read(-1, 100)).hasSize(4);
        handlers.ingest(100);
        assertThat(handlers.pending()).extracting(Delivery::id).containsExactly("claim:c1:1|team-a");
        assertThat(handlers.ingest(100)).as("the cursor moved past them").isZero();
    }

    @Test
    void aGrantedJobGoesToItsRunnerOnlyOnceItsHandlersAcknowledgedAndFailsIfTheyRefuse() {
        bind("h1", "team-a", AckPolicy.ALL, 0, 1);
        Jobs jobs = new Jobs(ledger);
        for (String id : List.of("j1", "j2")) {
            assertThat(jobs.submit(new JobRequest(id, "team-a", List.of("true"), Map.of(),
                    Bundle.of(Map.of("memory", 100L), List.of()), 1, 60, null)).ok()).isTrue();
        }
        admission.pass();
        jobs.follow(store.claims().get("j1"));
        jobs.follow(store.claims().get("j2"));
        assertThat(jobs.job("j1").state()).isEqualTo(JobState.STARTING);
        assertThat(jobs.job("j1").reason()).isEqualTo(JobCommands.Assign.AWAITING_HANDLERS);
        assertThat(jobs.forNode("n1")).as("not handed to the runner yet").isEmpty();
        assertThat(jobs.start("j1", "n1").rejection().code()).isEqualTo(Rejection.Code.WRONG_STATE);
        handlers.ingest(100);
        handlers.attempted("claim:j1:1|team-a", "h1", true, null, null);
        assertThat(jobs.forNode("n1")).extracting(Job::id).containsExactly("j1");
        assertThat(jobs.start("j1", "n1").value().state()).isEqualTo(JobState.RUNNING);

        handlers.attempted("claim:j2:1|team-a", "h1", false, "HTTP 500", null);
        Job failed = jobs.job("j2");
        assertThat(failed.state()).isEqualTo(JobState.FAILED);
        assertThat(failed.reason()).startsWith("HANDLERS_FAILED").contains("HTTP 500");
        assertThat(ledger.claim("j2").state()).as("its tokens returned").isEqualTo(ClaimState.RELEASED);
        assertThat(store.nodes().get("n1").granted("memory")).isEqualTo(100);
    }

    @Test
    void aJobWhoseHandlersWentAwayIsNotKeptWaiting() {
        bind("h1", "team-a", AckPolicy.ALL, 0, 1);
        Jobs jobs = new Jobs(ledger);
        jobs.submit(new JobRequest("j1", "team-a", List.of("true"), Map.of(),
                Bundle.of(Map.of("memory", 100L), List.of()), 1, 60, null));
        admission.pass();
        jobs.follow(store.claims().get("j1"));
        assertThat(jobs.forNode("n1")).isEmpty();
        handlers.update("h1", false, null);
        handlers.ingest(100);
        assertThat(jobs.forNode("n1")).extracting(Job::id).containsExactly("j1");
    }

    @Test
    void badBindingsAreRefused() {
        bind("h1", "team-a", AckPolicy.ALL, 0, 1);
        record Case(Handlers.Spec spec, Rejection.Code code) {
        }
        List<Case> cases = List.of(
                new Case(new Handlers.Spec("team-a", "claim.granted", Map.of(), "http://x/", null, 0, AckPolicy.ANY,
                        1000, 1, 100, "api"), Rejection.Code.WRONG_STATE),
                new Case(new Handlers.Spec("team-a", "claim.nope", Map.of(), "http://x/", null, 0, AckPolicy.ALL,
                        1000, 1, 100, "api"), Rejection.Code.INVALID),
                new Case(new Handlers.Spec("team-a", "claim.queued", Map.of(), "ftp://x/", null, 0, AckPolicy.ALL,
                        1000, 1, 100, "api"), Rejection.Code.INVALID),
                new Case(new Handlers.Spec("team-a", "claim.queued", Map.of(), "http://x/", "addr", 0, AckPolicy.ALL,
                        1000, 1, 100, "api"), Rejection.Code.INVALID),
                new Case(new Handlers.Spec("team-a", "claim.queued", Map.of(), null, null, 0, AckPolicy.ALL,
                        1000, 1, 100, "api"), Rejection.Code.INVALID),
                new Case(new Handlers.Spec("team-a", "claim.queued", Map.of(), "http://x/", null, 0, AckPolicy.ALL,
                        10, 1, 100, "api"), Rejection.Code.INVALID));
        for (Case c : cases) {
            assertThat(handlers.create("bad", c.spec(), "s").rejection().code()).as(c.toString()).isEqualTo(c.code());
        }
        assertThat(handlers.all()).extracting(Binding::id).containsExactly("h1");
    }
}
