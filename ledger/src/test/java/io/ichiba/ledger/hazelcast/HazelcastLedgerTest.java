package io.ichiba.ledger.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import io.ichiba.ledger.AdmissionFairnessTest;
import io.ichiba.ledger.JobsTest;
import io.ichiba.ledger.NodeLossTest;
import io.ichiba.ledger.store.Store;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;

import java.util.List;

/**
 * The ledger's behaviours beyond {@link io.ichiba.ledger.StoreContractTest} on {@link HazelcastStore} over one real
 * embedded member, shared by the class: node loss and withheld capacity, jobs following their claims (told by
 * Hazelcast's entry listeners), and the admission queue's order and fairness. Each test starts with the ledger's
 * maps destroyed. {@code InMemoryLedgerTest} runs the same on the reference store.
 */
class HazelcastLedgerTest {
    private static HazelcastInstance member;

    @BeforeAll
    static void startMember() {
        member = EmbeddedHazelcast.startOne(HazelcastLedgerTest.class, 5941);
    }

    @AfterAll
    static void stopMember() {
        EmbeddedHazelcast.stop(List.of(member));
    }

    private static Store emptyStore() {
        EmbeddedHazelcast.destroyLedgerMaps(member);
        return new HazelcastStore(member);
    }

    @Nested
    class NodeLoss extends NodeLossTest {
        @Override
        protected Store createStore() {
            return emptyStore();
        }
    }

    @Nested
    class Jobs extends JobsTest {
        @Override
        protected Store createStore() {
            return emptyStore();
        }
    }

    @Nested
    class AdmissionFairness extends AdmissionFairnessTest {
        @Override
        protected Store createStore() {
            return emptyStore();
        }
    }
}
