package io.ichiba.ledger.jdbc;

import io.ichiba.ledger.journal.Batch;
import io.ichiba.ledger.journal.Change;
import io.ichiba.ledger.journal.InMemoryJournal;
import io.ichiba.ledger.journal.JournalUnavailableException;
import io.ichiba.ledger.journal.Takeover;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The journal's durable step over SQLite in a temporary directory (and, in {@code DurableJournalPostgresTest}, over
 * PostgreSQL): what it writes, when, and what it reads back.
 */
class DurableJournalTest {
    @TempDir
    Path data;

    /** The database under test, opened again (its content stays). */
    DurableStore open() {
        return DurableStore.embedded(data, java.time.Clock.systemUTC());
    }

    /** A plain connection to the database under test, to break it. */
    Connection raw() throws java.sql.SQLException {
        Connection c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve(DurableStore.FILE));
        try (Statement s = c.createStatement()) {
            s.execute("PRAGMA busy_timeout=30000");
        }
        return c;
    }

    private static Batch batch(long epoch, long seq, String key, String value) {
        return new Batch(epoch, seq, List.of(new Change("claims", key, value)), 1000 + seq);
    }

    private DurableJournal journal(InMemoryJournal replicated, long snapshotBatches) {
        return new DurableJournal(replicated, open(), snapshotBatches, 3_600_000,
                DurableJournal.Listener.NONE, System::nanoTime);
    }

    @Test
    void everyMemberStoppedTheNextEngineStartsFromTheSnapshotAndTheBatchesAfterIt() {
        DurableJournal first = journal(new InMemoryJournal(), 3);
        Takeover t = first.takeOver();
        assertThat(t.lastSeq()).isZero();
        for (long s = 1; s <= 5; s++) {
            first.append(batch(t.epoch(), s, "c" + s, "v" + s));
        }
        assertThat(first.snapshotDue(3)).isTrue();
        first.snapshot(t.epoch(), 3, 1003, -1, Map.of("claims", Map.of("c1", "v1", "c2", "v2", "c3", "v3")));
        await().atMost(Duration.ofSeconds(10)).until(() -> first.snapshotSeq() == 3);
        first.append(batch(t.epoch(), 6, "c1", null)); // a removal after the snapshot
        first.close();

        InMemoryJournal emptied = new InMemoryJournal(); // every member stopped: the replicated journal is gone
        DurableJournal second = journal(emptied, 3);
        Takeover again = second.takeOver();
        assertThat(again.lastSeq()).isEqualTo(6);
        assertThat(again.lastTime()).isEqualTo(1006);
        assertThat(again.tables().get("claims")).isEqualTo(Map.of("c2", "v2", "c3", "v3", "c4", "v4", "c5", "v5"));
        assertThat(emptied.peek().tables().get("claims")).as("written into the replicated state").hasSize(4);
        second.append(batch(again.epoch(), 7, "c7", "v7")); // the sequence goes on
        second.close();
        try (DurableStore store = open()) {
            DurableStore.Recovered r = store.recover();
            assertThat(r.snapshotSeq()).isEqualTo(3);
            assertThat(r.batches()).as("the batches the snapshot covers are gone").isEqualTo(4);
            assertThat(r.tables().get("claims")).containsEntry("c7", "v7").doesNotContainKey("c1");
        }
    }

    @Test
    void aBatchTheDatabaseDidNotTakeIsUnknownAndWrittenByTheNextTakeover() throws Exception {
        InMemoryJournal replicated = new InMemoryJournal();
        DurableJournal durable = journal(replicated, 1000);
        Takeover t = durable.takeOver();
        durable.append(batch(t.epoch(), 1, "c1", "v1"));
        try (Connection c = raw(); Statement s = c.createStatement()) {
            s.execute("ALTER TABLE ichiba_batch RENAME TO ichiba_batch_away"); // the database refuses the next write
            assertThatThrownBy(() -> durable.append(batch(t.epoch(), 2, "c2", "v2")))
                    .isInstanceOf(JournalUnavailableException.class).hasMessageContaining("replicated");
            assertThatThrownBy(durable::takeOver).as("no engine while the database is away")
                    .isInstanceOf(JournalUnavailableException.class);
            s.execute("ALTER TABLE ichiba_batch_away RENAME TO ichiba_batch");
        }
        Takeover next = durable.takeOver();
        assertThat(next.lastSeq()).isEqualTo(2);
        durable.close();
        try (DurableStore store = open()) {
            assertThat(store.recover().tables().get("claims")).as("batch 2, replicated, is in the database now")
                    .isEqualTo(Map.of("c1", "v1", "c2", "v2"));
        }
    }

    @Test
    void aStaleEnginesLateWriteOfABatchChangesNothing() {
        try (DurableStore store = open()) {
            store.write(batch(2, 1, "c1", "new"));
            store.write(batch(1, 1, "c1", "old"));
            assertThat(store.recover().tables().get("claims")).isEqualTo(Map.of("c1", "new"));
        }
    }

    @Test
    void aDatabaseMissingABatchAfterItsSnapshotIsNotReadAsAState() {
        try (DurableStore store = open()) {
            store.write(batch(1, 1, "c1", "v1"));
            store.write(batch(1, 3, "c3", "v3"));
            assertThatThrownBy(store::recover).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("misses batch 2");
        }
    }

    /**
     * The database write runs while the replicated append does: a batch a stale engine wrote whose replicated append
     * failed is dropped by the next takeover (it is past the replicated journal's last), and the stale engine's later
     * writes are refused by the fence.
     */
    @Test
    void aStaleEnginesBatchIsDroppedByTheNextTakeoverAndItsLaterWritesRefused() {
        InMemoryJournal replicated = new InMemoryJournal();
        DurableJournal stale = journal(replicated, 1000);
        Takeover first = stale.takeOver();
        stale.append(batch(first.epoch(), 1, "c1", "v1"));
        try (DurableStore store = open()) {
            store.write(batch(first.epoch(), 2, "c2", "phantom"), first.epoch()); // its replicated append then failed
        }
        DurableJournal next = journal(replicated, 1000);
        Takeover second = next.takeOver();
        assertThat(second.lastSeq()).isEqualTo(1);
        assertThatThrownBy(() -> stale.append(batch(first.epoch(), 2, "c2", "late")))
                .as("refused by the replicated journal").isInstanceOf(io.ichiba.ledger.journal.FencedException.class);
        try (DurableStore store = open()) {
            assertThat(store.write(batch(first.epoch(), 3, "c3", "late"), first.epoch())).as("fenced").isFalse();
        }
        next.append(batch(second.epoch(), 2, "c2", "v2"));
        stale.close();
        next.close();
        try (DurableStore store = open()) {
            assertThat(store.recover().tables().get("claims")).isEqualTo(Map.of("c1", "v1", "c2", "v2"));
        }
    }
}
