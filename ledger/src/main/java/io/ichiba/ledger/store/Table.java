package io.ichiba.ledger.store;

import io.ichiba.ledger.Command;

import java.io.Serializable;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One keyed table of state. Every change is a {@link Command} applied atomically to one key.
 *
 * @param <V> the value type
 */
public interface Table<V> {

    /** Returns the value of {@code key}, or {@code null}. */
    V get(String key);

    /** Applies {@code command} to {@code key} atomically and returns its result. */
    <R> R execute(String key, Command<V, R> command);

    /** Returns every entry. */
    Map<String, V> entries();

    /** Returns the values that pass {@code filter}. */
    Collection<V> values(Filter<V> filter);

    /**
     * Whether some value passes {@code filter}. The Hazelcast store answers without copying the values out of the
     * cluster, which {@link #values} must do.
     */
    default boolean any(Filter<V> filter) {
        return !values(filter).isEmpty();
    }

    /**
     * A number that changes whenever the table may have changed, as the caller sees it (the engine's thread: with the
     * running command's changes), or {@code -1} when the store does not count its changes. Equal numbers mean nothing
     * changed; a caller that gets {@code -1} must assume anything did.
     */
    default long version() {
        return -1;
    }

    /**
     * The keys that may have changed since {@link #version} answered {@code since}, as the caller sees them, or
     * {@code null} when the store does not know them all (it does not keep them, or no longer): then the caller must
     * assume any did.
     */
    default java.util.Set<String> changedSince(long since) {
        return null;
    }

    /**
     * The first value, in the order of the keys {@code index} files values under, from {@code from} on (inclusive),
     * that {@code accept} passes; {@code null} if none. A store that keeps the index in order walks it from there and
     * stops at the first: a best fit among ten thousand nodes looks at a few. This default sorts every value.
     */
    default V first(OrderedIndex<V> index, String from, java.util.function.Predicate<V> accept) {
        java.util.TreeMap<String, List<V>> filed = new java.util.TreeMap<>();
        for (V v : entries().values()) {
            index.keys(v, k -> filed.computeIfAbsent(k, x -> new java.util.ArrayList<>()).add(v));
        }
        for (List<V> under : filed.tailMap(from, true).values()) {
            for (V v : under) {
                if (accept.test(v)) {
                    return v;
                }
            }
        }
        return null;
    }

    /** How many values pass {@code filter}: a store that keeps the filter's index counts without copying them. */
    default int count(Filter<V> filter) {
        return values(filter).size();
    }

    /**
     * Returns the keys owned by this member that pass {@code filter}: each key is swept by exactly one
     * member, and by another when its owner dies. In memory, every key.
     */
    Collection<String> localKeys(Filter<V> filter);

    /** Calls {@code listener} with the new value after each change of any key (added or updated). */
    void listen(Consumer<V> listener);

    /**
     * Calls {@code listener} after each change of a key this member owns: each change is handled by one member.
     * Changes made while a member dies may be missed; periodic sweeps make up for them. In memory, every key.
     */
    void listenLocal(Consumer<V> listener);

    /**
     * A serialisable test of a value, evaluated where the data lives.
     *
     * @param <V> the value type
     */
    @FunctionalInterface
    interface Filter<V> extends Serializable {
        /** Whether {@code value} passes. */
        boolean test(V value);

        /**
         * Whether this filter passes only values that are not {@link Settleable#settled() settled}: a store that
         * indexes the flag then tests only the live values. A filter that says so must never pass a settled value.
         */
        default boolean skipsSettled() {
            return false;
        }
    }

    /**
     * A way to file values under keys of theirs (a claim under its tenant and its state, a journal entry under each
     * account it touches), so that a store that keeps it finds the values of a key without testing every value. A
     * store may keep it or not: an {@link Indexed} filter gives the same answer either way.
     *
     * <p>Indexes are compared by {@code equals}: make them records without components.
     *
     * @param <V> the value type
     */
    interface Index<V> extends Serializable {
        /** Calls {@code out} with each key {@code value} is filed under (none: it is not in the index). */
        void keys(V value, Consumer<String> out);
    }

    /**
     * A filter that passes only values its {@link #index()} files under one of its {@link #indexKeys()}: a store that
     * keeps the index tests only those.
     *
     * @param <V> the value type
     */
    interface Indexed<V> extends Filter<V> {
        /** The index that narrows the search. */
        Index<V> index();

        /** The keys to look under; a value passes only if it is filed under one of them. */
        Collection<String> indexKeys();

        /**
         * Whether every value filed under one of the keys passes: then a count is the size of what is filed, with no
         * test of the values.
         */
        default boolean exact() {
            return false;
        }

        /**
         * With an {@link OrderedIndex}: the key below which to look (exclusive), instead of {@link #indexKeys()}: a
         * value passes only if it is filed under a key that sorts before it. {@code null}: look under the keys.
         */
        default String below() {
            return null;
        }
    }

    /**
     * An index whose keys sort as the values should be found in a range (times as zero-padded numbers): a store that
     * keeps it in order finds the values filed below a key ({@link Indexed#below()}) without looking at the others.
     * An ended claim is filed under the second it ended: a purge looks only at those past the retention.
     *
     * @param <V> the value type
     */
    /**
     * How many committed records an ordered index files under each of its keys, in key order; {@code null} where the
     * table cannot tell cheaply (then a caller falls back to what it can do without).
     */
    default java.util.NavigableMap<String, Integer> filedCounts(OrderedIndex<V> index) {
        return null;
    }

    interface OrderedIndex<V> extends Index<V> {
        /** {@code n} (not negative) as a key that sorts as the number: zero-padded to 19 digits. */
        static String key(long n) {
            String digits = Long.toString(n);
            return "0".repeat(19 - digits.length()) + digits;
        }
    }

    /** Every value. */
    record All<V>() implements Filter<V> {
        @Override
        public boolean test(V value) {
            return true;
        }
    }
}
