package io.ichiba.ledger.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import io.ichiba.ledger.StoreContractTest;
import io.ichiba.ledger.engine.EngineStore;
import io.ichiba.ledger.engine.Engines;
import io.ichiba.ledger.store.Store;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

import java.time.Duration;
import java.util.List;

import static org.awaitility.Awaitility.await;

/**
 * The ledger's contract through the engine over the Hazelcast journal on one real embedded member: every batch an
 * entry processor on the journal's head, the state written behind into maps; after every scenario, the head's
 * batches over the state maps replay to every record the engine answers.
 */
class HazelcastEngineStoreTest extends StoreContractTest {
    private static HazelcastInstance member;
    private static EngineStore current;

    @BeforeAll
    static void startMember() {
        member = EmbeddedHazelcast.startOne(HazelcastEngineStoreTest.class, 5951);
    }

    @AfterAll
    static void stopMember() {
        if (current != null) {
            current.close();
        }
        EmbeddedHazelcast.stop(List.of(member));
    }

    @Override
    protected Store createStore() {
        if (current != null) {
            current.close();
        }
        EmbeddedHazelcast.destroyLedgerMaps(member);
        current = HazelcastEngine.store(member);
        await().atMost(Duration.ofSeconds(30)).until(() -> current.engine().active());
        return current;
    }

    @AfterEach
    void theJournalReplaysToTheState() {
        Engines.assertReplayEquals(Engines.replayed(new HazelcastJournal(member).peek()), current);
    }
}
