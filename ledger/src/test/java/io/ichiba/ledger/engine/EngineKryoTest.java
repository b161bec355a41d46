package io.ichiba.ledger.engine;

import io.ichiba.ledger.hazelcast.KryoRoundTrip;
import io.ichiba.ledger.journal.InMemoryJournal;
import io.ichiba.ledger.journal.Journal;

/**
 * The ledger's contract through the engine over a journal that writes every batch as the members send it to each
 * other (Kryo) and checks the copy read back equals it field by field: no record the contract makes is lost or
 * changed on its way to another member.
 */
class EngineKryoTest extends EngineStoreTest {
    @Override
    Journal around(InMemoryJournal reference) {
        return new KryoRoundTrip(reference);
    }
}
