package io.ichiba.ledger.pool;

import java.io.Serializable;
import java.util.SortedMap;

/**
 * What one claim holds in one place (a node's pools, a lock, a tenant's quota).
 *
 * @param attempt the grant attempt that placed the hold; a stale attempt's undo cannot remove a newer hold
 * @param amounts kind to amount held
 */
public record Hold(long attempt, SortedMap<String, Long> amounts) implements Serializable {
    /** Normalises the amounts. */
    public Hold {
        amounts = Amounts.of(amounts);
    }
}
