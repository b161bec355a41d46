package io.ichiba.ledger.pool;

import io.ichiba.ledger.Rejection;

import java.io.Serializable;
import java.util.SortedMap;

/**
 * A place that claims hold tokens in: a node's pools, a lock, a tenant's quota.
 *
 * @param <S> the concrete state type
 */
public interface Place<S extends Place<S>> extends Serializable {

    /** Returns who holds what here. */
    Holdings holdings();

    /** Returns this state with other holdings. */
    S withHoldings(Holdings holdings);

    /**
     * Checks whether {@code amounts} can be held here now, next to every current holder except
     * {@code claimId} (whose hold would be replaced); returns {@code null} if it can.
     */
    Rejection checkHold(String claimId, SortedMap<String, Long> amounts);

    /**
     * As {@link #checkHold(String, SortedMap)} for a hold kept over {@code [now, until)}: capacity promised to a
     * reservation whose window opens before {@code until} is not free for it. Every current holder is counted as
     * holding throughout (its deadline is not known here).
     */
    Rejection checkHold(String claimId, SortedMap<String, Long> amounts, long now, long until);

    /** Returns how much of {@code kind} reservations may be promised here over time (before holds and bookings). */
    long bookable(String kind);
}
