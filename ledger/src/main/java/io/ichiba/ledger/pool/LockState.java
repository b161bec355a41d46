package io.ichiba.ledger.pool;

import io.ichiba.ledger.Rejection;

import java.util.SortedMap;

/**
 * A cluster-wide lock with a number of permits (a mutex has one), under its own key.
 *
 * @param name     lock name; its pool id is {@code lock:name}
 * @param permits  number of permits
 * @param holdings holders, each holding {@code {"lock": 1}}
 */
public record LockState(String name, long permits, Holdings holdings) implements Place<LockState>,
        io.ichiba.ledger.store.Incremental<LockState> {

    /** A lock that many claims hold travels as its patch when one of them changed ({@link Holdings#patch}). */
    @Override
    public io.ichiba.ledger.store.Incremental.Patch<LockState> since(LockState before) {
        return Holdings.patch(this, before);
    }

    @Override
    public void committed() {
        holdings.forgetPast();
    }


    /** The kind a lock's holds are counted in. */
    public static final String KIND = "lock";

    /** Validates the lock. */
    public LockState {
        if (permits < 1) {
            throw new IllegalArgumentException("permits must be at least 1");
        }
        holdings = holdings == null ? Holdings.empty() : holdings;
    }

    /** Returns the pool id of lock {@code name}. */
    public static String poolId(String name) {
        return "lock:" + name;
    }

    private static final SortedMap<String, Long> ONE_PERMIT = Amounts.of(java.util.Map.of(KIND, 1L));

    /** Returns the amounts one claim holds of a lock (immutable, shared: admission asks for it for every lock). */
    public static SortedMap<String, Long> onePermit() {
        return ONE_PERMIT;
    }

    /** Returns the number of permits held. */
    public long granted() {
        return holdings.granted(KIND);
    }

    @Override
    public LockState withHoldings(Holdings h) {
        return new LockState(name, permits, h);
    }

    @Override
    public Rejection checkHold(String claimId, SortedMap<String, Long> amounts, long now, long until) {
        Rejection r = checkHold(claimId, amounts);
        if (r != null || until <= now) {
            return r;
        }
        long others = holdings.without(claimId).granted(KIND);
        long booked = holdings.bookedPeak(KIND, now, until, claimId);
        if (booked > 0 && others + booked + Amounts.get(amounts, KIND) > permits) {
            return Rejection.of(Rejection.Code.RESERVED, poolId(name) + " has " + booked
                    + " permit(s) reserved before this lease would end");
        }
        return null;
    }

    @Override
    public long bookable(String kind) {
        return KIND.equals(kind) ? permits : 0;
    }

    @Override
    public Rejection checkHold(String claimId, SortedMap<String, Long> amounts) {
        long others = holdings.without(claimId).granted(KIND);
        if (others + Amounts.get(amounts, KIND) > permits) {
            return Rejection.of(Rejection.Code.LOCK_HELD, poolId(name) + " has all " + permits + " permit(s) held");
        }
        return null;
    }
}
