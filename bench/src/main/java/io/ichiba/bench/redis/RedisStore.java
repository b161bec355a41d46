package io.ichiba.bench.redis;

import io.ichiba.ledger.Command;
import io.ichiba.ledger.store.EventLog;
import io.ichiba.ledger.store.InMemoryEventLog;
import io.ichiba.ledger.store.Settleable;
import io.ichiba.ledger.store.Table;
import io.ichiba.ledger.store.TableStore;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The ledger's {@link io.ichiba.ledger.store.Store} over one {@code redis-server}, through Lettuce: the same Java
 * commands as the in-memory and Hazelcast stores, so that the benchmarks can put Redis behind the whole ledger and
 * the broker's real routes, not only behind a counters script ({@link RedisGrants}).
 *
 * <p>Layout: each table is a Redis hash {@code <prefix>{<table>}:data} from key to the value in Java serialization,
 * and a set {@code <prefix>{<table>}:live} of the keys whose value is a {@link Settleable} not yet settled (what the
 * Hazelcast store's index on the flag gives). The table's name is the hash tag, so both keys of a table share a
 * Redis Cluster slot.
 *
 * <h2>Notes</h2>
 *
 * <ul>
 *   <li><b>Atomic on one key, optimistically.</b> Redis cannot run a Java command, so {@link Table#execute} reads the
 *       value, applies the command here, and writes with a Lua compare-and-set that succeeds only if the stored
 *       bytes are still those it read (absent counts as empty); on a conflict it reads again and retries. Commands
 *       are pure, so running one again on fresh state is sound (law: every change atomic on the key that owns it).
 *       Comparing the bytes, not a version, means a value deleted and written again cannot be mistaken for the
 *       one read: equal bytes are equal state. Conflicts are counted ({@link #conflicts()}).</li>
 *   <li><b>One broker per database.</b> Listeners are called in this process after its own writes, like the
 *       in-memory store; {@link Table#localKeys} is every key, and the event log is in memory. Brokers sharing one
 *       Redis would each sweep every key and miss each other's wake-ups: that would need keyspace notifications and
 *       a Redis stream for events, which the benchmarks do not need.</li>
 *   <li><b>No expiry.</b> Idempotency records do not expire after 24 h as they do in Hazelcast; a benchmark's run
 *       is far shorter.</li>
 *   <li>One multiplexed connection carries every thread's commands (Lettuce pipelines them).</li>
 * </ul>
 */
public final class RedisStore extends TableStore {
    /**
     * KEYS = data hash, live set; ARGV = key, expected bytes ({@code ""}: absent), next bytes ({@code ""}: remove),
     * live flag ({@code l}: live, {@code s}: settled, {@code n}: not settleable). Returns 1 when written, 0 when the
     * value changed since it was read.
     */
    static final String COMPARE_AND_SET = """
            local current = redis.call('HGET', KEYS[1], ARGV[1])
            if current == false then current = '' end
            if current ~= ARGV[2] then return 0 end
            if ARGV[3] == '' then
              redis.call('HDEL', KEYS[1], ARGV[1])
              redis.call('SREM', KEYS[2], ARGV[1])
            else
              redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
              if ARGV[4] == 'l' then
                redis.call('SADD', KEYS[2], ARGV[1])
              elseif ARGV[4] == 's' then
                redis.call('SREM', KEYS[2], ARGV[1])
              end
            end
            return 1
            """;
    private static final byte[] EMPTY = new byte[0];
    private static final byte[] LIVE = {'l'};
    private static final byte[] SETTLED = {'s'};
    private static final byte[] NOT_SETTLEABLE = {'n'};
    /** Fields asked for in one HMGET. */
    private static final int BATCH = 1_000;

    private final Connection connection;
    private final EventLog events = new InMemoryEventLog(100_000);

    /**
     * A store in the database at {@code uri} (e.g. {@code redis://127.0.0.1:16380}), its keys under {@code prefix}
     * (so that several stores can share a database).
     */
    public RedisStore(String uri, String prefix) {
        this(new Connection(uri), prefix);
    }

    private RedisStore(Connection connection, String prefix) {
        super(new Tables() {
            @Override
            public <V> Table<V> table(String name) {
                return new RedisTable<>(connection, prefix + "{" + name + "}:");
            }
        });
        this.connection = connection;
    }

    @Override
    public EventLog events() {
        return events;
    }

    /** How many compare-and-sets failed because another writer changed the key first (each was retried). */
    public long conflicts() {
        return connection.conflicts.sum();
    }

    @Override
    public void close() {
        super.close();
        connection.close();
    }

    /** The client, its one connection, the loaded script and the conflict count, shared by every table. */
    private static final class Connection implements AutoCloseable {
        private final RedisClient client;
        private final StatefulRedisConnection<String, byte[]> connection;
        private final RedisCommands<String, byte[]> redis;
        private final LongAdder conflicts = new LongAdder();
        private volatile String casSha;

        Connection(String uri) {
            this.client = RedisClient.create(uri);
            try {
                this.connection = client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
            } catch (RuntimeException e) {
                client.shutdown();
                throw e;
            }
            this.redis = connection.sync();
            this.casSha = redis.scriptLoad(COMPARE_AND_SET);
        }

        boolean compareAndSet(String data, String live, byte[] key, byte[] expected, byte[] next, byte[] flag) {
            String[] keys = {data, live};
            Long written;
            try {
                written = redis.evalsha(casSha, ScriptOutputType.INTEGER, keys, key, expected, next, flag);
            } catch (RedisNoScriptException e) { // the server lost its script cache (SCRIPT FLUSH, a restart)
                casSha = redis.scriptLoad(COMPARE_AND_SET);
                written = redis.evalsha(casSha, ScriptOutputType.INTEGER, keys, key, expected, next, flag);
            }
            return written != null && written == 1L;
        }

        @Override
        public void close() {
            connection.close();
            client.shutdown();
        }
    }

    private static final class RedisTable<V> implements Table<V> {
        private final Connection connection;
        private final RedisCommands<String, byte[]> redis;
        private final String data;
        private final String live;
        private final List<Consumer<V>> listeners = new CopyOnWriteArrayList<>();

        RedisTable(Connection connection, String keyPrefix) {
            this.connection = connection;
            this.redis = connection.redis;
            this.data = keyPrefix + "data";
            this.live = keyPrefix + "live";
        }

        @Override
        public V get(String key) {
            return read(redis.hget(data, key));
        }

        @Override
        public <R> R execute(String key, Command<V, R> command) {
            byte[] field = key.getBytes(StandardCharsets.UTF_8);
            while (true) {
                byte[] stored = redis.hget(data, key);
                Command.Outcome<V, R> o = command.apply(read(stored));
                if (!o.write()) {
                    return o.result();
                }
                V next = o.next();
                byte[] flag = next instanceof Settleable s ? (s.settled() ? SETTLED : LIVE) : NOT_SETTLEABLE;
                byte[] bytes = next == null ? EMPTY : write(next);
                if (connection.compareAndSet(data, live, field, stored == null ? EMPTY : stored, bytes, flag)) {
                    if (next != null) {
                        listeners.forEach(l -> l.accept(next));
                    }
                    return o.result();
                }
                connection.conflicts.increment();
            }
        }

        @Override
        public Map<String, V> entries() {
            Map<String, V> out = new TreeMap<>();
            redis.hgetall(data).forEach((k, v) -> out.put(k, read(v)));
            return out;
        }

        @Override
        public Collection<V> values(Filter<V> filter) {
            List<V> out = new ArrayList<>();
            matching(filter, (k, v) -> out.add(v));
            return out;
        }

        @Override
        public Collection<String> localKeys(Filter<V> filter) {
            List<String> out = new ArrayList<>();
            matching(filter, (k, v) -> out.add(k));
            return out;
        }

        /** Calls {@code each} with the entries that pass {@code filter}: only the live set's for live-only filters. */
        private void matching(Filter<V> filter, BiConsumer<String, V> each) {
            BiConsumer<String, V> passing = (k, v) -> {
                if (filter.test(v)) {
                    each.accept(k, v);
                }
            };
            if (!filter.skipsSettled()) {
                redis.hgetall(data).forEach((k, bytes) -> passing.accept(k, read(bytes)));
                return;
            }
            List<String> keys = new ArrayList<>();
            for (byte[] k : redis.smembers(live)) {
                keys.add(new String(k, StandardCharsets.UTF_8));
            }
            for (int from = 0; from < keys.size(); from += BATCH) {
                String[] batch = keys.subList(from, Math.min(keys.size(), from + BATCH)).toArray(String[]::new);
                for (KeyValue<String, byte[]> kv : redis.hmget(data, batch)) {
                    if (kv.hasValue()) { // removed since the set was read
                        passing.accept(kv.getKey(), read(kv.getValue()));
                    }
                }
            }
        }

        @Override
        public void listen(Consumer<V> listener) {
            listeners.add(listener);
        }

        @Override
        public void listenLocal(Consumer<V> listener) {
            listeners.add(listener);
        }

        @SuppressWarnings("unchecked")
        private V read(byte[] bytes) {
            if (bytes == null) {
                return null;
            }
            try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
                return (V) in.readObject();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read a value of " + data, e);
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("cannot read a value of " + data, e);
            }
        }

        private byte[] write(V value) {
            ByteArrayOutputStream buffer = new ByteArrayOutputStream(512);
            try (ObjectOutputStream out = new ObjectOutputStream(buffer)) {
                out.writeObject(value);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write a value of " + data, e);
            }
            return buffer.toByteArray();
        }
    }

    /** Deletes every key under {@code prefix} in the database at {@code uri} (a benchmark's clean start). */
    public static void drop(String uri, String prefix) {
        try (Connection c = new Connection(uri)) {
            List<String> keys = new ArrayList<>();
            c.redis.keys(prefix + "*").forEach(keys::add);
            if (!keys.isEmpty()) {
                c.redis.del(keys.toArray(String[]::new));
            }
        }
    }

    @Override
    public String toString() {
        return "RedisStore[conflicts=" + conflicts() + "]";
    }
}
