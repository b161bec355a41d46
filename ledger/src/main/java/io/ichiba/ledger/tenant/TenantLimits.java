package io.ichiba.ledger.tenant;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * How many of each thing one tenant may have at once, so that one tenant's flood is bounded (it cannot fill the
 * queue, and lengthen every admission pass for everyone else, past its limits): a request that would pass a limit is
 * refused ({@code TENANT_LIMIT}, HTTP 429) and changes nothing. The broker's configuration gives every tenant's limits; the operator may set other limits for one tenant
 * ({@link TenantState#limits()}). {@link #NONE} is no limit.
 *
 * @param liveClaims   claims not ended: queued or granted (jobs' and reservations' claims included)
 * @param queuedClaims claims waiting in the queue
 * @param openJobs     jobs not ended
 * @param openOrders   market orders not ended (resting or being matched), across every kind
 * @param reservations reservations not ended (booked or active)
 */
public record TenantLimits(long liveClaims, long queuedClaims, long openJobs, long openOrders, long reservations)
        implements Serializable {

    /** The names of the limits, as the API and the configuration spell them. */
    public static final List<String> NAMES = List.of("liveClaims", "queuedClaims", "openJobs", "openOrders",
            "reservations");

    /** No limit on anything. */
    public static final TenantLimits NONE = new TenantLimits(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE,
            Long.MAX_VALUE, Long.MAX_VALUE);

    /** Checks that no limit is negative. */
    public TenantLimits {
        if (liveClaims < 0 || queuedClaims < 0 || openJobs < 0 || openOrders < 0 || reservations < 0) {
            throw new IllegalArgumentException("a tenant limit is at least 0");
        }
    }

    /**
     * The defaults: far above what a well-behaved tenant needs (Slurm's and Kueue's sites set theirs in thousands),
     * low enough that no tenant's backlog makes every admission pass slow for the others.
     */
    public static TenantLimits defaults() {
        return new TenantLimits(100_000, 10_000, 10_000, 10_000, 1_000);
    }

    /** The limit called {@code name} (one of {@link #NAMES}). */
    public long of(String name) {
        return switch (name) {
            case "liveClaims" -> liveClaims;
            case "queuedClaims" -> queuedClaims;
            case "openJobs" -> openJobs;
            case "openOrders" -> openOrders;
            case "reservations" -> reservations;
            default -> throw new IllegalArgumentException("no tenant limit " + name + "; limits: " + NAMES);
        };
    }

    /** These limits, with those {@code overrides} names replaced (a tenant's own limits over the broker's). */
    public TenantLimits with(Map<String, Long> overrides) {
        if (overrides == null || overrides.isEmpty()) {
            return this;
        }
        long[] v = new long[NAMES.size()];
        for (int i = 0; i < v.length; i++) {
            Long o = overrides.get(NAMES.get(i));
            v[i] = o != null ? o : of(NAMES.get(i));
        }
        return new TenantLimits(v[0], v[1], v[2], v[3], v[4]);
    }

    /** The limits by name, each {@code null} for no limit. */
    public SortedMap<String, Long> byName() {
        SortedMap<String, Long> out = new TreeMap<>();
        for (String n : NAMES) {
            long v = of(n);
            out.put(n, v == Long.MAX_VALUE ? null : v);
        }
        return out;
    }

    /** Checks a tenant's own limits: known names, each at least 0; answers why not, or {@code null}. */
    public static String invalid(Map<String, Long> overrides) {
        if (overrides == null) {
            return null;
        }
        for (var e : overrides.entrySet()) {
            if (!NAMES.contains(e.getKey())) {
                return "no tenant limit " + e.getKey() + "; limits: " + NAMES;
            }
            if (e.getValue() == null || e.getValue() < 0) {
                return "limits." + e.getKey() + " must be at least 0";
            }
        }
        return null;
    }
}
