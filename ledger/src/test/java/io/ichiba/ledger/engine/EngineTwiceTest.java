package io.ichiba.ledger.engine;

import io.ichiba.ledger.StoreContractTest;
import io.ichiba.ledger.journal.InMemoryJournal;
import io.ichiba.ledger.store.Store;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;

/**
 * The ledger's contract through the engine over a journal that receives every append and every write-behind twice
 * (Hazelcast may run an operation again when the member running it leaves): nothing changes for the ledger, and the
 * journal still replays to the state.
 */
class EngineTwiceTest extends StoreContractTest {
    private InMemoryJournal journal;
    private EngineStore engineStore;

    @Override
    protected Store createStore() {
        Engines.closeAll();
        journal = new InMemoryJournal();
        engineStore = Engines.started(new Engines.Twice(journal));
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
