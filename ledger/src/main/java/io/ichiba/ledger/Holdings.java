package io.ichiba.ledger;

import java.io.Serializable;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The holders of one place, by claim id: the single source of its granted amounts.
 *
 * <p>Because holders are keyed by claim, holding for the same claim twice replaces the first hold,
 * and releasing twice removes nothing the second time: every token returns exactly once (law 3).
 * Granted totals are derived from the holders, never kept as a separate counter.
 *
 * @param holders claim id to its hold
 */
public record Holdings(SortedMap<String, Hold> holders) implements Serializable {

    /** Sentinel attempt for {@link #without}: remove the claim's hold whatever attempt placed it. */
    public static final long ANY_ATTEMPT = -1;

    /** Copies the holders into an immutable sorted map. */
    public Holdings {
        holders = Collections.unmodifiableSortedMap(new TreeMap<>(holders == null ? Map.of() : holders));
    }

    /** Returns the empty holdings. */
    public static Holdings empty() {
        return new Holdings(new TreeMap<>());
    }

    /** Returns the total held of {@code kind}. */
    public long granted(String kind) {
        long sum = 0;
        for (Hold h : holders.values()) {
            sum = Math.addExact(sum, Amounts.get(h.amounts(), kind));
        }
        return sum;
    }

    /** Returns the totals held per kind. */
    public SortedMap<String, Long> totals() {
        TreeMap<String, Long> sum = new TreeMap<>();
        for (Hold h : holders.values()) {
            h.amounts().forEach((k, v) -> sum.merge(k, v, Math::addExact));
        }
        return Collections.unmodifiableSortedMap(sum);
    }

    /** Returns these holdings with {@code claimId} holding {@code hold}. */
    public Holdings with(String claimId, Hold hold) {
        TreeMap<String, Hold> copy = new TreeMap<>(holders);
        copy.put(claimId, hold);
        return new Holdings(copy);
    }

    /**
     * Returns these holdings without {@code claimId}'s hold, if it was placed by {@code attempt}
     * (or by any attempt when {@code attempt} is {@link #ANY_ATTEMPT}).
     */
    public Holdings without(String claimId, long attempt) {
        Hold h = holders.get(claimId);
        if (h == null || (attempt != ANY_ATTEMPT && h.attempt() != attempt)) {
            return this;
        }
        TreeMap<String, Hold> copy = new TreeMap<>(holders);
        copy.remove(claimId);
        return new Holdings(copy);
    }

    /** Whether {@code claimId} holds anything here. */
    public boolean holds(String claimId) {
        return holders.containsKey(claimId);
    }
}
