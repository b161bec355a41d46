package io.ichiba.ledger.claim;

import io.ichiba.ledger.pool.Amounts;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeSet;

/**
 * The tokens one claim asks for, granted all at once or not at all.
 *
 * <p>{@code amounts} are node-local kinds (memory, disk, operator kinds such as gpu), all taken on
 * one node; {@code locks} are cluster-wide locks, one permit of each.
 *
 * @param amounts node-local kind to amount, each in {@code [1, 2^40]}
 * @param locks   distinct lock names, sorted
 */
public record Bundle(SortedMap<String, Long> amounts, List<String> locks) implements Serializable {

    /** Validates and normalises the bundle. */
    public Bundle {
        amounts = Amounts.of(amounts);
        Amounts.requirePositive(amounts, "bundle");
        locks = locks == null ? List.of() : locks;
        TreeSet<String> distinct = new TreeSet<>(locks);
        if (distinct.size() != locks.size()) {
            throw new IllegalArgumentException("bundle.locks names a lock twice");
        }
        locks = Collections.unmodifiableList(new ArrayList<>(distinct));
        if (amounts.isEmpty() && locks.isEmpty()) {
            throw new IllegalArgumentException("bundle is empty: name at least one kind or lock");
        }
    }

    /** Creates a bundle from plain maps and lists. */
    public static Bundle of(Map<String, Long> amounts, List<String> locks) {
        return new Bundle(Amounts.of(amounts), locks);
    }

    /** Whether the bundle takes anything on a node. */
    public boolean nodeLocal() {
        return !amounts.isEmpty();
    }

    /** Renders it as events carry it: {@code kind=amount,...,locks=a+b} (e.g. {@code memory=4096,locks=db}). */
    public String render() {
        return Amounts.render(amounts) + (locks.isEmpty() ? ""
                : (amounts.isEmpty() ? "" : ",") + "locks=" + String.join("+", locks));
    }
}
