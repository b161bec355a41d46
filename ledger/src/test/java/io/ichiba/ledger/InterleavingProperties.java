package io.ichiba.ledger;

import io.ichiba.ledger.Binding.AckPolicy;
import io.ichiba.ledger.store.InMemoryStore;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Interleavings of the broker's concurrent actors driven one step at a time by a controllable scheduler: the test
 * picks which actor moves next (a client submitting, releasing or renewing; the admission loop; the lease reaper;
 * the event relay; the dispatcher ingesting the log; a handler answering one due step, well or badly; the clock).
 * jqwik generates the schedules and prints the seed and the (shrunk) schedule of any failure, so a race found once
 * is replayed exactly — {@code @Property(seed = "...")}, or the schedule pasted into an {@code @Example}.
 *
 * <p>What must hold after every step: no pool holds more than its capacity (law 1); every event of the log that a
 * binding wants has its delivery once the dispatcher ingested past it (at least once, and once per event id); an
 * acknowledged {@code ALL} delivery had every handler succeed or skipped, an acknowledged {@code ANY} one had one
 * succeed; a job whose grant its handlers have not acknowledged is not handed to its runner, and one whose grant
 * they refused ended with its tokens returned.
 */
class InterleavingProperties {

    /** One move of one actor. */
    record Step(int actor, int pick) {
    }

    @Provide
    Arbitrary<List<Step>> schedules() {
        return net.jqwik.api.Combinators.combine(Arbitraries.integers().between(0, 9), Arbitraries.integers()
                .between(0, 99)).as(Step::new).list().ofMinSize(10).ofMaxSize(120);
    }

    @Provide
    Arbitrary<AckPolicy> policies() {
        return Arbitraries.of(AckPolicy.class);
    }

    @Property(tries = 200)
    void theLawsAndTheAckPoliciesHoldUnderAnyInterleaving(@ForAll("schedules") List<Step> schedule,
                                                          @ForAll("policies") AckPolicy policy) {
        World w = new World(policy);
        for (Step s : schedule) {
            w.step(s);
            w.check();
        }
    }

    /** A replayed schedule (the form a found race takes once pasted here). */
    @Example
    void aJobWaitsForItsHandlersThenRuns() {
        World w = new World(AckPolicy.ALL);
        for (Step s : List.of(new Step(0, 0), new Step(3, 0), new Step(5, 0), new Step(6, 0), new Step(7, 0),
                new Step(7, 1))) {
            w.step(s);
            w.check();
        }
        assertThat(w.jobs.jobs("team-a", JobState.STARTING)).isNotEmpty();
    }

    /** The system under the scheduler: one node, one tenant, two handlers of claim.granted under one policy. */
    static final class World {
        final MutableClock clock = new MutableClock();
        final InMemoryStore store = new InMemoryStore();
        final Ledger ledger = new Ledger(store, clock, LedgerSettings.defaults());
        final Admission admission = new Admission(ledger);
        final LeaseReaper reaper = new LeaseReaper(ledger);
        final EventRelay relay = new EventRelay(store);
        final Handlers handlers = new Handlers(ledger);
        final Jobs jobs = new Jobs(ledger);
        final List<String> submitted = new ArrayList<>();
        int seq;

        World(AckPolicy policy) {
            ledger.createTenant("team-a", Map.of("memory", 10_000L));
            ledger.report("n1", Map.of("memory", 3_000L), Map.of());
            for (String id : List.of("h1", "h2")) {
                handlers.create(id, new Handlers.Spec("team-a", "claim.granted", Map.of(), "http://h/" + id, null,
                        id.equals("h1") ? 5 : 1, policy, 1000, 2, 1000, "api"), "s");
            }
        }

        void step(Step s) {
            switch (s.actor()) {
                case 0 -> { // a client submits a job (its claim)
                    String id = "j" + seq++;
                    jobs.submit(id, "team-a", List.of("true"), Map.of(), Bundle.of(Map.of("memory", 1000L), List.of()),
                            1, 30, null);
                    submitted.add(id);
                }
                case 1 -> { // a client releases a claim
                    if (!submitted.isEmpty()) {
                        ledger.release(submitted.get(s.pick() % submitted.size()));
                    }
                }
                case 2 -> { // a client renews a claim
                    if (!submitted.isEmpty()) {
                        ledger.renew(submitted.get(s.pick() % submitted.size()), 30);
                    }
                }
                case 3 -> { // the admission loop, then the job follower
                    admission.pass();
                    submitted.forEach(id -> {
                        Claim c = store.claims().get(id);
                        if (c != null) {
                            jobs.follow(c);
                        }
                    });
                }
                case 4 -> reaper.sweepLeases();
                case 5 -> relay.sweep();
                case 6 -> handlers.ingest(1 + s.pick() % 5);
                case 7, 8 -> { // a handler answers one due step: 7 well, 8 badly
                    List<Delivery> pending = handlers.pending();
                    if (pending.isEmpty()) {
                        return;
                    }
                    Delivery d = pending.get(s.pick() % pending.size());
                    List<Delivery.Step> due = d.due(Long.MAX_VALUE);
                    if (!due.isEmpty()) {
                        handlers.attempted(d.id(), due.get(0).binding(), s.actor() == 7, "HTTP 500", null);
                    }
                }
                default -> clock.advanceMillis(1 + s.pick() * 500L);
            }
        }

        void check() {
            NodeState n = store.nodes().get("n1");
            assertThat(n.granted("memory")).as("law 1").isLessThanOrEqualTo(n.capacity("memory"));
            HandlerCommands.Cursor cursor = store.cursors().get(Handlers.CURSOR);
            long ingested = cursor == null ? -1 : cursor.seq();
            Set<String> seen = new HashSet<>();
            for (Event.Logged l : store.events().read(-1, 10_000)) {
                if (l.seq() <= ingested && l.event().type().equals("claim.granted") && seen.add(l.event().id())) {
                    assertThat(store.deliveries().get(Delivery.idOf(l.event(), "team-a")))
                            .as("a delivery for %s", l.event().id()).isNotNull();
                }
            }
            for (Delivery d : store.deliveries().entries().values()) {
                if (d.ack() == Delivery.Ack.ACKED && d.policy() == AckPolicy.ALL) {
                    assertThat(d.steps()).allMatch(x -> x.state() == Delivery.StepState.OK
                            || x.state() == Delivery.StepState.SKIPPED);
                }
                if (d.ack() == Delivery.Ack.ACKED && d.policy() == AckPolicy.ANY) {
                    assertThat(d.steps()).anyMatch(x -> x.state() == Delivery.StepState.OK);
                }
                Job j = store.jobs().get(d.event().subject());
                if (j != null && d.policy() != AckPolicy.BEFORE && d.ack() == Delivery.Ack.FAILED) {
                    assertThat(j.state().isFinal()).as("refused: %s ended", j.id()).isTrue();
                }
            }
            for (Job j : store.jobs().entries().values()) {
                if (j.state() == JobState.STARTING && JobCommands.Assign.AWAITING_HANDLERS.equals(j.reason())) {
                    assertThat(jobs.forNode("n1")).as("not for the runner yet").doesNotContain(j);
                }
                if (j.state() == JobState.FAILED && j.reason() != null && j.reason().startsWith("HANDLERS_FAILED")) {
                    Claim c = store.claims().get(j.id());
                    assertThat(c == null || c.state().isFinal()).as("its tokens returned").isTrue();
                }
            }
        }
    }
}
