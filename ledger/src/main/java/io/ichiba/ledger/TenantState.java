package io.ichiba.ledger;

import java.util.SortedMap;

/**
 * A tenant: its quota per node-local kind (cluster-wide, MiB) and what its live claims hold against it.
 *
 * <p>A kind absent from the quota has quota zero. Locks are not counted against quota: a lock's
 * permits are its own limit.
 *
 * @param id        tenant id
 * @param quota     kind to the amount the tenant may hold at once
 * @param holdings  what the tenant's claims hold, by claim id
 * @param createdAt epoch millis
 */
public record TenantState(String id, SortedMap<String, Long> quota, Holdings holdings, long createdAt)
        implements Place<TenantState> {

    /** Normalises the maps. */
    public TenantState {
        quota = Amounts.of(quota);
        Amounts.requireNonNegative(quota, "quota");
        holdings = holdings == null ? Holdings.empty() : holdings;
    }

    /** Returns the quota of {@code kind}. */
    public long quota(String kind) {
        return Amounts.get(quota, kind);
    }

    /** Returns the amount of {@code kind} the tenant's claims hold. */
    public long used(String kind) {
        return holdings.granted(kind);
    }

    @Override
    public TenantState withHoldings(Holdings h) {
        return new TenantState(id, quota, h, createdAt);
    }

    @Override
    public Rejection checkHold(String claimId, SortedMap<String, Long> amounts) {
        Holdings others = holdings.without(claimId, Holdings.ANY_ATTEMPT);
        for (var e : amounts.entrySet()) {
            long used = others.granted(e.getKey());
            if (Math.addExact(used, e.getValue()) > quota(e.getKey())) {
                return Rejection.of(Rejection.Code.QUOTA, "tenant " + id + " uses " + used + " of its "
                        + quota(e.getKey()) + " " + e.getKey() + " quota, " + e.getValue() + " asked");
            }
        }
        return null;
    }
}
