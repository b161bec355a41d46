package io.ichiba.ledger.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import io.ichiba.ledger.StoreContractTest;
import io.ichiba.ledger.store.Store;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.util.List;

/**
 * The ledger's contract on {@link HazelcastStore} over a cluster of two members in this JVM, driven from the
 * first: about half of the keys live on the other member, so every command, result and filter crosses the
 * wire (serialised), and every change has a real synchronous backup.
 */
class HazelcastClusterStoreTest extends StoreContractTest {
    private static List<HazelcastInstance> members;

    @BeforeAll
    static void startCluster() {
        members = EmbeddedHazelcast.startCluster(HazelcastClusterStoreTest.class, 5911, 2);
    }

    @AfterAll
    static void stopCluster() {
        EmbeddedHazelcast.stop(members);
    }

    @Override
    protected Store createStore() {
        EmbeddedHazelcast.destroyLedgerMaps(members.get(0));
        return new HazelcastStore(members.get(0));
    }

    @Override
    protected List<Store> peerStores() {
        return List.of(new HazelcastStore(members.get(1)));
    }
}
