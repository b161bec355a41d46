package io.ichiba.ledger.engine;

import io.ichiba.ledger.Admission;
import io.ichiba.ledger.LeaseReaper;
import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.LedgerSettings;
import io.ichiba.ledger.MutableClock;
import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.journal.Batch;
import io.ichiba.ledger.journal.InMemoryJournal;
import io.ichiba.ledger.journal.Journal;
import io.ichiba.ledger.pool.KindDef;
import io.ichiba.ledger.store.Timer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Timers as commands the engine schedules for itself (issue 13, "one clock"): a timer runs on the engine's thread,
 * when the engine's clock says it is due, only while the engine runs on this member; its operations are commands of
 * their own within one batch (a failing one leaves nothing, the others stay), journaled together.
 *
 * <p>The engine looks at its timers each time it takes a batch, before running it, and answers the batch's callers
 * only once the whole batch is journaled: so once a command sent after the clock moved is answered, every timer due
 * by then has run. That is how these tests wait, without sleeping.
 */
class EngineTimersTest {
    private final MutableClock clock = new MutableClock();

    @AfterEach
    void closeEngines() {
        Engines.closeAll();
    }

    /** A journal that counts the batches appended to it. */
    static final class Counting extends Engines.Forwarding {
        final List<Batch> appended = new CopyOnWriteArrayList<>();

        Counting(Journal inner) {
            super(inner);
        }

        @Override
        public void append(Batch batch) {
            inner.append(batch);
            appended.add(batch);
        }
    }

    /** A command through the engine: answered once every timer due when it was taken has run. */
    private static void roundTrip(EngineStore store) {
        store.engine().call(() -> null);
    }

    private static void defineKind(EngineStore store, String name) {
        store.kinds().execute(name, k -> io.ichiba.ledger.Command.Outcome.write(new KindDef(name, "u", 0L), null));
    }

    @Test
    void aTimerRunsOnTheEngineThreadWhenTheEnginesClockSaysItIsDue() {
        EngineStore store = Engines.started(new InMemoryJournal());
        store.clock(clock);
        AtomicInteger runs = new AtomicInteger();
        List<String> threads = new CopyOnWriteArrayList<>();
        Timer t = store.every("test", Duration.ofSeconds(60), () -> {
            runs.incrementAndGet();
            threads.add(Thread.currentThread().getName());
        });
        roundTrip(store); // the engine has seen the timer: its first run is due 60 s from now

        clock.advance(Duration.ofSeconds(59));
        roundTrip(store);
        assertThat(runs).as("not due yet").hasValue(0);

        clock.advance(Duration.ofSeconds(1));
        roundTrip(store);
        assertThat(runs).as("due by the engine's clock").hasValue(1);
        assertThat(threads).containsOnly("ichiba-engine");
        roundTrip(store);
        assertThat(runs).as("the next run is a period after this one").hasValue(1);

        clock.advance(Duration.ofSeconds(60));
        roundTrip(store);
        assertThat(runs).hasValue(2);

        t.close();
        clock.advance(Duration.ofSeconds(120));
        roundTrip(store);
        assertThat(runs).as("a closed timer does not run").hasValue(2);
    }

    @Test
    void aWokenTimerRunsAtOnceAndManyWakesBeforeItRunsMakeOneRun() throws Exception {
        EngineStore store = Engines.started(new InMemoryJournal());
        store.clock(clock);
        AtomicInteger runs = new AtomicInteger();
        Timer t = store.every("test", Duration.ofHours(1), runs::incrementAndGet);
        roundTrip(store);
        java.util.concurrent.CountDownLatch busy = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CompletableFuture<Object> holding = store.engine().submit(() -> {
            try {
                busy.await(30, java.util.concurrent.TimeUnit.SECONDS); // the engine is busy with a long command
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        });
        for (int i = 0; i < 100; i++) {
            t.wake();
        }
        busy.countDown();
        holding.get(30, java.util.concurrent.TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).until(() -> runs.get() >= 1);
        roundTrip(store);
        assertThat(runs).as("a hundred wakes while the engine was busy: one run, long before its hour").hasValue(1);
    }

    @Test
    void eachOperationOfATimerIsACommandOfItsOwnAndTheRunIsJournaledInTheBatchItFellIn() {
        Counting journal = new Counting(new InMemoryJournal());
        EngineStore store = Engines.started(journal);
        store.clock(clock);
        Timer t = store.every("test", Duration.ofSeconds(1), () -> {
            store.atomically(() -> {
                defineKind(store, "a");
                return null;
            });
            try {
                store.atomically(() -> {
                    defineKind(store, "b");
                    throw new IllegalStateException("this one fails");
                });
            } catch (IllegalStateException expected) {
                // the run goes on
            }
            store.atomically(() -> {
                defineKind(store, "c");
                return null;
            });
            defineKind(store, "d"); // not an operation of its own: dropped with the run when it throws next
            throw new IllegalStateException("the run fails after its third operation");
        });
        roundTrip(store);
        int before = journal.appended.size();
        clock.advance(Duration.ofSeconds(1));
        roundTrip(store);
        t.close();

        assertThat(store.kinds().get("a")).isNotNull();
        assertThat(store.kinds().get("b")).as("its failed operation left nothing").isNull();
        assertThat(store.kinds().get("c")).isNotNull();
        assertThat(store.kinds().get("d")).as("what it changed after its last operation is dropped").isNull();
        assertThat(journal.appended).hasSize(before + 1);
        assertThat(journal.appended.get(before).changes()).extracting(c -> c.key())
                .containsExactlyInAnyOrder("a", "c");
    }

    /** A ledger over {@code store} with fifty claims granted on one node, each with a 30 s lease. */
    private Ledger fiftyGrantedLeases(EngineStore store) {
        Ledger ledger = new Ledger(store, clock, LedgerSettings.defaults());
        assertThat(ledger.createTenant("t", Map.of("memory", 1_000L)).ok()).isTrue();
        assertThat(ledger.report("n1", Map.of("memory", 100L), Map.of()).ok()).isTrue();
        for (int i = 0; i < 50; i++) {
            assertThat(ledger.submit(ClaimRequest.of("c" + i, "t", Bundle.of(Map.of("memory", 1L), List.of()), 1, 30,
                    null)).ok())
                    .isTrue();
        }
        store.atomically(new Admission(ledger)::pass);
        assertThat(ledger.claim("c49").state()).isEqualTo(ClaimState.GRANTED);
        return ledger;
    }

    @Test
    void leasesEndByTheEnginesTimerAllInOneBatch() {
        Counting journal = new Counting(new InMemoryJournal());
        EngineStore store = Engines.started(journal);
        Ledger ledger = fiftyGrantedLeases(store);
        LeaseReaper reaper = new LeaseReaper(ledger);
        AtomicInteger expired = new AtomicInteger();
        store.every("leases", Duration.ofSeconds(1), () -> expired.addAndGet(reaper.sweepLeases().expired()));
        roundTrip(store);
        int before = journal.appended.size();

        clock.advance(Duration.ofSeconds(31));
        roundTrip(store);

        assertThat(expired).hasValue(50);
        for (int i = 0; i < 50; i++) {
            assertThat(ledger.claim("c" + i).state()).isEqualTo(ClaimState.EXPIRED);
        }
        assertThat(ledger.pool("memory@n1").granted()).as("every token returned").isZero();
        assertThat(journal.appended).as("fifty expiries and their returns: one batch").hasSize(before + 1);
    }

    @Test
    void aBacklogIsWorkedOffInBoundedBatchesWithCommandsAnsweredBetween() throws Exception {
        Counting journal = new Counting(new InMemoryJournal());
        EngineStore store = Engines.started(journal);
        store.engine().timerSteps(10);
        Ledger ledger = fiftyGrantedLeases(store);
        AtomicInteger expired = new AtomicInteger();
        LeaseReaper reaper = new LeaseReaper(ledger, new LeaseReaper.Tally() {
            @Override
            public void leaseExpired() {
                expired.incrementAndGet();
            }
        });
        store.every("leases", Duration.ofSeconds(1), reaper::sweepLeases);
        roundTrip(store);
        int before = journal.appended.size();

        // the engine is busy while the clock jumps and a command arrives: the command shares a batch with the first
        // or the second run
        java.util.concurrent.CountDownLatch busy = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CompletableFuture<Object> holding = store.engine().submit(() -> {
            try {
                busy.await(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        });
        clock.advance(Duration.ofSeconds(31));
        // counted when the answer is given (on the engine's thread, before it goes on)
        java.util.concurrent.CompletableFuture<Integer> expiredWhenAnswered = store.engine().submit(() -> null)
                .thenApply(x -> expired.get());
        busy.countDown();
        holding.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(expiredWhenAnswered.get(30, java.util.concurrent.TimeUnit.SECONDS))
                .as("the command was answered after one or two runs of ten leases, not after all fifty")
                .isBetween(10, 20);

        await().atMost(Duration.ofSeconds(30)).until(() -> {
            roundTrip(store);
            return expired.get() == 50;
        });
        for (int i = 0; i < 50; i++) {
            assertThat(ledger.claim("c" + i).state()).isEqualTo(ClaimState.EXPIRED);
        }
        assertThat(ledger.pool("memory@n1").granted()).as("every token returned").isZero();
        List<Long> claimsPerBatch = journal.appended.subList(before, journal.appended.size()).stream()
                .map(b -> b.changes().stream().filter(c -> c.table().equals("claims")).count())
                .filter(n -> n > 0).toList();
        assertThat(claimsPerBatch).as("at most ten leases ended in each batch").allMatch(n -> n <= 10)
                .hasSizeGreaterThanOrEqualTo(5);
    }

    @Test
    void aRunCutShortThatChangedNothingRunsAgainOnlyAPeriodLater() {
        EngineStore store = Engines.started(new InMemoryJournal());
        store.engine().timerSteps(10);
        store.clock(clock);
        AtomicInteger runs = new AtomicInteger();
        AtomicInteger steps = new AtomicInteger();
        store.every("refusing", Duration.ofHours(1), () -> {
            runs.incrementAndGet();
            for (int i = 0; i < 30; i++) {
                store.atomically(steps::incrementAndGet); // an operation that changes nothing (it refuses)
            }
        });
        roundTrip(store);
        clock.advance(Duration.ofHours(1));
        roundTrip(store);
        assertThat(runs).hasValue(1);
        assertThat(steps).as("the run stopped at its bound").hasValue(10);
        for (int i = 0; i < 5; i++) {
            roundTrip(store);
        }
        assertThat(runs).as("it did not spin: nothing changed, so it waits its period").hasValue(1);
        clock.advance(Duration.ofHours(1));
        roundTrip(store);
        assertThat(runs).hasValue(2);
    }

    @Test
    void timersRunOnlyWhereTheEngineRunsAndMoveWithIt() {
        InMemoryJournal journal = new InMemoryJournal();
        EngineStore a = Engines.started(journal);
        a.clock(clock);
        EngineStore b = new EngineStore(journal, new io.ichiba.ledger.store.InMemoryEventLog(1000), null,
                EngineListener.NONE, Duration.ofSeconds(2));
        b.clock(clock);
        AtomicInteger onA = new AtomicInteger();
        AtomicInteger onB = new AtomicInteger();
        a.every("test", Duration.ofSeconds(1), () -> {
            onA.incrementAndGet();
            defineKind(a, "from-a-" + onA.get());
        });
        b.every("test", Duration.ofSeconds(1), () -> {
            onB.incrementAndGet();
            defineKind(b, "from-b-" + onB.get());
        });
        try {
            roundTrip(a);
            clock.advance(Duration.ofSeconds(1));
            roundTrip(a);
            assertThat(onA).hasValue(1);
            assertThat(onB).as("b's engine does not run: neither do its timers").hasValue(0);

            Engines.activate(b); // b takes over: a new epoch
            roundTrip(b);
            clock.advance(Duration.ofSeconds(1));
            roundTrip(b);
            assertThat(onB).hasValue(1);
            assertThat(b.kinds().get("from-b-1")).isNotNull();

            // a's timer runs once more, and its batch is refused: a's engine stops, and its timer with it
            assertThatThrownBy(() -> roundTrip(a)).isInstanceOf(NotEngineException.class);
            assertThat(a.engine().active()).isFalse();
            int ranOnA = onA.get();
            clock.advance(Duration.ofSeconds(5));
            roundTrip(b);
            assertThat(onA).as("a stopped engine runs no timer").hasValue(ranOnA);
            assertThat(b.kinds().get("from-a-" + ranOnA)).as("a's fenced run left nothing").isNull();
        } finally {
            b.close();
        }
    }
}
