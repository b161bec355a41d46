package io.ichiba.ledger;

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
}
