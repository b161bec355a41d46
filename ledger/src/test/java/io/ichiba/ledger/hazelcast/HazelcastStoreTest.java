package io.ichiba.ledger.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import io.ichiba.ledger.StoreContractTest;
import io.ichiba.ledger.store.Store;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.util.List;

/**
 * The ledger's contract on {@link HazelcastStore} over one real embedded member: every command runs as an entry
 * processor on the partition thread, and every filter as a predicate.
 */
class HazelcastStoreTest extends StoreContractTest {
    private static HazelcastInstance member;

    @BeforeAll
    static void startMember() {
        member = EmbeddedHazelcast.startOne(HazelcastStoreTest.class, 5901);
    }

    @AfterAll
    static void stopMember() {
        EmbeddedHazelcast.stop(List.of(member));
    }

    @Override
    protected Store createStore() {
        EmbeddedHazelcast.destroyLedgerMaps(member);
        return new HazelcastStore(member);
    }
}
