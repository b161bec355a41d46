package io.ichiba.ledger.engine;

import io.ichiba.ledger.StoreContractTest;
import io.ichiba.ledger.journal.InMemoryJournal;
import io.ichiba.ledger.journal.Journal;
import io.ichiba.ledger.store.Store;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;

/**
 * The ledger's contract through the engine over the reference journal; after every scenario, replaying the journal
 * (its state tables written behind, then its batches) gives every record the engine answers.
 */
class EngineStoreTest extends StoreContractTest {
    private InMemoryJournal journal;
    private EngineStore engineStore;

    /** The journal the engine writes to, around the reference one. */
    Journal around(InMemoryJournal reference) {
        return reference;
    }

    @Override
    protected Store createStore() {
        Engines.closeAll();
        journal = new InMemoryJournal();
        engineStore = Engines.started(around(journal));
        return engineStore;
    }

    @AfterEach
    void theJournalReplaysToTheState() {
        Engines.assertReplayEquals(Engines.replayed(journal.peek()), engineStore);
    }

    @AfterAll
    static void closeEngines() {
        Engines.closeAll();
    }
}
