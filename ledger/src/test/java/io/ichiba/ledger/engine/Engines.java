package io.ichiba.ledger.engine;

import io.ichiba.ledger.journal.Batch;
import io.ichiba.ledger.journal.Journal;
import io.ichiba.ledger.journal.Takeover;
import io.ichiba.ledger.store.InMemoryEventLog;
import io.ichiba.ledger.store.Store;
import io.ichiba.ledger.store.TableStore;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Engine stores for tests: started over a journal, closed by the next test that makes one. */
public final class Engines {
    private static final List<EngineStore> OPEN = new ArrayList<>();

    private Engines() {
    }

    /** A started engine store over {@code journal}, with an event log in memory and no other member. */
    public static synchronized EngineStore started(Journal journal) {
        EngineStore s = new EngineStore(journal, new InMemoryEventLog(100_000), null, EngineListener.NONE,
                Duration.ofSeconds(2));
        activate(s);
        OPEN.add(s);
        return s;
    }

    /** Starts {@code s}'s engine and waits (bounded) for it. */
    public static void activate(EngineStore s) {
        try {
            s.engine().activate().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("the engine did not start", e);
        }
    }

    /** Closes the engine stores a test made, after each test of the class it extends (and of its nested classes). */
    public static final class ClosedAfterEach implements org.junit.jupiter.api.extension.AfterEachCallback {
        @Override
        public void afterEach(org.junit.jupiter.api.extension.ExtensionContext context) {
            closeAll();
        }
    }

    /** Closes every engine store made so far (their threads). */
    public static synchronized void closeAll() {
        OPEN.forEach(EngineStore::close);
        OPEN.clear();
    }

    /** Every table's records as the store answers them. */
    public static Map<String, Map<String, Object>> tables(Store store) {
        Map<String, Map<String, Object>> out = new TreeMap<>();
        TableStore ts = (TableStore) store;
        out.put("nodes", new TreeMap<>(ts.nodes().entries()));
        out.put("locks", new TreeMap<>(ts.locks().entries()));
        out.put("tenants", new TreeMap<>(ts.tenants().entries()));
        out.put("claims", new TreeMap<>(ts.claims().entries()));
        out.put("jobs", new TreeMap<>(ts.jobs().entries()));
        out.put("accounts", new TreeMap<>(ts.accounts().entries()));
        out.put("loans", new TreeMap<>(ts.loans().entries()));
        out.put("reservations", new TreeMap<>(ts.reservations().entries()));
        out.put("principals", new TreeMap<>(ts.principals().entries()));
        return out;
    }

    /** What a new engine would start from: the journal's tables with its batches applied. */
    public static Map<String, Map<String, Object>> replayed(Takeover t) {
        Map<String, Map<String, Object>> out = new TreeMap<>();
        t.tables().forEach((k, v) -> out.put(k, new TreeMap<>(v)));
        for (Batch b : t.batches()) {
            b.changes().forEach(c -> {
                Map<String, Object> table = out.computeIfAbsent(c.table(), k -> new TreeMap<>());
                if (c.value() == null) {
                    table.remove(c.key());
                } else if (c.value() instanceof io.ichiba.ledger.store.Incremental.Patched p) {
                    table.put(c.key(), p.applyTo(table.get(c.key()))); // as another member got it
                } else {
                    table.put(c.key(), c.value());
                }
            });
        }
        return out;
    }

    /** Asserts that replaying the journal gives every record the store answers, and no other. */
    public static void assertReplayEquals(Map<String, Map<String, Object>> replayed, Store store) {
        tables(store).forEach((table, records) -> assertThat(replayed.getOrDefault(table, Map.of()))
                .as("table %s replayed from the journal", table).isEqualTo(records));
    }

    /** A journal that passes every call to another: tests override the call they make go wrong. */
    public static class Forwarding implements Journal {
        protected final Journal inner;

        /** Wraps {@code inner}. */
        public Forwarding(Journal inner) {
            this.inner = inner;
        }

        @Override
        public Takeover takeOver() {
            return inner.takeOver();
        }

        @Override
        public void append(Batch batch) {
            inner.append(batch);
        }

        @Override
        public boolean writeBehind(long epoch, long seq, Map<String, Map<String, Object>> changes) {
            return inner.writeBehind(epoch, seq, changes);
        }
    }

    /**
     * A journal that keeps every batch as another member gets it (written by Kryo and read back: a record that
     * changed little as its patch), so a takeover from it applies those patches.
     */
    public static class AsBackup extends Forwarding {
        /** Wraps {@code inner}. */
        public AsBackup(Journal inner) {
            super(inner);
        }

        @Override
        public void append(Batch batch) {
            inner.append((Batch) io.ichiba.ledger.hazelcast.KryoSerializer.fromBytes(
                    io.ichiba.ledger.hazelcast.KryoSerializer.toBytes(batch)));
        }
    }

    /** A journal that carries every write twice, as Hazelcast may run an operation again after a member leaves. */
    public static final class Twice extends Forwarding {
        /** Wraps {@code inner}. */
        public Twice(Journal inner) {
            super(inner);
        }

        @Override
        public void append(Batch batch) {
            inner.append(batch);
            inner.append(batch);
        }

        @Override
        public boolean writeBehind(long epoch, long seq, Map<String, Map<String, Object>> changes) {
            inner.writeBehind(epoch, seq, changes);
            return inner.writeBehind(epoch, seq, changes);
        }
    }
}
