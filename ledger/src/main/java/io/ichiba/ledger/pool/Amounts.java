package io.ichiba.ledger.pool;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Quantities per resource kind: immutable, sorted maps of kind to a positive amount (MiB, permits).
 *
 * <p>Every sum uses {@link Math#addExact}: an overflow is a rejected request, never a wrap.
 */
public final class Amounts {
    /** The largest amount of one kind that a request may name: 2^40 MiB (one EiB). */
    public static final long MAX_AMOUNT = 1L << 40;

    private Amounts() {
    }

    /**
     * Whether {@code amounts} is already what {@link #of} ({@code zeros}: {@link #copyOf}) would answer: an
     * unmodifiable sorted map in the natural order (in the ledger, only these methods and the decoders make one, over
     * a map they keep no other reference to) without a null or, unless kept, a zero. Then it is shared, not copied: a
     * claim's bundle, and the holds it places on its tenant and its node, share one map.
     */
    private static boolean already(Map<String, Long> amounts, boolean zeros) {
        if (!io.ichiba.ledger.store.OwnedMaps.isOwnedSortedView(amounts)) {
            return false;
        }
        for (Long v : amounts.values()) {
            if (v == null || (!zeros && v == 0)) {
                return false;
            }
        }
        return true;
    }

    /** An immutable sorted copy of {@code amounts}, dropping zero entries ({@code amounts} itself if it is one). */
    public static SortedMap<String, Long> of(Map<String, Long> amounts) {
        if (already(amounts, false)) {
            return (SortedMap<String, Long>) amounts;
        }
        TreeMap<String, Long> copy = new TreeMap<>();
        if (amounts != null) {
            amounts.forEach((k, v) -> {
                if (v != null && v != 0) {
                    copy.put(k, v);
                }
            });
        }
        return Collections.unmodifiableSortedMap(copy);
    }

    /** Returns an immutable sorted copy of {@code amounts} that keeps zero entries (a pool of capacity 0 exists). */
    public static SortedMap<String, Long> copyOf(Map<String, Long> amounts) {
        if (already(amounts, true)) {
            return (SortedMap<String, Long>) amounts;
        }
        TreeMap<String, Long> copy = new TreeMap<>();
        if (amounts != null) {
            amounts.forEach((k, v) -> {
                if (v != null) {
                    copy.put(k, v);
                }
            });
        }
        return Collections.unmodifiableSortedMap(copy);
    }

    /** Renders amounts as {@code kind=amount,...}, sorted by kind (e.g. {@code disk=1024,memory=4096}). */
    public static String render(Map<String, Long> amounts) {
        StringBuilder b = new StringBuilder();
        Map<String, Long> sorted = amounts instanceof SortedMap<String, Long> m && m.comparator() == null ? amounts
                : new TreeMap<>(amounts); // a bundle's amounts are sorted already
        sorted.forEach((k, v) -> b.append(b.length() == 0 ? "" : ",").append(k).append('=').append(v));
        return b.toString();
    }

    /** Returns the empty amounts. */
    public static SortedMap<String, Long> none() {
        return Collections.unmodifiableSortedMap(new TreeMap<>());
    }

    /** Returns {@code amounts.get(kind)} or zero. */
    public static long get(Map<String, Long> amounts, String kind) {
        Long v = amounts.get(kind);
        return v == null ? 0 : v;
    }

    /** Returns a copy of {@code amounts} with {@code kind} set to {@code value} (removed if zero). */
    public static SortedMap<String, Long> with(Map<String, Long> amounts, String kind, long value) {
        TreeMap<String, Long> copy = new TreeMap<>(amounts);
        if (value == 0) {
            copy.remove(kind);
        } else {
            copy.put(kind, value);
        }
        return Collections.unmodifiableSortedMap(copy);
    }

    /** Checks that every amount is in {@code [1, MAX_AMOUNT]}; throws {@link IllegalArgumentException}. */
    public static void requirePositive(Map<String, Long> amounts, String what) {
        amounts.forEach((k, v) -> {
            if (v == null || v < 1 || v > MAX_AMOUNT) {
                throw new IllegalArgumentException(what + "." + k + " must be between 1 and " + MAX_AMOUNT + ", was " + v);
            }
        });
    }

    /** Checks that every amount is in {@code [0, MAX_AMOUNT]}; throws {@link IllegalArgumentException}. */
    public static void requireNonNegative(Map<String, Long> amounts, String what) {
        amounts.forEach((k, v) -> {
            if (v == null || v < 0 || v > MAX_AMOUNT) {
                throw new IllegalArgumentException(what + "." + k + " must be between 0 and " + MAX_AMOUNT + ", was " + v);
            }
        });
    }
}
