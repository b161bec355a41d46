package io.ichiba.ledger.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.ichiba.ledger.hazelcast.KryoSerializer;
import io.ichiba.ledger.journal.Batch;
import io.ichiba.ledger.journal.Change;
import io.ichiba.ledger.store.Incremental;
import org.flywaydb.core.Flyway;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;

/**
 * The journal's durable copy in a database: every batch the engine journals (one transaction each, before any of its
 * callers is answered), and now and then a snapshot of the engine's whole state. The state is the newest snapshot and
 * the batches after it; a snapshot lets the batches it covers go.
 *
 * <pre>
 *   ichiba_batch(seq, epoch, written_at, body)           a batch, written by Kryo as members send it
 *   ichiba_snapshot(seq, epoch, engine_time, taken_at, body)   every table's records after batch seq
 * </pre>
 *
 * <p>A batch is written once per sequence ({@code ON CONFLICT DO NOTHING}): an engine that takes over writes again the
 * batches the replicated journal holds and the database may not, and a stale engine's late write of a batch finds the
 * same batch there. SQLite in a data directory is the default (WAL, {@code synchronous=FULL}: each commit is on disk
 * when it returns); PostgreSQL by URL. The schema is Flyway's migrations under {@code db/ichiba}, the same for both.
 */
public final class DurableStore implements AutoCloseable {
    /** The file of the embedded database in its data directory. */
    public static final String FILE = "ichiba.db";
    /** How many snapshots are kept (the newest, and the one before it in case the newest cannot be read). */
    static final int SNAPSHOTS_KEPT = 2;

    private final HikariDataSource pool;
    private final String url;
    private final java.time.Clock clock;
    private final boolean sqlite;

    private DurableStore(HikariDataSource pool, String url, java.time.Clock clock) {
        this.pool = pool;
        this.url = url;
        this.clock = clock;
        this.sqlite = url.startsWith("jdbc:sqlite:");
    }

    /**
     * The embedded database under {@code dataDir} (made if missing), migrated; {@code clock} stamps when each batch
     * and snapshot was written.
     */
    public static DurableStore embedded(Path dataDir, java.time.Clock clock) {
        try {
            if (!Files.isDirectory(dataDir)) {
                // the state holds token hashes and webhook secrets: the broker's user alone reads it (0700)
                Files.createDirectories(dataDir);
                try {
                    Files.setPosixFilePermissions(dataDir, java.nio.file.attribute.PosixFilePermissions.fromString(
                            "rwx------"));
                } catch (UnsupportedOperationException notPosix) {
                    // a file system without POSIX permissions: as the operator set it up
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot make the data directory " + dataDir, e);
        }
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl("jdbc:sqlite:" + dataDir.resolve(FILE).toAbsolutePath());
        // a commit returns once it is on disk (an fsync of the write-ahead log); a second writer waits for the first
        c.addDataSourceProperty("journal_mode", "WAL");
        c.addDataSourceProperty("synchronous", "FULL");
        c.addDataSourceProperty("busy_timeout", "30000");
        c.setMaximumPoolSize(2);
        return open(c, clock);
    }

    /** The database at {@code url} (PostgreSQL), migrated. */
    public static DurableStore remote(String url, String user, String password, java.time.Clock clock) {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(url);
        c.setUsername(user);
        c.setPassword(password);
        c.setMaximumPoolSize(4);
        return open(c, clock);
    }

    private static DurableStore open(HikariConfig c, java.time.Clock clock) {
        c.setPoolName("ichiba-journal");
        c.setAutoCommit(false);
        c.setConnectionTimeout(5_000); // the engine's thread waits this long for a database that went away
        c.setInitializationFailTimeout(-1); // a database that is down at start is waited for by the engine, not fatal
        HikariDataSource pool = new HikariDataSource(c);
        try {
            Flyway.configure().dataSource(pool).locations("classpath:db/ichiba").load().migrate();
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
        return new DurableStore(pool, c.getJdbcUrl(), clock);
    }

    /** Where the database is (without its parameters, which may hold credentials). */
    public String url() {
        int q = url.indexOf('?');
        return q < 0 ? url : url.substring(0, q);
    }

    /** The last batch the database holds, in a snapshot or on its own; 0 when none. */
    public long lastSeq() {
        try (Connection c = pool.getConnection();
             Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT (SELECT COALESCE(MAX(seq), 0) FROM ichiba_batch), "
                     + "(SELECT COALESCE(MAX(seq), 0) FROM ichiba_snapshot)")) {
            r.next();
            long last = Math.max(r.getLong(1), r.getLong(2));
            c.commit();
            return last;
        } catch (SQLException e) {
            throw failed("read the last batch", e);
        }
    }

    /** Writes {@code batch} in one transaction, as an engine of its own epoch ({@link #write(Batch, long)}). */
    public void write(Batch batch) {
        write(batch, batch.epoch());
    }

    /**
     * Writes {@code batch} in one transaction for the engine of epoch {@code writer}, unless a takeover of a later
     * epoch fenced it ({@link #fence}); nothing if its sequence is there already.
     *
     * @return whether the writer was not fenced (the batch is there, now or from before)
     */
    public boolean write(Batch batch, long writer) {
        try (Connection c = pool.getConnection(); PreparedStatement p = c.prepareStatement(insertSql())) {
            return insert(c, p, batch, writer);
        } catch (SQLException e) {
            throw failed("write batch " + batch.seq(), e);
        }
    }

    /** The insert of a batch, unless the writer is fenced. */
    private String insertSql() {
        // PostgreSQL: the fence's row is read under a share lock, so a takeover's raise waits for this write to end
        // (and then drops it if it is past the replicated journal); SQLite has one writer at a time
        String fence = sqlite ? "SELECT epoch FROM ichiba_fence WHERE id = 1"
                : "SELECT epoch FROM ichiba_fence WHERE id = 1 FOR SHARE";
        return "INSERT INTO ichiba_batch (seq, epoch, written_at, body) SELECT ?, ?, ?, ? WHERE ? >= (" + fence
                + ") ON CONFLICT (seq) DO NOTHING";
    }

    private boolean insert(Connection c, PreparedStatement p, Batch batch, long writer) throws SQLException {
        p.setLong(1, batch.seq());
        p.setLong(2, batch.epoch());
        p.setLong(3, clock.millis());
        p.setBytes(4, KryoSerializer.toBytes(batch));
        p.setLong(5, writer);
        boolean fenced;
        try {
            int rows = p.executeUpdate();
            fenced = rows == 0 && !has(c, batch.seq());
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw e;
        }
        return !fenced;
    }

    /**
     * A writer of batches for one thread: its connection and statement kept from one batch to the next (prepared once,
     * not for every batch), made again after a failure. Not thread-safe.
     */
    public final class Writer implements AutoCloseable {
        private Connection connection;
        private PreparedStatement statement;

        private Writer() {
        }

        /** As {@link DurableStore#write(Batch, long)}. */
        public boolean write(Batch batch, long writer) {
            try {
                if (connection == null) {
                    connection = pool.getConnection();
                    statement = connection.prepareStatement(insertSql());
                }
                return insert(connection, statement, batch, writer);
            } catch (SQLException e) {
                close();
                throw failed("write batch " + batch.seq(), e);
            }
        }

        @Override
        public void close() {
            try {
                if (connection != null) {
                    connection.close(); // back to the pool, its statement with it
                }
            } catch (SQLException e) {
                // going anyway
            }
            connection = null;
            statement = null;
        }
    }

    /** A writer of batches for one thread ({@link Writer}). */
    public Writer writer() {
        return new Writer();
    }

    private static boolean has(Connection c, long seq) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("SELECT 1 FROM ichiba_batch WHERE seq = ?")) {
            p.setLong(1, seq);
            try (ResultSet r = p.executeQuery()) {
                return r.next();
            }
        }
    }

    /**
     * A takeover of epoch {@code epoch} whose replicated journal ends at batch {@code lastSeq}: from now on only an
     * engine of this epoch or later writes, and the batches past {@code lastSeq} (written by an engine whose replicated
     * append then failed) are dropped, in one transaction.
     */
    public void fence(long epoch, long lastSeq) {
        try (Connection c = pool.getConnection()) {
            try (PreparedStatement p = c.prepareStatement("UPDATE ichiba_fence SET epoch = ? WHERE id = 1 AND epoch < ?")) {
                p.setLong(1, epoch);
                p.setLong(2, epoch);
                p.executeUpdate();
            }
            try (PreparedStatement p = c.prepareStatement("DELETE FROM ichiba_batch WHERE seq > ?")) {
                p.setLong(1, lastSeq);
                int dropped = p.executeUpdate();
                if (dropped > 0) {
                    org.slf4j.LoggerFactory.getLogger(DurableStore.class).info("takeover of epoch {}: {} batch(es) "
                            + "past the replicated journal's last, {}, dropped (their engine's append failed)", epoch,
                            dropped, lastSeq);
                }
            }
            c.commit();
        } catch (SQLException e) {
            throw failed("fence epoch " + epoch, e);
        }
    }

    /**
     * Keeps {@code tables} as the state after batch {@code seq}, then drops the batches it covers and all but the
     * newest {@link #SNAPSHOTS_KEPT} snapshots, in one transaction; answers the snapshot's size in bytes.
     */
    public int snapshot(long epoch, long seq, long engineTime, long lastEvent,
                        Map<String, Map<String, Object>> tables) {
        byte[] body = KryoSerializer.toBytes(new HashMap<>(tables));
        try (Connection c = pool.getConnection()) {
            try (PreparedStatement p = c.prepareStatement("INSERT INTO ichiba_snapshot (seq, epoch, engine_time, "
                    + "taken_at, body, events_newest) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (seq) DO NOTHING")) {
                p.setLong(1, seq);
                p.setLong(2, epoch);
                p.setLong(3, engineTime);
                p.setLong(4, clock.millis());
                p.setBytes(5, body);
                p.setLong(6, lastEvent);
                p.executeUpdate();
            }
            try (PreparedStatement p = c.prepareStatement("DELETE FROM ichiba_batch WHERE seq <= ?")) {
                p.setLong(1, seq);
                p.executeUpdate();
            }
            try (PreparedStatement p = c.prepareStatement("DELETE FROM ichiba_snapshot WHERE seq < (SELECT MIN(seq) "
                    + "FROM (SELECT seq FROM ichiba_snapshot ORDER BY seq DESC LIMIT " + SNAPSHOTS_KEPT + ") newest)")) {
                p.executeUpdate();
            }
            c.commit();
            return body.length;
        } catch (SQLException e) {
            throw failed("write the snapshot of batch " + seq, e);
        }
    }

    /**
     * What the database holds.
     *
     * @param seq         the last batch applied
     * @param time        the engine's time of the last batch (the next engine's clock resumes from it)
     * @param tables      every table's records
     * @param snapshotSeq the batch of the snapshot it started from (0: none)
     * @param batches     how many batches were applied after the snapshot
     * @param lastEvent   at least the sequence of the newest event handed out up to {@code seq} (-1: none known)
     */
    public record Recovered(long seq, long time, Map<String, Map<String, Object>> tables, long snapshotSeq,
                            int batches, long lastEvent) {
    }

    /**
     * Reads the state back: the newest snapshot, then every batch after it in order.
     *
     * @return the state, or {@code null} when the database holds nothing
     * @throws IllegalStateException a batch after the snapshot is missing: the state cannot be told
     */
    @SuppressWarnings("unchecked")
    public Recovered recover() {
        try (Connection c = pool.getConnection()) {
            Map<String, Map<String, Object>> tables = new HashMap<>();
            long from = 0;
            long time = 0;
            long lastEvent = -1;
            try (Statement s = c.createStatement();
                 ResultSet r = s.executeQuery("SELECT seq, engine_time, body, events_newest FROM ichiba_snapshot "
                         + "ORDER BY seq DESC LIMIT 1")) {
                if (r.next()) {
                    from = r.getLong(1);
                    time = r.getLong(2);
                    lastEvent = r.getLong(4);
                    ((Map<String, Map<String, Object>>) KryoSerializer.fromBytes(r.getBytes(3)))
                            .forEach((t, records) -> tables.put(t, new HashMap<>(records)));
                }
            }
            long seq = from;
            int applied = 0;
            try (PreparedStatement p = c.prepareStatement("SELECT seq, body FROM ichiba_batch WHERE seq > ? "
                    + "ORDER BY seq")) {
                p.setLong(1, from);
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        long next = r.getLong(1);
                        if (next != seq + 1) {
                            throw new IllegalStateException("the database misses batch " + (seq + 1) + " (it holds "
                                    + next + " next): the state after batch " + seq + " cannot be told");
                        }
                        Batch b = (Batch) KryoSerializer.fromBytes(r.getBytes(2));
                        apply(tables, b);
                        seq = next;
                        time = Math.max(time, b.time());
                        if (b.eventsBefore() >= 0) {
                            lastEvent = Math.max(lastEvent, b.eventsBefore() + b.events().size());
                        }
                        applied++;
                    }
                }
            }
            c.commit();
            return seq == 0 ? null : new Recovered(seq, time, tables, from, applied, lastEvent);
        } catch (SQLException e) {
            throw failed("read the state back", e);
        }
    }

    private static void apply(Map<String, Map<String, Object>> tables, Batch b) {
        for (Change ch : b.changes()) {
            Map<String, Object> t = tables.computeIfAbsent(ch.table(), k -> new HashMap<>());
            Object v = ch.value();
            if (v instanceof Incremental.Patched p) {
                Object before = t.get(ch.key());
                if (before == null) {
                    throw new IllegalStateException("batch " + b.seq() + " patches record " + ch.key() + " of "
                            + ch.table() + ", which the state before it does not hold");
                }
                v = p.applyTo(before);
            }
            if (v == null) {
                t.remove(ch.key());
            } else {
                t.put(ch.key(), v);
            }
        }
    }

    private static io.ichiba.ledger.journal.DatabaseUnavailableException failed(String what, SQLException e) {
        return new io.ichiba.ledger.journal.DatabaseUnavailableException("the database could not " + what + ": " + e,
                e);
    }

    @Override
    public void close() {
        pool.close();
    }
}
