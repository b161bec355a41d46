package io.ichiba.ledger.jdbc;

import org.junit.jupiter.api.BeforeEach;

import java.sql.Connection;

/** {@link DurableJournalTest} over PostgreSQL ({@link TestPostgres}). */
class DurableJournalPostgresTest extends DurableJournalTest {
    @BeforeEach
    void emptyDatabase() {
        TestPostgres.empty();
    }

    @Override
    DurableStore open() {
        return TestPostgres.store();
    }

    @Override
    Connection raw() throws java.sql.SQLException {
        return TestPostgres.connect();
    }
}
