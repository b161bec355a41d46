package io.ichiba.ledger.pool;

import org.pcollections.TreePMap;

import java.io.Serializable;
import java.util.AbstractMap;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * An immutable sorted map by id that keeps the totals its values count towards ({@link Tally}): a tenant's earmarks
 * and loan shares, thousands for a tenant that trades, where a copy per change and a walk per sum cost what the
 * tenant has. A change ({@link #with}) makes a new map that shares all but a path of the old one (a persistent
 * {@link TreePMap}) and moves only the totals the value counts towards; a total is one lookup.
 *
 * <p>Written as the plain sorted map it is ({@link #writeReplace}); a record that holds one makes it again from that.
 *
 * @param <V> the values
 */
public final class Tallied<V extends Tallied.Tally> extends AbstractMap<String, V>
        implements SortedMap<String, V>, Serializable {
    private static final long serialVersionUID = 1L;
    private static final Tallied<?> EMPTY = new Tallied<>(TreePMap.empty(), Map.of());

    /** A value that counts amounts towards named totals. */
    public interface Tally {
        /** Gives each total this value counts towards, and by how much. */
        void count(BiConsumer<String, Long> into);
    }

    /** How many changes back a map remembers what changed ({@link #changesSince}). */
    static final int REMEMBERED = 64;

    private final transient TreePMap<String, V> entries;
    private final transient Map<String, Long> totals;
    /** The map this one was made from by changing {@link #changed}, while fewer than {@link #REMEMBERED} back. */
    private transient Tallied<V> from;
    private final transient String changed;
    /** How many changes back {@link #from} reaches (0 when it reaches none). */
    private transient int depth;

    private Tallied(TreePMap<String, V> entries, Map<String, Long> totals) {
        this(entries, totals, null, null, 0);
    }

    private Tallied(TreePMap<String, V> entries, Map<String, Long> totals, Tallied<V> from, String changed,
                    int depth) {
        this.entries = entries;
        this.totals = totals;
        this.from = from;
        this.changed = changed;
        this.depth = depth;
    }

    /** The empty map. */
    @SuppressWarnings("unchecked")
    public static <V extends Tally> Tallied<V> empty() {
        return (Tallied<V>) EMPTY;
    }

    /** {@code m} itself if it is one, else a copy of it ({@code null}: empty). */
    @SuppressWarnings("unchecked")
    public static <V extends Tally> Tallied<V> of(Map<String, ? extends V> m) {
        if (m instanceof Tallied<?> t) {
            return (Tallied<V>) t;
        }
        Tallied<V> out = empty();
        if (m != null) {
            for (Map.Entry<String, ? extends V> e : new TreeMap<>(m).entrySet()) {
                out = out.with(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    /** This map with {@code key} set to {@code value} ({@code null}: removed), its totals moved accordingly. */
    public Tallied<V> with(String key, V value) {
        V before = entries.get(key);
        if (before == null && value == null) {
            return this;
        }
        Map<String, Long> t = new HashMap<>(totals);
        if (before != null) {
            before.count((name, amount) -> add(t, name, -amount));
        }
        if (value != null) {
            value.count((name, amount) -> add(t, name, amount));
        }
        boolean remembers = depth < REMEMBERED;
        return new Tallied<>(value == null ? entries.minus(key) : entries.plus(key, value), Map.copyOf(t),
                remembers ? this : null, remembers ? key : null, remembers ? depth + 1 : 0);
    }

    /** Forgets the map this one was made from, as {@link Holdings#forgetPast}. Engine thread only. */
    public void forgetPast() {
        from = null;
        depth = 0; // a chain of REMEMBERED changes from here, as Holdings#forgetPast
    }

    /**
     * What changed from {@code before} to this map, if this map was made from it by at most {@link #REMEMBERED}
     * changes: each key changed, with its value now ({@code null}: removed). {@code null} when it cannot tell.
     */
    public Map<String, V> changesSince(Tallied<V> before) {
        Map<String, V> out = new HashMap<>();
        for (Tallied<V> t = this; t != before; t = t.from) {
            if (t == null) {
                return null;
            }
            if (t.changed != null) {
                out.put(t.changed, entries.get(t.changed));
            }
        }
        return out;
    }

    private static void add(Map<String, Long> t, String name, long amount) {
        long sum = Math.addExact(t.getOrDefault(name, 0L), amount);
        if (sum == 0) {
            t.remove(name);
        } else {
            t.put(name, sum);
        }
    }

    /** The total named {@code name}: the sum of what every value counts towards it (0 if none). */
    public long total(String name) {
        return totals.getOrDefault(name, 0L);
    }

    /** The totals whose names start with {@code prefix}, by the rest of their names, sorted. */
    public SortedMap<String, Long> totals(String prefix) {
        TreeMap<String, Long> out = new TreeMap<>();
        totals.forEach((name, sum) -> {
            if (name.startsWith(prefix)) {
                out.put(name.substring(prefix.length()), sum);
            }
        });
        return Collections.unmodifiableSortedMap(out);
    }

    @Override
    public V get(Object key) {
        return entries.get(key);
    }

    @Override
    public boolean containsKey(Object key) {
        return entries.containsKey(key);
    }

    @Override
    public int size() {
        return entries.size();
    }

    @Override
    public Set<Map.Entry<String, V>> entrySet() {
        return Collections.unmodifiableMap(entries).entrySet();
    }

    @Override
    public Comparator<? super String> comparator() {
        return null;
    }

    @Override
    public SortedMap<String, V> subMap(String fromKey, String toKey) {
        return Collections.unmodifiableSortedMap(entries.subMap(fromKey, toKey));
    }

    @Override
    public SortedMap<String, V> headMap(String toKey) {
        return Collections.unmodifiableSortedMap(entries.headMap(toKey));
    }

    @Override
    public SortedMap<String, V> tailMap(String fromKey) {
        return Collections.unmodifiableSortedMap(entries.tailMap(fromKey));
    }

    @Override
    public String firstKey() {
        return entries.firstKey();
    }

    @Override
    public String lastKey() {
        return entries.lastKey();
    }

    /** Written as a plain sorted map; a record holding it makes a {@code Tallied} of it again. */
    private Object writeReplace() {
        return new TreeMap<>(entries);
    }
}
