package io.ichiba.ledger.engine;

import io.ichiba.ledger.IdempotencyRecord;
import io.ichiba.ledger.journal.InMemoryJournal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The engine keeps the first answers of keyed requests for their retention only, as the maps' TTL did. */
class IdempotencyRetentionTest {

    @AfterEach
    void close() {
        Engines.closeAll();
    }

    @Test
    void recordsPastTheirRetentionArePurgedAndOthersKept() {
        EngineStore store = Engines.started(new InMemoryJournal());
        store.idempotency().execute("old", new IdempotencyRecord.Begin("f", 1_000, 0));
        store.idempotency().execute("new", new IdempotencyRecord.Begin("f", 5_000, 0));
        assertThat(IdempotencyRecord.purge(store.idempotency(), 2_000)).isEqualTo(1);
        assertThat(store.idempotency().get("old")).isNull();
        assertThat(store.idempotency().get("new")).isNotNull();
        assertThat(IdempotencyRecord.purge(store.idempotency(), 2_000)).isZero();
    }
}
