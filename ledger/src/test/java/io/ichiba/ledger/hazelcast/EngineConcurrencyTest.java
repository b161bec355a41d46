package io.ichiba.ledger.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import io.ichiba.ledger.StoreHammer;
import io.ichiba.ledger.engine.EngineStore;
import io.ichiba.ledger.engine.Engines;
import io.ichiba.ledger.journal.InMemoryJournal;
import io.ichiba.ledger.store.Store;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The {@link StoreHammer} workload (many threads, laws 1–3 checked while it runs and at rest) through the engine: in
 * this process over the reference journal, and over two Hazelcast members, where the
 * member that does not run the engine sends every call to the one that does; afterwards the journal replays to the
 * state.
 */
class EngineConcurrencyTest {

    @AfterAll
    static void closeEngines() {
        Engines.closeAll();
    }

    @Test
    void inMemoryJournal() throws Exception {
        InMemoryJournal journal = new InMemoryJournal();
        EngineStore store = Engines.started(journal);
        new StoreHammer(List.of(store, store)).run();
        Engines.assertReplayEquals(Engines.replayed(journal.peek()), store);
        assertThat(journal.appends()).as("batches journaled").isPositive();
    }

    @Test
    void twoHazelcastMembers() throws Exception {
        List<HazelcastInstance> members = EmbeddedHazelcast.startCluster(getClass(), 5961, 2);
        List<EngineStore> stores = members.stream().map(HazelcastEngine::store).toList();
        try {
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> stores.stream().filter(s -> s.engine().active()).count() == 1);
            StoreHammer h = new StoreHammer(List.<Store>copyOf(stores));
            h.run();
            EngineStore engine = stores.stream().filter(s -> s.engine().active()).findFirst().orElseThrow();
            Engines.assertReplayEquals(Engines.replayed(new HazelcastJournal(members.get(0)).peek()), engine);
            assertThat(stores.get(0).claims().entries()).as("both members answer the same claims")
                    .isEqualTo(stores.get(1).claims().entries());
        } finally {
            stores.forEach(EngineStore::close);
            EmbeddedHazelcast.stop(members);
        }
    }
}
