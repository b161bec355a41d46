package io.ichiba.ledger.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import io.ichiba.ledger.StoreContractTest;
import io.ichiba.ledger.engine.EngineStore;
import io.ichiba.ledger.engine.Engines;
import io.ichiba.ledger.store.Store;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

import java.util.List;

/**
 * The ledger's contract through the engine over the Hazelcast journal on a cluster of two members in this JVM: the
 * scenarios run on the engine's member, whose batches have a real backup on the other; the other member's store is
 * a peer (its reaper and relay look at what it owns: nothing, as every record is the engine's). After every scenario
 * the head's batches over the state maps replay to every record the engine answers, and the other member answers
 * the same claims as the engine's.
 */
class HazelcastEngineClusterStoreTest extends StoreContractTest {
    private static List<HazelcastInstance> members;
    private static List<EngineStore> stores = List.of();

    @BeforeAll
    static void startCluster() {
        members = EmbeddedHazelcast.startCluster(HazelcastEngineClusterStoreTest.class, 5981, 2);
    }

    @AfterAll
    static void stopCluster() {
        stores.forEach(EngineStore::close);
        EmbeddedHazelcast.stop(members);
    }

    private static EngineStore engine() {
        return stores.stream().filter(s -> s.engine().active()).findFirst().orElseThrow();
    }

    @Override
    protected Store createStore() {
        stores.forEach(EngineStore::close);
        stores = EmbeddedHazelcast.engineStores(members);
        return engine();
    }

    @Override
    protected List<Store> peerStores() {
        return stores.stream().filter(s -> s != engine()).map(s -> (Store) s).toList();
    }

    @AfterEach
    void theJournalReplaysToTheStateAndBothMembersAgree() {
        Engines.assertReplayEquals(Engines.replayed(new HazelcastJournal(members.get(0)).peek()), engine());
        for (Store peer : peerStores()) {
            org.assertj.core.api.Assertions.assertThat(peer.claims().entries()).as("the other member's answer")
                    .isEqualTo(engine().claims().entries());
        }
    }
}
