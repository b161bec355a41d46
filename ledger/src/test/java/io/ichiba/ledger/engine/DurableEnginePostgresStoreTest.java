package io.ichiba.ledger.engine;

import io.ichiba.ledger.jdbc.DurableStore;
import io.ichiba.ledger.jdbc.TestPostgres;

/** {@link DurableEngineStoreTest}: the ledger's contract on the durable journal over PostgreSQL. */
class DurableEnginePostgresStoreTest extends DurableEngineStoreTest {
    @Override
    void fresh() {
        TestPostgres.empty();
    }

    @Override
    DurableStore open() {
        return TestPostgres.store();
    }
}
