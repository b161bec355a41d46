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
 * <p>A place also keeps the {@linkplain Booking bookings} of reservations promised to it, by the id of the claim each
 * copy will become: capacity promised for a future window, which grants may use only if their leases end before
 * it opens ({@link #bookedPeak}).
 *
 * @param holders  claim id to its hold
 * @param bookings copy (future claim) id to the capacity promised to it
 */
public record Holdings(SortedMap<String, Hold> holders, SortedMap<String, Booking> bookings) implements Serializable {

    /** Sentinel attempt for {@link #without}: remove the claim's hold whatever attempt placed it. */
    public static final long ANY_ATTEMPT = -1;

    /** Copies the holders into an immutable sorted map. */
    public Holdings {
        holders = Collections.unmodifiableSortedMap(new TreeMap<>(holders == null ? Map.of() : holders));
        bookings = Collections.unmodifiableSortedMap(new TreeMap<>(bookings == null ? Map.of() : bookings));
    }

    /** Holders and no bookings. */
    public Holdings(SortedMap<String, Hold> holders) {
        this(holders, null);
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
        return new Holdings(copy, bookings);
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
        return new Holdings(copy, bookings);
    }

    /** Returns these holdings with {@code booking} promised to copy {@code copyId} (replacing one it had). */
    public Holdings withBooking(String copyId, Booking booking) {
        TreeMap<String, Booking> copy = new TreeMap<>(bookings);
        copy.put(copyId, booking);
        return new Holdings(holders, copy);
    }

    /** Returns these holdings without copy {@code copyId}'s booking. */
    public Holdings withoutBooking(String copyId) {
        if (!bookings.containsKey(copyId)) {
            return this;
        }
        TreeMap<String, Booking> copy = new TreeMap<>(bookings);
        copy.remove(copyId);
        return new Holdings(holders, copy);
    }

    /** Returns these holdings without any booking of {@code reservation}. */
    public Holdings withoutReservation(String reservation) {
        TreeMap<String, Booking> copy = new TreeMap<>(bookings);
        if (!copy.values().removeIf(b -> b.reservation().equals(reservation))) {
            return this;
        }
        return new Holdings(holders, copy);
    }

    /**
     * Returns the most of {@code kind} that bookings promise at any moment of {@code [from, to)}, leaving out
     * {@code exceptCopy}'s booking (a copy taking up its own promise); 0 for an empty window.
     */
    public long bookedPeak(String kind, long from, long to, String exceptCopy) {
        if (bookings.isEmpty() || to <= from) {
            return 0;
        }
        java.util.List<Timeline.Use> uses = new java.util.ArrayList<>();
        bookings.forEach((id, b) -> {
            long amount = Amounts.get(b.amounts(), kind);
            if (amount > 0 && !id.equals(exceptCopy) && b.overlaps(from, to)) {
                uses.add(new Timeline.Use(b.start(), b.end(), amount));
            }
        });
        return Timeline.peak(uses, from, to);
    }

    /** Whether {@code claimId} holds anything here. */
    public boolean holds(String claimId) {
        return holders.containsKey(claimId);
    }
}
