package io.ichiba.ledger.engine;

import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.LedgerSettings;
import io.ichiba.ledger.MutableClock;
import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.event.Event;
import io.ichiba.ledger.journal.Batch;
import io.ichiba.ledger.journal.FencedException;
import io.ichiba.ledger.journal.InMemoryJournal;
import io.ichiba.ledger.journal.Journal;
import io.ichiba.ledger.store.EventLog;
import io.ichiba.ledger.store.InMemoryEventLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Events come out of the batch that caused them: journaled with it, appended to the event log once it is journaled
 * and before any caller is answered, never for a batch the journal refused, and again by an engine that takes over
 * while the batch is still in the journal's head. No record is left with events pending, so nothing is relayed.
 */
class EngineEventsTest {
    private final MutableClock clock = new MutableClock();
    private final List<EngineStore> opened = new ArrayList<>();

    @AfterEach
    void close() {
        opened.forEach(EngineStore::close);
    }

    /** An engine store over {@code journal} and {@code log}, started. */
    private EngineStore started(Journal journal, EventLog log) {
        EngineStore s = new EngineStore(journal, log, null, EngineListener.NONE, Duration.ofSeconds(2));
        Engines.activate(s);
        opened.add(s);
        return s;
    }

    /** A ledger over {@code store} with a tenant {@code acme} and a node {@code n1} to claim from. */
    private Ledger ledger(EngineStore store) {
        Ledger ledger = new Ledger(store, clock, LedgerSettings.defaults());
        assertThat(ledger.createTenant("acme", Map.of("memory", 1000L, "disk", 1000L)).ok()).isTrue();
        assertThat(ledger.report("n1", Map.of("memory", 1000L, "disk", 1000L), Map.of()).ok()).isTrue();
        return ledger;
    }

    private static Bundle bundle(long memory) {
        return Bundle.of(new TreeMap<>(Map.of("memory", memory, "disk", 1L)), List.of());
    }

    private static List<String> ids(EventLog log) {
        return log.read(-1, 1000).stream().map(l -> l.event().id()).toList();
    }

    /** A journal that keeps every batch in its head (nothing is written behind) and can refuse appends. */
    static final class Keeping extends Engines.Forwarding {
        final List<Batch> appended = new CopyOnWriteArrayList<>();
        final AtomicBoolean refuse = new AtomicBoolean();

        Keeping(Journal inner) {
            super(inner);
        }

        @Override
        public void append(Batch batch) {
            if (refuse.get()) {
                throw new FencedException("refused by the test");
            }
            inner.append(batch);
            appended.add(batch);
        }

        @Override
        public boolean writeBehind(long epoch, long seq, Map<String, Map<String, Object>> changes) {
            return false; // the head keeps every batch
        }
    }

    @Test
    void aBatchsEventsAreJournaledWithItAndInTheLogBeforeItsCallerIsAnswered() {
        Keeping journal = new Keeping(new InMemoryJournal());
        InMemoryEventLog log = new InMemoryEventLog(1000);
        EngineStore store = started(journal, log);
        Ledger ledger = ledger(store);

        Claim c = ledger.submit(ClaimRequest.of("c1", "acme", bundle(10), 0, 60, null)).value();
        assertThat(c.outbox().hasPending()).as("the answer was made before the batch took the events").isTrue();
        assertThat(ids(log)).as("in the log when the caller is answered").contains("claim:c1:0");
        assertThat(store.claims().get("c1").outbox().hasPending()).as("nothing left to relay").isFalse();
        Batch withIt = journal.appended.stream()
                .filter(b -> b.events().stream().anyMatch(e -> ((Event) e).id().equals("claim:c1:0")))
                .findFirst().orElseThrow();
        assertThat(withIt.changes()).as("journaled with the change it describes")
                .anyMatch(ch -> ch.table().equals("claims") && ch.key().equals("c1"));

        // the next claims' events follow theirs, and no record keeps any
        ledger.submit(ClaimRequest.of("c2", "acme", bundle(10), 0, 60, null));
        ledger.submit(ClaimRequest.of("c3", "acme", bundle(10), 0, 60, null));
        assertThat(ids(log)).contains("claim:c2:0", "claim:c3:0");
        assertThat(store.claims().values(x -> true)).allSatisfy(x -> assertThat(x.outbox().hasPending()).isFalse());
    }

    @Test
    void aBatchTheJournalRefusedPublishesNothing() {
        Keeping journal = new Keeping(new InMemoryJournal());
        InMemoryEventLog log = new InMemoryEventLog(1000);
        EngineStore store = started(journal, log);
        Ledger ledger = ledger(store);
        List<String> before = ids(log);

        journal.refuse.set(true);
        assertThatThrownBy(() -> ledger.submit(ClaimRequest.of("c1", "acme", bundle(10), 0, 60, null)))
                .isInstanceOfAny(NotEngineException.class, EngineUnavailableException.class);
        assertThat(store.engine().active()).as("fenced").isFalse();
        assertThat(ids(log)).as("no event of a change that is not journaled").isEqualTo(before);
    }

    @Test
    void anEngineThatTakesOverPublishesAgainTheEventsOfTheBatchesStillInTheHead() {
        Keeping journal = new Keeping(new InMemoryJournal());
        InMemoryEventLog first = new InMemoryEventLog(1000);
        EngineStore old = started(journal, first);
        Ledger ledger = ledger(old);
        ledger.submit(ClaimRequest.of("c1", "acme", bundle(10), 0, 60, null));
        List<String> published = ids(first);
        assertThat(published).contains("claim:c1:0");

        // the old engine's member died after its appends, maybe before its events reached the log: a new engine
        // (here with a log of its own, to see what it appends) publishes them again, with the same ids
        InMemoryEventLog second = new InMemoryEventLog(1000);
        started(journal, second);
        assertThat(ids(second)).containsExactlyElementsOf(published);
    }

    @Test
    void aLogThatCannotBeWrittenStopsTheEngineAndItsCallerIsToldTheOutcomeIsUnknown() throws Exception {
        InMemoryJournal journal = new InMemoryJournal();
        AtomicBoolean broken = new AtomicBoolean();
        InMemoryEventLog kept = new InMemoryEventLog(1000);
        EventLog log = new EventLog() {
            @Override
            public long append(Event e) {
                if (broken.get()) {
                    throw new IllegalStateException("the log is down (test)");
                }
                return kept.append(e);
            }

            @Override
            public List<Event.Logged> read(long after, int max) {
                return kept.read(after, max);
            }

            @Override
            public long oldest() {
                return kept.oldest();
            }

            @Override
            public long newest() {
                return kept.newest();
            }
        };
        EngineStore store = started(journal, log);
        Ledger ledger = ledger(store);

        broken.set(true);
        assertThatThrownBy(() -> ledger.submit(ClaimRequest.of("c1", "acme", bundle(10), 0, 60, null)))
                .isInstanceOf(EngineUnavailableException.class);
        assertThat(store.engine().active()).isFalse();
        assertThat(ids(log)).doesNotContain("claim:c1:0");

        broken.set(false);
        store.engine().activate().get(30, TimeUnit.SECONDS); // as the role does: the journal has the batch
        assertThat(ids(log)).as("published by the takeover").contains("claim:c1:0");
        assertThat(ledger.claim("c1")).as("the change was journaled").isNotNull();
    }
}
