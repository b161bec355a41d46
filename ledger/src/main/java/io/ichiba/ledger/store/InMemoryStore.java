package io.ichiba.ledger.store;

import io.ichiba.ledger.Command;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The reference store: {@link ConcurrentHashMap}s whose {@code compute} applies each command atomically. Like the
 * Hazelcast store, it keeps the keys of live {@link Settleable} values apart, so that live-only filters do not test
 * every settled value.
 */
public final class InMemoryStore extends TableStore {
    private final EventLog events = new InMemoryEventLog(100_000);

    @Override
    public EventLog events() {
        return events;
    }

    /** Creates an empty store. */
    public InMemoryStore() {
        super(InMemoryStore::newTable);
    }

    private static <V> Table<V> newTable(String name) {
        return new MapTable<>();
    }

    private static final class MapTable<V> implements Table<V> {
        private final ConcurrentHashMap<String, V> map = new ConcurrentHashMap<>();
        /** Keys of values that are not settled (see {@link Settleable}): what live-only filters look at. */
        private final Set<String> live = ConcurrentHashMap.newKeySet();
        private final List<Consumer<V>> listeners = new CopyOnWriteArrayList<>();

        @Override
        public V get(String key) {
            return map.get(key);
        }

        @Override
        @SuppressWarnings("unchecked")
        public <R> R execute(String key, Command<V, R> command) {
            Object[] result = new Object[1];
            boolean[] written = new boolean[1];
            V after = map.compute(key, (k, current) -> {
                Command.Outcome<V, R> o = command.apply(current);
                result[0] = o.result();
                written[0] = o.write();
                return o.write() ? o.next() : current;
            });
            if (written[0] && after instanceof Settleable s && !s.settled()) {
                live.add(key);
            } else if (written[0] && (after == null || after instanceof Settleable)) {
                live.remove(key); // settled or removed; values that cannot settle never enter the set
            }
            if (written[0] && after != null) {
                listeners.forEach(l -> l.accept(after));
            }
            return (R) result[0];
        }

        @Override
        public Map<String, V> entries() {
            return new TreeMap<>(map);
        }

        @Override
        public Collection<V> values(Filter<V> filter) {
            List<V> out = new ArrayList<>();
            if (filter.skipsSettled()) {
                live.forEach(k -> {
                    V v = map.get(k);
                    if (v != null && filter.test(v)) {
                        out.add(v);
                    }
                });
                return out;
            }
            map.values().forEach(v -> {
                if (filter.test(v)) {
                    out.add(v);
                }
            });
            return out;
        }

        @Override
        public Collection<String> localKeys(Filter<V> filter) {
            List<String> out = new ArrayList<>();
            map.forEach((k, v) -> {
                if (filter.test(v)) {
                    out.add(k);
                }
            });
            return out;
        }

        @Override
        public void listen(Consumer<V> listener) {
            listeners.add(listener);
        }

        @Override
        public void listenLocal(Consumer<V> listener) {
            listeners.add(listener);
        }
    }
}
