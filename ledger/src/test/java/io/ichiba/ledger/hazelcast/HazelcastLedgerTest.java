package io.ichiba.ledger.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import io.ichiba.ledger.AdmissionFairnessTest;
import io.ichiba.ledger.JobsTest;
import io.ichiba.ledger.NodeLossTest;
import io.ichiba.ledger.engine.EngineStore;
import io.ichiba.ledger.store.Store;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;

import java.time.Duration;
import java.util.List;

import static org.awaitility.Awaitility.await;

/**
 * The ledger's behaviours beyond {@link io.ichiba.ledger.StoreContractTest} through the engine over the Hazelcast
 * journal on one real embedded member, shared by the class: node loss and withheld capacity, jobs following their
 * claims (told by the engine's listeners), and the admission queue's order and fairness. Each test starts with the
 * ledger's maps destroyed and a new engine. {@code EngineLedgerTest} runs the same over the reference journal.
 */
class HazelcastLedgerTest {
    private static HazelcastInstance member;

    @BeforeAll
    static void startMember() {
        member = EmbeddedHazelcast.startOne(HazelcastLedgerTest.class, 5941);
    }

    @AfterAll
    static void stopMember() {
        if (current != null) {
            current.close();
        }
        EmbeddedHazelcast.stop(List.of(member));
    }

    private static EngineStore current;

    private static Store emptyStore() {
        if (current != null) {
            current.close();
        }
        EmbeddedHazelcast.destroyLedgerMaps(member);
        current = HazelcastEngine.store(member);
        await().atMost(Duration.ofSeconds(30)).until(() -> current.engine().active());
        return current;
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
