package io.ichiba.ledger.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import io.ichiba.ledger.StoreHammer;
import io.ichiba.ledger.store.InMemoryStore;
import io.ichiba.ledger.store.Store;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@link StoreHammer} workload (many threads, laws 1–3 checked while it runs and at rest) on the in-memory store,
 * on one Hazelcast member, and on a cluster of two members in this JVM (so that half the keys are remote and every
 * change has a real backup).
 */
class HazelcastStoreConcurrencyTest {

    @Test
    void inMemoryStore() throws Exception {
        InMemoryStore store = new InMemoryStore();
        new StoreHammer(List.of(store, store)).run();
    }

    @Test
    void oneHazelcastMember() throws Exception {
        List<HazelcastInstance> members = EmbeddedHazelcast.startCluster(getClass(), 5921, 1);
        try {
            new StoreHammer(stores(members)).run();
        } finally {
            EmbeddedHazelcast.stop(members);
        }
    }

    @Test
    void twoHazelcastMembers() throws Exception {
        List<HazelcastInstance> members = EmbeddedHazelcast.startCluster(getClass(), 5931, 2);
        try {
            StoreHammer h = new StoreHammer(stores(members));
            h.run();
            assertThat(members.get(1).getMap(HazelcastStore.PREFIX + "claims").size())
                    .as("both members see the same claims").isEqualTo(h.stores.get(0).claims().entries().size());
        } finally {
            EmbeddedHazelcast.stop(members);
        }
    }

    private static List<Store> stores(List<HazelcastInstance> members) {
        return members.stream().<Store>map(HazelcastStore::new).toList();
    }
}
