package io.ichiba.ledger.jdbc;

import io.ichiba.ledger.journal.Batch;
import io.ichiba.ledger.journal.Journal;
import io.ichiba.ledger.journal.JournalUnavailableException;
import io.ichiba.ledger.journal.Takeover;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The journal with its durable step (DESIGN.md §3.3): a batch is appended to the replicated journal and written to the
 * database in one transaction, both at once, and only once both did is the engine told it is journaled (and its
 * callers answered). A batch is a group already: the commands that arrived while the one before was being written.
 *
 * <ul>
 *   <li><b>Fencing.</b> A takeover raises the database's fence to its epoch and drops the batches past the replicated
 *   journal's last (one a stale engine wrote while its replicated append failed); a write is refused to an engine
 *   whose epoch is below the fence. A batch replicated but not written (the database failed) has an unknown outcome:
 *   the engine stops, and whoever takes over writes it from the replicated journal's head before it starts
 *   ({@link #takeOver}), so no engine runs while the database lacks a batch it acknowledged. While the database is
 *   away, takeovers fail and the members answer 503; when it is back, the next takeover writes what it missed and the
 *   engine resumes.</li>
 *   <li><b>Every member stopped.</b> A takeover that finds the replicated journal empty (no head, no state) and the
 *   database not empty starts from the database: its newest snapshot and the batches after it, written into the
 *   state maps ({@link Journal#restore}) before the engine starts.</li>
 *   <li><b>Snapshots.</b> Every {@code snapshotBatches} batches or {@code snapshotMillis}, the engine hands its state
 *   (maps copied, records shared: they are immutable); this journal writes it on its own thread, then drops the
 *   batches it covers.</li>
 * </ul>
 */
public final class DurableJournal implements Journal {
    private static final Logger LOG = LoggerFactory.getLogger(DurableJournal.class);

    /** What the durable step does, for metrics. */
    public interface Listener {
        /** A batch was written to the database in {@code nanos}. */
        default void written(int changes, long nanos) {
        }

        /** A snapshot of the state after batch {@code seq} was written: {@code bytes} long, in {@code nanos}. */
        default void snapshotted(long seq, int bytes, long nanos) {
        }

        /** The database failed ({@code what}: write, snapshot, takeover). */
        default void failed(String what) {
        }

        /** No metrics. */
        Listener NONE = new Listener() {
        };
    }

    private final Journal replicated;
    private final DurableStore store;
    private final long snapshotBatches;
    private final long snapshotNanos;
    private final Listener listener;
    private final ExecutorService snapshotter;
    /** Writes each batch to the database while the engine's thread appends it to the replicated journal. */
    private final ExecutorService writer;
    /** The connection and statement the writer's thread keeps. */
    private final DurableStore.Writer batchWriter;
    private volatile boolean snapshotting;
    private volatile long snapshotSeq;
    private final java.util.function.LongSupplier ticker;
    private volatile long snapshotAt;
    private volatile boolean snapshotNow;

    /**
     * The replicated journal {@code replicated} made durable in {@code store}, with a snapshot every
     * {@code snapshotBatches} batches or {@code snapshotMillis}, whichever comes first; {@code ticker} gives
     * nanoseconds for intervals (the broker's {@code System::nanoTime}).
     */
    public DurableJournal(Journal replicated, DurableStore store, long snapshotBatches, long snapshotMillis,
                          Listener listener, java.util.function.LongSupplier ticker) {
        this.ticker = ticker;
        this.snapshotAt = ticker.getAsLong();
        this.replicated = replicated;
        this.store = store;
        this.snapshotBatches = snapshotBatches;
        this.snapshotNanos = snapshotMillis * 1_000_000L;
        this.listener = listener;
        this.snapshotter = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "ichiba-snapshot");
            t.setDaemon(true);
            return t;
        });
        this.batchWriter = store.writer();
        this.writer = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "ichiba-journal-db");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public Takeover takeOver() {
        Takeover t = replicated.takeOver();
        try {
            if (t.lastSeq() == 0 && t.batches().isEmpty() && t.tables().values().stream().allMatch(Map::isEmpty)) {
                DurableStore.Recovered r = store.recover();
                if (r == null) {
                    return t;
                }
                long start = ticker.getAsLong();
                store.fence(t.epoch(), Long.MAX_VALUE); // the database is the state: nothing of it is dropped
                replicated.restore(r.seq(), r.time(), r.tables());
                snapshotSeq = r.snapshotSeq();
                LOG.info("state restored from the database {}: batch {} (a snapshot at batch {} and {} batch(es) "
                                + "after it), {} record(s), written into the replicated maps in {} ms", store.url(),
                        r.seq(), r.snapshotSeq(), r.batches(), r.tables().values().stream().mapToInt(Map::size).sum(),
                        (ticker.getAsLong() - start) / 1_000_000);
                return new Takeover(t.epoch(), r.seq(), r.tables(), List.of(), r.time(), r.lastEvent());
            }
            store.fence(t.epoch(), t.lastSeq());
            long durable = store.lastSeq();
            long caughtUp = 0;
            for (Batch b : t.batches()) {
                if (b.seq() > durable) {
                    store.write(b, t.epoch()); // written by this takeover, whichever engine made it
                    caughtUp++;
                }
            }
            long first = t.batches().isEmpty() ? t.lastSeq() + 1 : t.batches().get(0).seq();
            if (durable < first - 1 && t.lastSeq() > 0) {
                // the database lacks what the replicated journal trimmed (a new or emptied database): keep the whole
                // state at once, so that the database alone can tell it again
                LOG.warn("the database {} holds up to batch {}, the replicated journal from batch {}: a snapshot of "
                        + "the whole state is taken at once", store.url(), durable, first);
                snapshotNow = true;
            }
            if (caughtUp > 0) {
                LOG.info("took over: {} batch(es) the replicated journal held were written to the database", caughtUp);
            }
            return t;
        } catch (io.ichiba.ledger.journal.DatabaseUnavailableException e) {
            listener.failed("takeover");
            throw e;
        } catch (JournalUnavailableException e) {
            throw e; // the replicated journal's own: not the database
        } catch (RuntimeException e) {
            listener.failed("takeover");
            throw new io.ichiba.ledger.journal.DatabaseUnavailableException("the database could not be read at "
                    + "takeover: " + e, e);
        }
    }

    /**
     * Appends to the replicated journal and writes to the database at once (the database on its own thread, the
     * replicated append on the engine's), and returns once both did. A batch the replicated journal refused may be in
     * the database meanwhile: the next takeover fences the database and drops it (it is past the replicated journal's
     * last), and a stale engine's later write is refused by the fence.
     */
    @Override
    public void append(Batch batch) {
        long start = ticker.getAsLong();
        java.util.concurrent.Future<Boolean> written = writer.submit(() -> batchWriter.write(batch, batch.epoch()));
        try {
            replicated.append(batch);
        } catch (RuntimeException e) {
            written.cancel(false); // not yet begun: never written; under way: dropped by the next takeover
            throw e;
        }
        boolean notFenced;
        try {
            notFenced = written.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new io.ichiba.ledger.journal.DatabaseUnavailableException("interrupted writing batch " + batch.seq(),
                    e);
        } catch (java.util.concurrent.ExecutionException e) {
            listener.failed("write");
            Throwable cause = e.getCause();
            throw new io.ichiba.ledger.journal.DatabaseUnavailableException("batch " + batch.seq() + " is replicated "
                    + "but the database did not take it: " + cause.getMessage(), cause);
        }
        if (!notFenced) {
            // a later takeover raised the fence: this engine is stale, though its append was taken
            throw new JournalUnavailableException("batch " + batch.seq() + " is replicated but the database's fence "
                    + "is past epoch " + batch.epoch() + ": the outcome is unknown", null);
        }
        listener.written(batch.changes().size(), ticker.getAsLong() - start);
    }

    @Override
    public boolean writeBehind(long epoch, long seq, Map<String, Map<String, Object>> changes) {
        return replicated.writeBehind(epoch, seq, changes);
    }

    @Override
    public void restore(long seq, long time, Map<String, Map<String, Object>> tables) {
        replicated.restore(seq, time, tables);
    }

    @Override
    public boolean snapshotDue(long seq) {
        if (snapshotting) {
            return false;
        }
        return snapshotNow || seq - snapshotSeq >= snapshotBatches
                || (seq > snapshotSeq && ticker.getAsLong() - snapshotAt >= snapshotNanos);
    }

    @Override
    public void snapshot(long epoch, long seq, long time, long lastEvent, Map<String, Map<String, Object>> tables) {
        snapshotting = true;
        snapshotNow = false;
        snapshotter.execute(() -> {
            long start = ticker.getAsLong();
            try {
                int bytes = store.snapshot(epoch, seq, time, lastEvent, tables);
                snapshotSeq = seq;
                listener.snapshotted(seq, bytes, ticker.getAsLong() - start);
                LOG.debug("snapshot of batch {} written: {} bytes in {} ms", seq, bytes,
                        (ticker.getAsLong() - start) / 1_000_000);
            } catch (RuntimeException e) {
                listener.failed("snapshot");
                LOG.warn("the snapshot of batch {} could not be written (the batches stay): {}", seq, e.toString());
            } finally {
                snapshotAt = ticker.getAsLong();
                snapshotting = false;
            }
        });
    }

    /** The batch of the newest snapshot written (0: none yet). */
    public long snapshotSeq() {
        return snapshotSeq;
    }

    @Override
    public String lost() {
        return replicated.lost();
    }

    @Override
    public void close() {
        if (!writer.isShutdown()) {
            writer.execute(batchWriter::close); // on its own thread, which alone uses it
        }
        writer.shutdown();
        snapshotter.shutdown();
        try {
            writer.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
            snapshotter.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        replicated.close();
        store.close();
    }
}
