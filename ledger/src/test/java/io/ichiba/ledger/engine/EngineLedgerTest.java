package io.ichiba.ledger.engine;

import io.ichiba.ledger.AdmissionFairnessTest;
import io.ichiba.ledger.JobsTest;
import io.ichiba.ledger.NodeLossTest;
import io.ichiba.ledger.journal.InMemoryJournal;
import io.ichiba.ledger.store.Store;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Nested;

/**
 * The ledger's behaviours beyond the contract (node loss and withheld capacity, jobs following their claims, the
 * queue's order and fairness) through the engine over the reference journal.
 */
class EngineLedgerTest {

    @AfterAll
    static void closeEngines() {
        Engines.closeAll();
    }

    private static Store engine() {
        return Engines.started(new InMemoryJournal());
    }

    @Nested
    class NodeLoss extends NodeLossTest {
        @Override
        protected Store createStore() {
            return engine();
        }
    }

    @Nested
    class Jobs extends JobsTest {
        @Override
        protected Store createStore() {
            return engine();
        }
    }

    @Nested
    class AdmissionFairness extends AdmissionFairnessTest {
        @Override
        protected Store createStore() {
            return engine();
        }
    }
}
