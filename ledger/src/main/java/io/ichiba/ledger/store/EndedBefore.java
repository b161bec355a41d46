package io.ichiba.ledger.store;

import java.util.Collection;
import java.util.List;

/**
 * The records a {@code ...ByEnd} index ({@link Table.OrderedIndex}) files before {@code cutoff}: a purge looks only
 * below the cutoff's second ({@link #key}), and tests those.
 *
 * @param <V> the record
 */
public interface EndedBefore<V> extends Table.Indexed<V> {
    /** Epoch millis: what ended before it passes. */
    long cutoff();

    @Override
    default Collection<String> indexKeys() {
        return List.of();
    }

    @Override
    default String below() {
        return key(cutoff());
    }

    /** The key below which everything filed by a {@code ...ByEnd} index ended before {@code cutoff} (or may have). */
    static String key(long cutoff) {
        return Table.OrderedIndex.key(Math.max(0, Math.floorDiv(cutoff - 1, 1000) + 1));
    }

    /** The key of epoch millis {@code at} in a {@code ...ByEnd} index: its second. */
    static String second(long at) {
        return Table.OrderedIndex.key(Math.max(0, at / 1000));
    }
}
