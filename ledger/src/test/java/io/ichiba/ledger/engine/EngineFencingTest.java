package io.ichiba.ledger.engine;

import io.ichiba.ledger.Admission;
import io.ichiba.ledger.Auditor;
import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.LedgerInvariants;
import io.ichiba.ledger.LedgerSettings;
import io.ichiba.ledger.MutableClock;
import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.journal.Batch;
import io.ichiba.ledger.journal.InMemoryJournal;
import io.ichiba.ledger.journal.Journal;
import io.ichiba.ledger.pool.Amounts;
import io.ichiba.ledger.pool.Holdings;
import io.ichiba.ledger.pool.PlaceCommands;
import io.ichiba.ledger.tenant.TenantState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Fencing and all-or-nothing, the engine's answers to issue 13's defects 1 and 2: an engine paused with a batch
 * applied but not journaled, woken after another engine took over, journals nothing and tells no caller "done";
 * a whole admission pass is one batch, so no grant is ever journaled half made; a command that fails halfway
 * leaves nothing.
 */
class EngineFencingTest {
    private final MutableClock clock = new MutableClock();

    @AfterEach
    void closeEngines() {
        Engines.closeAll();
    }

    /** A journal whose appends wait at a gate while it is shut: an engine paused before its append. */
    static final class Gated extends Engines.Forwarding {
        private volatile CountDownLatch gate = new CountDownLatch(0);
        final CountDownLatch arrived = new CountDownLatch(1);

        Gated(Journal inner) {
            super(inner);
        }

        void shut() {
            gate = new CountDownLatch(1);
        }

        void open() {
            gate.countDown();
        }

        @Override
        public void append(Batch batch) {
            CountDownLatch g = gate;
            if (g.getCount() > 0) {
                arrived.countDown();
                try {
                    g.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            inner.append(batch);
        }
    }

    private Ledger ledger(EngineStore store) {
        return new Ledger(store, clock, LedgerSettings.defaults());
    }

    private static Bundle bundle(long memory, String... locks) {
        return Bundle.of(new java.util.TreeMap<>(Map.of("memory", memory, "disk", 1L)), List.of(locks));
    }

    @Test
    void anEnginePausedBeforeItsAppendIsFencedAfterATakeoverAndTellsNoCallerDone() throws Exception {
        InMemoryJournal journal = new InMemoryJournal();
        Gated gated = new Gated(journal);
        EngineStore old = Engines.started(gated);
        Ledger a = ledger(old);
        a.createTenant("acme", Map.of("memory", 100L, "disk", 100L));
        a.report("n1", Map.of("memory", 100L, "disk", 100L), Map.of());
        a.createLock("db", 1);
        assertThat(a.submit(ClaimRequest.of("c1", "acme", bundle(60, "db"), 0, 60, null)).ok()).isTrue();

        gated.shut();
        Admission admission = new Admission(a);
        CompletableFuture<Admission.Pass> pass = CompletableFuture.supplyAsync(
                () -> old.atomically(admission::pass));
        assertThat(gated.arrived.await(30, TimeUnit.SECONDS)).as("the old engine reached its append").isTrue();

        EngineStore fresh = Engines.started(journal); // takes over: epoch + 1
        gated.open();

        // fenced, the old engine fails the pass; with no other member to send it to, the caller is told "unavailable"
        assertThatThrownBy(() -> pass.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(EngineUnavailableException.class);
        await().atMost(Duration.ofSeconds(10)).until(() -> !old.engine().active());

        Ledger b = ledger(fresh);
        Claim c1 = b.claim("c1");
        assertThat(c1.state()).as("the grant the old engine never journaled").isEqualTo(ClaimState.QUEUED);
        assertThat(fresh.nodes().get("n1").holdings().holders()).isEmpty();
        assertThat(fresh.locks().get("db").holdings().holders()).isEmpty();
        assertThat(new Auditor(b).audit().drift()).isEmpty();
        LedgerInvariants.check(fresh);

        assertThat(fresh.atomically(new Admission(b)::pass).granted()).extracting(Claim::id).containsExactly("c1");
        assertThat(b.claim("c1").state()).isEqualTo(ClaimState.GRANTED);
        assertThat(new Auditor(b).audit().drift()).isEmpty();
        LedgerInvariants.check(fresh);
        assertThatThrownBy(() -> a.claim("c1")).as("the fenced engine answers nothing")
                .isInstanceOf(EngineUnavailableException.class);
    }

    @Test
    void aPassIsOneBatch() {
        InMemoryJournal journal = new InMemoryJournal();
        EngineStore store = Engines.started(journal);
        Ledger l = ledger(store);
        l.createTenant("acme", Map.of("memory", 100L, "disk", 100L));
        l.report("n1", Map.of("memory", 100L, "disk", 100L), Map.of());
        l.createLock("db", 1);
        for (int i = 0; i < 5; i++) {
            l.submit(ClaimRequest.of("c" + i, "acme", bundle(10, i == 0 ? new String[] {"db"} : new String[0]), 0,
                    60, null));
        }
        long before = journal.appends();
        assertThat(store.atomically(new Admission(l)::pass).granted()).hasSize(5);
        assertThat(journal.appends() - before).as("batches the pass journaled").isEqualTo(1);
        LedgerInvariants.check(store);
    }

    @Test
    void aCommandThatFailsHalfwayLeavesNothing() {
        EngineStore store = Engines.started(new InMemoryJournal());
        TenantState t = new TenantState("acme", Amounts.of(Map.of("memory", 1L)), Holdings.empty(), 0);
        assertThatThrownBy(() -> store.atomically(() -> {
            store.tenants().execute("acme", new PlaceCommands.CreateNew<>(t));
            assertThat(store.tenants().get("acme")).as("seen by its own command").isNotNull();
            throw new IllegalStateException("boom");
        })).hasMessage("boom");
        assertThat(store.tenants().get("acme")).isNull();
        assertThat(store.atomically(() -> store.tenants().execute("acme", new PlaceCommands.CreateNew<>(t)))).isTrue();
        assertThat(store.tenants().get("acme")).isEqualTo(t);
    }

    /**
     * An append whose outcome is unknown (here: it landed, then failed) is told to the caller as "unavailable", never
     * as "not the engine" (which invites running it again): after a takeover the batch is in, once.
     */
    @Test
    void anAppendOfUnknownOutcomeIsNotToldAsNotApplied() {
        InMemoryJournal journal = new InMemoryJournal();
        EngineStore store = Engines.started(new Engines.Forwarding(journal) {
            @Override
            public void append(Batch batch) {
                inner.append(batch);
                throw new io.ichiba.ledger.journal.JournalUnavailableException("the answer was lost", null);
            }
        });
        TenantState t = new TenantState("acme", Amounts.of(Map.of("memory", 1L)), Holdings.empty(), 0);
        assertThatThrownBy(() -> store.engine().call(() ->
                store.tenants().execute("acme", new PlaceCommands.CreateNew<>(t))))
                .isInstanceOf(EngineUnavailableException.class);
        EngineStore next = Engines.started(journal);
        assertThat(next.tenants().get("acme")).as("the batch landed: the next engine has it").isEqualTo(t);
    }

    @Test
    void aStoppedEngineRefusesCommandsAndChangesNothing() throws Exception {
        InMemoryJournal journal = new InMemoryJournal();
        EngineStore store = Engines.started(journal);
        store.engine().deactivate().get(10, TimeUnit.SECONDS);
        assertThatThrownBy(() -> store.engine().call(() -> 1)).isInstanceOf(NotEngineException.class);
        assertThat(journal.appends()).isZero();
    }
}
