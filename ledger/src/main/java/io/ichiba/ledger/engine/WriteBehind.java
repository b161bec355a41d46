package io.ichiba.ledger.engine;

import io.ichiba.ledger.journal.Batch;
import io.ichiba.ledger.journal.Change;
import io.ichiba.ledger.journal.Journal;
import io.ichiba.ledger.journal.Takeover;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes journaled records into the state tables behind the engine, coalesced: a record changed by a hundred
 * batches since the last write is written once, with its latest value. Then the journal may drop the batches the
 * tables now hold. One thread, so writes reach the tables in the order of the batches.
 *
 * <p>Measured: writing each batch's records into maps as it is journaled cost more than the journal itself
 * (Hazelcast's cost is per entry); behind the journal and coalesced, the cost is paid once per record per round.
 */
final class WriteBehind implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WriteBehind.class);
    /**
     * The least time between two rounds. Each round is one operation per partition it touches, run on the same
     * partition threads as the journal's appends; rounds at least this far apart coalesce more records each and
     * leave those threads to the appends. (Measured under wrk on one member: the append's latency, about 0.7 ms,
     * did not change with it; it is the hand-off between threads on a busy 2-core machine.) The journal keeps the
     * batches a round has not written yet.
     */
    static final long MIN_ROUND_NANOS = 50_000_000L;

    private final Journal journal;
    private final Thread thread;
    private Map<String, Map<String, Object>> pending = new HashMap<>();
    private long epoch;
    private long upTo;
    private long written;
    private boolean closed;

    WriteBehind(Journal journal, String name) {
        this.journal = journal;
        this.thread = new Thread(this::loop, name);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /**
     * Starts writing for a new epoch: what an older epoch left unwritten is the new engine's to replay. A record the
     * batches carry as a patch is written as {@code resolve} answers it: the record as the takeover made it.
     */
    synchronized void restart(Takeover t, java.util.function.BiFunction<String, String, Object> resolve) {
        pending = new HashMap<>();
        epoch = t.epoch();
        upTo = t.lastSeq();
        written = 0;
        for (Batch b : t.batches()) {
            for (Change c : b.changes()) {
                Object v = c.value() instanceof io.ichiba.ledger.store.Incremental.Patched
                        ? resolve.apply(c.table(), c.key()) : c.value();
                pending.computeIfAbsent(c.table(), k -> new LinkedHashMap<>()).put(c.key(), v);
            }
        }
        notifyAll();
    }

    /** Stops writing: the engine stopped here. */
    synchronized void stop() {
        pending = new HashMap<>();
        epoch = 0;
    }

    /** Takes a journaled batch. */
    synchronized void offer(Batch b) {
        if (b.epoch() != epoch) {
            return;
        }
        add(b);
        upTo = b.seq();
        notifyAll();
    }

    private void add(Batch b) {
        for (Change c : b.changes()) {
            pending.computeIfAbsent(c.table(), k -> new LinkedHashMap<>()).put(c.key(), c.value());
        }
    }

    /** The last sequence the state tables are known to hold (0 when none yet in this epoch). */
    synchronized long written() {
        return written;
    }

    private void loop() {
        long last = 0;
        while (true) {
            Map<String, Map<String, Object>> round;
            long e;
            long seq;
            long wait = MIN_ROUND_NANOS - (System.nanoTime() - last);
            if (wait > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(wait);
            }
            synchronized (this) {
                while (!closed && (epoch == 0 || upTo <= written)) {
                    try {
                        wait();
                    } catch (InterruptedException ex) {
                        return;
                    }
                }
                if (closed) {
                    return;
                }
                round = pending;
                pending = new HashMap<>();
                e = epoch;
                seq = upTo;
            }
            last = System.nanoTime();
            try {
                if (!journal.writeBehind(e, seq, round)) {
                    LOG.info("write-behind refused: epoch {} is no longer the journal's", e);
                }
                synchronized (this) {
                    if (e == epoch) {
                        written = seq;
                    }
                }
            } catch (RuntimeException ex) {
                LOG.warn("write-behind failed, will retry epoch={} seq={}: {}", e, seq, ex.toString());
                synchronized (this) {
                    if (e == epoch) {
                        round.forEach((table, records) -> {
                            Map<String, Object> newer = pending.get(table);
                            if (newer != null) {
                                records.putAll(newer);
                            }
                            pending.put(table, records);
                        });
                    }
                    try {
                        wait(200);
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        notifyAll();
        thread.interrupt();
    }
}
