package io.ichiba.ledger.store;

import io.ichiba.ledger.StoreContractTest;

/** The ledger's contract on the in-memory reference store. */
class InMemoryStoreTest extends StoreContractTest {
    @Override
    protected Store createStore() {
        return new InMemoryStore();
    }
}
