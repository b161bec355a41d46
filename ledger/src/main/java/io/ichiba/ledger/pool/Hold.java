package io.ichiba.ledger.pool;

import java.io.Serializable;
import java.util.SortedMap;

/**
 * What one claim holds in one place (a node's pools, a lock, a tenant's quota).
 *
 * <p>A claim's holds are placed, and returned, in the command that grants it, and that ends it: a hold is the claim's
 * while it is live, whichever grant placed it.
 *
 * @param amounts kind to amount held
 */
public record Hold(SortedMap<String, Long> amounts) implements Serializable {
    /** Normalises the amounts. */
    public Hold {
        amounts = Amounts.of(amounts);
    }
}
