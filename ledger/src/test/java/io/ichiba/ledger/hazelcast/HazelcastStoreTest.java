package io.ichiba.ledger.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import io.ichiba.ledger.StoreContractTest;
import io.ichiba.ledger.store.Store;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

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

    /** The admission pass finds live claims through the index on the settled flag, not by testing every claim. */
    @Test
    void theAdmissionPassQueriesLiveClaimsThroughTheIndex() {
        tenant("acme", 1000, 1000);
        node("n1", 1000, 1000);
        submit("c1", "acme", bundle(10, 10));
        long before = indexedQueries();
        assertThat(pass()).containsExactly("c1");
        assertThat(indexedQueries()).as("indexed queries of one pass").isGreaterThan(before);
    }

    private static long indexedQueries() {
        return member.getMap(HazelcastStore.PREFIX + "claims").getLocalMapStats().getIndexedQueryCount();
    }

    @Override
    protected Store createStore() {
        EmbeddedHazelcast.destroyLedgerMaps(member);
        return new HazelcastStore(member);
    }
}
