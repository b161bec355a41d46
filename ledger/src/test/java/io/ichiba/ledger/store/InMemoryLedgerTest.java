package io.ichiba.ledger.store;

import io.ichiba.ledger.AdmissionFairnessTest;
import io.ichiba.ledger.JobsTest;
import io.ichiba.ledger.NodeLossTest;
import org.junit.jupiter.api.Nested;

/**
 * The ledger's behaviours beyond {@link io.ichiba.ledger.StoreContractTest} on the in-memory reference store: node
 * loss and withheld capacity, jobs following their claims, and the admission queue's order and fairness.
 * {@code HazelcastLedgerTest} runs the same on Hazelcast.
 */
class InMemoryLedgerTest {

    @Nested
    class NodeLoss extends NodeLossTest {
        @Override
        protected Store createStore() {
            return new InMemoryStore();
        }
    }

    @Nested
    class Jobs extends JobsTest {
        @Override
        protected Store createStore() {
            return new InMemoryStore();
        }
    }

    @Nested
    class AdmissionFairness extends AdmissionFairnessTest {
        @Override
        protected Store createStore() {
            return new InMemoryStore();
        }
    }
}
