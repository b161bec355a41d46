package io.ichiba.ledger.engine;

import io.ichiba.ledger.journal.InMemoryJournal;
import io.ichiba.ledger.journal.Journal;

/**
 * The ledger's contract through the engine over a journal that receives every append and every write-behind twice
 * (Hazelcast may run an operation again when the member running it leaves): nothing changes for the ledger, and the
 * journal still replays to the state.
 */
class EngineTwiceTest extends EngineStoreTest {
    @Override
    Journal around(InMemoryJournal reference) {
        return new Engines.Twice(reference);
    }
}
