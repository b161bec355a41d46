package io.ichiba.ledger.journal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference journal, in this process: the engine's contract as plain code, for tests and for a broker alone.
 * Several engines may share one instance, as members share the replicated journal, to test fencing.
 */
public final class InMemoryJournal implements Journal {
    private long epoch;
    private long lastSeq;
    private final List<Batch> pending = new ArrayList<>();
    private final Map<String, Map<String, Object>> tables = new HashMap<>();
    private long appends;
    private long lastTime;

    @Override
    public synchronized Takeover takeOver() {
        epoch++;
        Map<String, Map<String, Object>> copy = new HashMap<>();
        tables.forEach((t, m) -> copy.put(t, new HashMap<>(m)));
        return new Takeover(epoch, lastSeq, copy, pending, lastTime);
    }

    /** What a new engine would start from, without taking over (the epoch stays): for checks. */
    public synchronized Takeover peek() {
        Map<String, Map<String, Object>> copy = new HashMap<>();
        tables.forEach((t, m) -> copy.put(t, new HashMap<>(m)));
        return new Takeover(epoch, lastSeq, copy, pending, lastTime);
    }

    @Override
    public synchronized void append(Batch batch) {
        if (batch.epoch() != epoch) {
            throw new FencedException("epoch " + batch.epoch() + " is stale: the journal is at epoch " + epoch);
        }
        if (batch.seq() <= lastSeq) {
            return; // appended already in this epoch: a run twice
        }
        if (batch.seq() != lastSeq + 1) {
            throw new FencedException("seq " + batch.seq() + " does not follow " + lastSeq);
        }
        pending.add(batch);
        lastSeq = batch.seq();
        lastTime = Math.max(lastTime, batch.time());
        appends++;
    }

    @Override
    public synchronized boolean writeBehind(long epoch, long seq, Map<String, Map<String, Object>> changes) {
        if (epoch != this.epoch) {
            return false;
        }
        changes.forEach((table, records) -> {
            Map<String, Object> t = tables.computeIfAbsent(table, k -> new HashMap<>());
            records.forEach((k, v) -> {
                if (v == null) {
                    t.remove(k);
                } else {
                    t.put(k, v);
                }
            });
        });
        pending.removeIf(b -> b.seq() <= seq);
        return true;
    }

    @Override
    public synchronized void restore(long seq, long time, Map<String, Map<String, Object>> state) {
        if (lastSeq != 0 || !pending.isEmpty() || tables.values().stream().anyMatch(t -> !t.isEmpty())) {
            throw new IllegalStateException("the journal is not empty: it is at batch " + lastSeq);
        }
        state.forEach((t, m) -> tables.put(t, new HashMap<>(m)));
        lastSeq = seq;
        lastTime = time;
    }

    /** Returns the current epoch. */
    public synchronized long epoch() {
        return epoch;
    }

    /** Returns the last appended sequence. */
    public synchronized long lastSeq() {
        return lastSeq;
    }

    /** Returns how many batches were appended (runs twice not counted). */
    public synchronized long appends() {
        return appends;
    }

    /** Returns how many batches are kept that the state tables may not hold yet. */
    public synchronized int pendingBatches() {
        return pending.size();
    }
}
