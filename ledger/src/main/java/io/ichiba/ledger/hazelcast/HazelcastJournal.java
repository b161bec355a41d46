package io.ichiba.ledger.hazelcast;

import com.hazelcast.core.HazelcastException;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import com.hazelcast.partition.PartitionService;
import io.ichiba.ledger.journal.Batch;
import io.ichiba.ledger.journal.FencedException;
import io.ichiba.ledger.journal.Journal;
import io.ichiba.ledger.journal.JournalUnavailableException;
import io.ichiba.ledger.journal.Takeover;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The replicated journal: a head record under the engine's key (epoch, last sequence, the batches not yet written
 * behind) changed only by entry processors, each with a synchronous backup; and one state map per table, written
 * behind with the sequence of the batch that wrote each record.
 *
 * <pre>
 *   ichiba.journal["ichiba.engine"] = Head(epoch, lastSeq, appliedSeq, [batches after appliedSeq])
 *       Append(batch)   epoch must match, seq must follow (seq already in: answered as appended)
 *       TakeOver()      epoch + 1
 *       Trim(e, seq)    drops batches up to seq once the state maps hold them (epoch must match)
 *   ichiba.state.<table>[key] = Versioned(seq, record)   written only over an older seq
 * </pre>
 *
 * <p>The head's key is the engine's key: the engine runs on its partition's owner, so an append is a local call
 * plus the backup's round trip. An append whose outcome Hazelcast cannot tell (its member left, the backup did not
 * answer: the config sets {@code hazelcast.operation.fail.on.indeterminate.state}) is settled by reading the head
 * again from the member that owns it now, never by guessing, and never from this member's own copy: an append this
 * member applied is in a majority only once its backup acknowledged it. State records carry their batch's sequence
 * so that a write-behind still in flight from a stopped engine cannot put an older record over a newer one.
 */
public final class HazelcastJournal implements Journal {
    /** The map of the journal's head. */
    public static final String MAP = HazelcastEngine.PREFIX + "journal.head";
    /** The key of the head, whose partition's owner runs the engine. */
    public static final String ENGINE_KEY = "ichiba.engine";
    /** The prefix of the state maps. */
    public static final String STATE_PREFIX = HazelcastEngine.PREFIX + "state.";

    private final HazelcastInstance hz;
    private final IMap<String, Head> head;

    /**
     * What was lost: set when a partition of the head or of a state map lost its owner and every backup at once (more
     * members gone than the backups allow for). From then on no engine starts from this member's view of the maps.
     */
    private volatile String lost;

    /** Creates the journal over a member configured by {@link HazelcastEngine#configure}. */
    public HazelcastJournal(HazelcastInstance hz) {
        this.hz = hz;
        this.head = hz.getMap(MAP);
        head.addPartitionLostListener(e -> lost(MAP, e.getPartitionId()));
        for (String table : io.ichiba.ledger.engine.EngineStore.TABLES) {
            hz.getMap(STATE_PREFIX + table).addPartitionLostListener(e -> lost(STATE_PREFIX + table,
                    e.getPartitionId()));
        }
    }

    @Override
    public String lost() {
        return lost;
    }

    private synchronized void lost(String map, int partition) {
        org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(HazelcastJournal.class);
        if (lost == null) {
            lost = partition < 0 ? map : map + " partition " + partition;
            log.error("the ledger lost {}: its owner and every backup left at once; no engine starts from what is left "
                    + "(an engine running keeps running on its own state)", lost);
        } else {
            log.debug("the ledger lost {} partition {} too", map, partition);
        }
    }

    /**
     * The journal's head.
     *
     * @param epoch      the engine's epoch
     * @param lastSeq    the last batch appended
     * @param appliedSeq the last batch the state maps are known to hold
     * @param pending    the batches after {@code appliedSeq}, oldest first
     * @param lastTime   the latest engine time a batch carried (the next engine's clock resumes from it)
     */
    public record Head(long epoch, long lastSeq, long appliedSeq, List<Batch> pending, long lastTime)
            implements Serializable {
        static final Head EMPTY = new Head(0, 0, 0, List.of(), 0);

        public Head {
            pending = List.copyOf(pending);
        }
    }

    /** A state record and the batch that wrote it. */
    public record Versioned(long seq, Object value) implements Serializable {
    }

    enum Appended { APPENDED, ALREADY, STALE_EPOCH, GAP }

    /**
     * Takes the journal over: bumps the epoch and answers what the new engine starts from. Refuses, rather than start
     * from part of the ledger, when a partition of its maps was lost, or when the head is missing while state maps
     * hold records (the head was lost: the batches it held and the sequence are gone).
     */
    @Override
    public Takeover takeOver() {
        if (lost != null) {
            throw new JournalUnavailableException("the ledger's records were lost (" + lost + "): more members left "
                    + "at once than the maps have backups; no engine starts from what is left", null);
        }
        Head h;
        try {
            if (head.get(ENGINE_KEY) == null) {
                String held = heldWithoutHead();
                if (held != null) {
                    lost(MAP + " (its head, while " + held + " holds records)", -1);
                    throw new JournalUnavailableException("the journal's head is gone while " + held + " holds "
                            + "records: it was lost with the members that held it; no engine starts from what is left",
                            null);
                }
            }
            h = head.executeOnKey(ENGINE_KEY, new TakeOver());
        } catch (HazelcastException e) {
            throw new JournalUnavailableException("cannot take the journal over: " + e, e);
        }
        return new Takeover(h.epoch(), h.lastSeq(), stateTables(), h.pending(), h.lastTime());
    }

    /** The first state map that holds records, or {@code null}: with no head, there should be none. */
    private String heldWithoutHead() {
        for (String name : io.ichiba.ledger.engine.EngineStore.TABLES) {
            if (!hz.getMap(STATE_PREFIX + name).isEmpty()) {
                return STATE_PREFIX + name;
            }
        }
        return null;
    }

    /** What a new engine would start from, without taking over (the epoch stays): for checks. */
    public Takeover peek() {
        Head h = head();
        return new Takeover(h.epoch(), h.lastSeq(), stateTables(), h.pending(), h.lastTime());
    }

    private Map<String, Map<String, Object>> stateTables() {
        Map<String, Map<String, Object>> tables = new HashMap<>();
        for (String name : io.ichiba.ledger.engine.EngineStore.TABLES) {
            Map<String, Object> records = new HashMap<>();
            IMap<String, Versioned> m = hz.getMap(STATE_PREFIX + name);
            m.entrySet().forEach(e -> records.put(e.getKey(), e.getValue().value()));
            tables.put(name, records);
        }
        return tables;
    }

    @Override
    public void append(Batch batch) {
        Appended a;
        try {
            a = head.executeOnKey(ENGINE_KEY, new Append(batch));
        } catch (RuntimeException e) {
            a = settle(batch, e);
        }
        if (a == Appended.STALE_EPOCH || a == Appended.GAP) {
            throw new FencedException("batch " + batch.seq() + " of epoch " + batch.epoch() + " refused: " + a);
        }
    }

    /**
     * The outcome of an append is unknown: read the head. The batch is in (appended: answered as such), certainly
     * not in (fenced, or appended once more), or neither can be told (a batch of this sequence was written behind
     * already): then the outcome stays unknown, and the engine must not tell its callers either "done" or "not done".
     *
     * <p>Only another member's copy can settle it. While this member owns the head, reading it reads this member's
     * own copy, which holds what this member applied, not what its backup acknowledged: a member paused past failure
     * detection and woken still owns the head in its stale view, applies the append to its own copy, gets no
     * acknowledgement from a backup that no longer takes its writes, and would read its own append back as "in".
     */
    private Appended settle(Batch batch, RuntimeException first) {
        if (ownsTheHead()) {
            throw new JournalUnavailableException("the outcome of batch " + batch.seq() + " is unknown: its backup "
                    + "did not acknowledge it, and this member's own copy cannot tell", first);
        }
        Head h;
        try {
            h = head.get(ENGINE_KEY);
        } catch (RuntimeException again) {
            again.addSuppressed(first);
            throw new JournalUnavailableException("the outcome of batch " + batch.seq() + " is unknown", again);
        }
        if (h == null) {
            return Appended.STALE_EPOCH;
        }
        boolean in = h.pending().stream().anyMatch(b -> b.epoch() == batch.epoch() && b.seq() == batch.seq());
        if (in) {
            return Appended.ALREADY;
        }
        if (h.appliedSeq() >= batch.seq()) {
            throw new JournalUnavailableException("the outcome of batch " + batch.seq() + " is unknown: its "
                    + "sequence was written behind already", first);
        }
        if (h.epoch() != batch.epoch()) {
            return Appended.STALE_EPOCH; // not in, and no append of this epoch can land any more
        }
        try {
            return head.executeOnKey(ENGINE_KEY, new Append(batch));
        } catch (RuntimeException again) {
            again.addSuppressed(first);
            throw new JournalUnavailableException("the outcome of batch " + batch.seq() + " is unknown", again);
        }
    }

    private boolean ownsTheHead() {
        try {
            com.hazelcast.cluster.Member owner = hz.getPartitionService().getPartition(ENGINE_KEY).getOwner();
            return owner == null || owner.localMember();
        } catch (RuntimeException e) {
            return true; // cannot tell who owns it: nothing read here could settle the append
        }
    }

    @Override
    public boolean writeBehind(long epoch, long seq, Map<String, Map<String, Object>> changes) {
        PartitionService partitions = hz.getPartitionService();
        List<CompletableFuture<?>> writes = new ArrayList<>();
        changes.forEach((table, records) -> {
            IMap<String, Versioned> m = hz.getMap(STATE_PREFIX + table);
            Map<Integer, Map<String, Object>> byPartition = new HashMap<>();
            records.forEach((k, v) -> byPartition.computeIfAbsent(partitions.getPartition(k).getPartitionId(),
                    p -> new HashMap<>()).put(k, v));
            for (Map<String, Object> part : byPartition.values()) {
                CompletionStage<?> w = m.submitToKeys(part.keySet(), new PutIfNewer(seq, part));
                writes.add(w.toCompletableFuture());
            }
        });
        try {
            CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JournalUnavailableException("interrupted writing behind", e);
        } catch (Exception e) {
            throw new JournalUnavailableException("cannot write behind: " + e, e);
        }
        return head.executeOnKey(ENGINE_KEY, new Trim(epoch, seq));
    }

    /**
     * Writes a state kept elsewhere into the empty state maps (each record as written by batch {@code seq}, a thousand a
     * call, each call with its synchronous backups), then sets the head to continue after {@code seq}.
     */
    @Override
    public void restore(long seq, long time, Map<String, Map<String, Object>> tables) {
        Head h = head();
        if (h.lastSeq() != 0 || !h.pending().isEmpty() || heldWithoutHead() != null) {
            throw new IllegalStateException("the journal is not empty: it is at batch " + h.lastSeq());
        }
        // chunks of records written a few at once (a million records one call after the other took 10 s)
        java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(RESTORE_IN_FLIGHT);
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        tables.forEach((table, records) -> {
            IMap<String, Versioned> m = hz.getMap(STATE_PREFIX + table);
            Map<String, Versioned> chunk = new HashMap<>();
            for (Map.Entry<String, Object> e : records.entrySet()) {
                chunk.put(e.getKey(), new Versioned(seq, e.getValue()));
                if (chunk.size() == RESTORE_CHUNK) {
                    writes.add(putAll(m, chunk, inFlight));
                    chunk = new HashMap<>();
                }
            }
            if (!chunk.isEmpty()) {
                writes.add(putAll(m, chunk, inFlight));
            }
        });
        try {
            CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(10, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JournalUnavailableException("interrupted restoring the state maps", e);
        } catch (Exception e) {
            throw new JournalUnavailableException("cannot restore the state maps: " + e, e);
        }
        if (!head.executeOnKey(ENGINE_KEY, new Restore(seq, time))) {
            throw new IllegalStateException("the journal's head took a batch while it was being restored");
        }
    }

    /** Records a restore writes in one call, and calls under way at once. */
    private static final int RESTORE_CHUNK = 5_000;
    private static final int RESTORE_IN_FLIGHT = 8;

    private static CompletableFuture<Void> putAll(IMap<String, Versioned> m, Map<String, Versioned> chunk,
                                                  java.util.concurrent.Semaphore inFlight) {
        inFlight.acquireUninterruptibly();
        return m.putAllAsync(chunk).toCompletableFuture().whenComplete((v, e) -> inFlight.release());
    }

    /** Sets an empty head to continue after a restored state's last batch. */
    static final class Restore implements EntryProcessor<String, Head, Boolean> {
        private static final long serialVersionUID = 1L;
        private final long seq;
        private final long time;

        Restore(long seq, long time) {
            this.seq = seq;
            this.time = time;
        }

        @Override
        public Boolean process(Map.Entry<String, Head> entry) {
            Head h = entry.getValue() == null ? Head.EMPTY : entry.getValue();
            if (h.lastSeq() != 0 || !h.pending().isEmpty()) {
                return false;
            }
            entry.setValue(new Head(h.epoch(), seq, seq, List.of(), Math.max(h.lastTime(), time)));
            return true;
        }
    }

    /** Returns the head as it is (for tests and for {@code GET /ready}). */
    public Head head() {
        Head h = head.get(ENGINE_KEY);
        return h == null ? Head.EMPTY : h;
    }


    /** Appends a batch if its epoch is the head's and its sequence follows. */
    static final class Append implements EntryProcessor<String, Head, Appended> {
        private static final long serialVersionUID = 1L;
        private final Batch batch;

        Append(Batch batch) {
            this.batch = batch;
        }

        @Override
        public Appended process(Map.Entry<String, Head> entry) {
            Head h = entry.getValue() == null ? Head.EMPTY : entry.getValue();
            if (h.epoch() != batch.epoch()) {
                return Appended.STALE_EPOCH;
            }
            if (batch.seq() <= h.lastSeq()) {
                return Appended.ALREADY;
            }
            if (batch.seq() != h.lastSeq() + 1) {
                return Appended.GAP;
            }
            List<Batch> pending = new ArrayList<>(h.pending().size() + 1);
            pending.addAll(h.pending());
            pending.add(batch);
            entry.setValue(new Head(h.epoch(), batch.seq(), h.appliedSeq(), pending,
                    Math.max(h.lastTime(), batch.time())));
            return Appended.APPENDED;
        }
    }

    /** Bumps the epoch: every append of an older epoch is refused from now on. */
    static final class TakeOver implements EntryProcessor<String, Head, Head> {
        private static final long serialVersionUID = 1L;

        @Override
        public Head process(Map.Entry<String, Head> entry) {
            Head h = entry.getValue() == null ? Head.EMPTY : entry.getValue();
            Head next = new Head(h.epoch() + 1, h.lastSeq(), h.appliedSeq(), h.pending(), h.lastTime());
            entry.setValue(next);
            return next;
        }
    }

    /** Drops the batches up to a sequence that the state maps hold, if the epoch is still the head's. */
    static final class Trim implements EntryProcessor<String, Head, Boolean> {
        private static final long serialVersionUID = 1L;
        private final long epoch;
        private final long seq;

        Trim(long epoch, long seq) {
            this.epoch = epoch;
            this.seq = seq;
        }

        @Override
        public Boolean process(Map.Entry<String, Head> entry) {
            Head h = entry.getValue();
            if (h == null || h.epoch() != epoch) {
                return false;
            }
            if (seq <= h.appliedSeq()) {
                return true;
            }
            List<Batch> left = new ArrayList<>();
            for (Batch b : h.pending()) {
                if (b.seq() > seq) {
                    left.add(b);
                }
            }
            entry.setValue(new Head(h.epoch(), h.lastSeq(), seq, left, h.lastTime()));
            return true;
        }
    }

    /** Writes each key's record unless the map holds one from a later batch; a {@code null} record removes. */
    static final class PutIfNewer implements EntryProcessor<String, Versioned, Void> {
        private static final long serialVersionUID = 1L;
        private final long seq;
        private final Map<String, Object> records;

        PutIfNewer(long seq, Map<String, Object> records) {
            this.seq = seq;
            this.records = records;
        }

        @Override
        public Void process(Map.Entry<String, Versioned> entry) {
            Versioned current = entry.getValue();
            if (current != null && current.seq() > seq) {
                return null;
            }
            Object v = records.get(entry.getKey());
            entry.setValue(v == null ? null : new Versioned(seq, v));
            return null;
        }
    }
}
