package io.ichiba.ledger.hazelcast;

import com.hazelcast.config.AttributeConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.IndexConfig;
import com.hazelcast.config.IndexType;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.RingbufferConfig;
import io.ichiba.ledger.store.EventLog;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import com.hazelcast.query.Predicate;
import com.hazelcast.query.Predicates;
import com.hazelcast.query.extractor.ValueCollector;
import com.hazelcast.query.extractor.ValueExtractor;
import io.ichiba.ledger.Command;
import io.ichiba.ledger.store.Settleable;
import io.ichiba.ledger.store.TableStore;
import io.ichiba.ledger.store.Table;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The replicated store: one Hazelcast {@link IMap} per table, with one synchronous backup, and every change an
 * {@link EntryProcessor} that runs the ledger's pure {@link Command} on the key's owner (and again on its
 * backup). Values are immutable records kept in OBJECT format, so a processor reads them without copying.
 */
public final class HazelcastStore extends TableStore {
    /** Prefix of every map this store uses. */
    public static final String PREFIX = "ichiba.";
    /** How long a request's first answer is kept for retries with the same idempotency key. */
    public static final int IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

    /** The event log's ring buffer: how many events it keeps at most. */
    public static final int EVENTS_CAPACITY = 100_000;
    /** The event log's ring buffer: how long it keeps an event. */
    public static final int EVENTS_TTL_SECONDS = 3600;

    private final EventLog events;

    /** Creates the store over a member whose {@link Config} went through {@link #configure}. */
    public HazelcastStore(HazelcastInstance hz) {
        super(new Tables() {
            @Override
            public <V> Table<V> table(String name) {
                return new MapTable<>(hz.<String, V>getMap(PREFIX + name), INDEXED_BY_SETTLED.equals(name));
            }
        });
        this.events = new RingbufferEventLog(hz.getRingbuffer(PREFIX + "events"));
    }

    @Override
    public EventLog events() {
        return events;
    }

    /** Adds the maps' configuration to {@code config}: one synchronous backup, OBJECT format, TTLs. */
    public static Config configure(Config config) {
        MapConfig all = new MapConfig(PREFIX + "*")
                .setBackupCount(1)
                .setAsyncBackupCount(0)
                .setReadBackupData(false)
                .setInMemoryFormat(InMemoryFormat.OBJECT);
        config.addMapConfig(all);
        // An operation whose backup did not answer, or whose member left, throws instead of returning as if done:
        // the journal settles such an append by reading its head (DEPENDENCIES.md).
        config.setProperty("hazelcast.operation.fail.on.indeterminate.state", "true");
        KryoSerializer.register(config); // journal appends, state written behind, its events: Kryo, not Java
        config.getExecutorConfig(HazelcastRemote.EXECUTOR).setPoolSize(64);
        config.addMapConfig(new MapConfig(all).setName(PREFIX + "idempotency")
                .setTimeToLiveSeconds(IDEMPOTENCY_TTL_SECONDS));
        // Ended claims are kept for an hour and outnumber live ones: index the flag, so that the admission pass,
        // the reaper and the reservations sweep read the live claims only (bench/, issue 7).
        config.addMapConfig(new MapConfig(all).setName(PREFIX + INDEXED_BY_SETTLED)
                .addAttributeConfig(new AttributeConfig(SETTLED, SettledExtractor.class.getName()))
                .addIndexConfig(new IndexConfig(IndexType.HASH, SETTLED)));
        config.addRingBufferConfig(new RingbufferConfig(PREFIX + "events").setCapacity(EVENTS_CAPACITY)
                .setTimeToLiveSeconds(EVENTS_TTL_SECONDS).setBackupCount(1).setAsyncBackupCount(0)
                .setInMemoryFormat(InMemoryFormat.OBJECT));
        return config;
    }

    /**
     * Runs a {@link Command} as an entry processor: load, apply, store. The same instance runs on the backup,
     * where it gives the same result because commands carry their time and are pure.
     */
    static final class CommandProcessor<V, R> implements EntryProcessor<String, V, R> {
        private static final long serialVersionUID = 1L;
        private final Command<V, R> command;

        CommandProcessor(Command<V, R> command) {
            this.command = command;
        }

        @Override
        public R process(Map.Entry<String, V> entry) {
            Command.Outcome<V, R> o = command.apply(entry.getValue());
            if (o.write()) {
                entry.setValue(o.next());
            }
            return o.result();
        }
    }

    /** The table whose map indexes its values by {@link #SETTLED}: the claims. */
    private static final String INDEXED_BY_SETTLED = "claims";

    /** The attribute of a {@link Settleable} value that says whether it is settled. */
    static final String SETTLED = "settled";

    /** Extracts {@link Settleable#settled()} for the index. */
    public static final class SettledExtractor implements ValueExtractor<Object, Object> {
        @Override
        public void extract(Object target, Object argument, ValueCollector collector) {
            collector.addObject(target instanceof Settleable s && s.settled());
        }
    }

    /**
     * The predicate of {@code filter}: a live-only filter over a map that indexes {@link #SETTLED} first takes the
     * live entries from the index, then tests them.
     */
    static <V> Predicate<String, V> predicate(Table.Filter<V> filter, boolean indexed) {
        Predicate<String, V> test = new FilterPredicate<>(filter);
        return indexed && filter.skipsSettled() ? Predicates.and(Predicates.equal(SETTLED, false), test) : test;
    }

    /** A {@link Table.Filter} as a Hazelcast predicate. */
    record FilterPredicate<V>(Table.Filter<V> filter) implements Predicate<String, V> {
        @Override
        public boolean apply(Map.Entry<String, V> entry) {
            return filter.test(entry.getValue());
        }
    }

    private static final class MapTable<V> implements Table<V> {
        private final IMap<String, V> map;
        private final boolean indexed;

        MapTable(IMap<String, V> map, boolean indexed) {
            this.map = map;
            this.indexed = indexed;
        }

        @Override
        public V get(String key) {
            return map.get(key);
        }

        @Override
        public <R> R execute(String key, Command<V, R> command) {
            return map.executeOnKey(key, new CommandProcessor<>(command));
        }

        @Override
        public Map<String, V> entries() {
            Map<String, V> out = new TreeMap<>();
            map.entrySet().forEach(e -> out.put(e.getKey(), e.getValue()));
            return out;
        }

        @Override
        public Collection<V> values(Filter<V> filter) {
            return new ArrayList<>(map.values(predicate(filter, indexed)));
        }

        @Override
        public boolean any(Filter<V> filter) {
            return !map.keySet(predicate(filter, indexed)).isEmpty(); // keys only: no value is copied out
        }

        @Override
        public Collection<String> localKeys(Filter<V> filter) {
            return new ArrayList<>(map.localKeySet(predicate(filter, indexed)));
        }

        @Override
        public void listen(Consumer<V> listener) {
            map.addEntryListener(new Listener<>(listener), true);
        }

        @Override
        public void listenLocal(Consumer<V> listener) {
            map.addLocalEntryListener(new Listener<>(listener));
        }
    }

    private record Listener<V>(Consumer<V> listener)
            implements EntryAddedListener<String, V>, EntryUpdatedListener<String, V> {
        @Override
        public void entryAdded(EntryEvent<String, V> event) {
            listener.accept(event.getValue());
        }

        @Override
        public void entryUpdated(EntryEvent<String, V> event) {
            listener.accept(event.getValue());
        }
    }
}
