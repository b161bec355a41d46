package io.ichiba.ledger.pool;

import java.io.Serializable;
import java.util.SortedMap;

/**
 * Capacity promised to one copy of a reservation over the window {@code [start, end)}, kept in the place it is
 * promised in (a node's pools, a lock, a tenant's quota) next to the holds, so that booking it and granting
 * against it are atomic on the place's key.
 *
 * @param reservation the reservation id
 * @param start       epoch millis the window opens
 * @param end         epoch millis the window closes (exclusive)
 * @param amounts     kind to amount promised
 */
public record Booking(String reservation, long start, long end, SortedMap<String, Long> amounts)
        implements Serializable {

    /** Validates the window and normalises the amounts. */
    public Booking {
        if (end <= start) {
            throw new IllegalArgumentException("a booking's end must be after its start");
        }
        amounts = Amounts.of(amounts);
    }

    /** Whether the window overlaps {@code [from, to)}. */
    public boolean overlaps(long from, long to) {
        return start < to && from < end;
    }
}
