package io.ichiba.ledger.reservation;

import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Funding;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * N copies of a bundle promised to a tenant over the window {@code [start, end)}.
 *
 * <p>Each copy is booked, at booking time, on one node (and on each lock of the bundle, and on the tenant's quota
 * when funded by quota): the capacity is promised there as a {@link Booking}. At {@code start} each copy becomes a
 * granted claim whose id is the copy's id, renewable until {@code end} and no longer.
 *
 * @param id            reservation id
 * @param tenant        the tenant it is for
 * @param bundle        one copy's bundle
 * @param count         how many copies
 * @param start         epoch millis the window opens
 * @param end           epoch millis the window closes (exclusive)
 * @param requestedNode the node asked for, or {@code null}
 * @param funding       {@code QUOTA} (the tenant's own quota is promised too) or {@code BUY} (paid at booking)
 * @param leaseSeconds  the lease of each copy's claim, renewable up to {@code end}
 * @param priority      the priority of each copy's claim
 * @param state         where it is in its life
 * @param copies        copy id (the id its claim will have) to the node it is booked on ({@code ""} for none)
 * @param price         what a bought reservation paid, 0 otherwise
 * @param refunded      what a cancellation refunded
 * @param createdAt     epoch millis
 * @param updatedAt     epoch millis of the last change of state
 * @param reason        why it ended or failed, or {@code null}
 * @param recalled      grants told to make way at {@code start} (claim ids)
 */
public record Reservation(String id, String tenant, Bundle bundle, int count, long start, long end,
                          String requestedNode, Funding funding, long leaseSeconds, int priority, State state,
                          SortedMap<String, String> copies, long price, long refunded, long createdAt, long updatedAt,
                          String reason, List<String> recalled) implements Serializable {

    /** The life of a reservation. */
    public enum State {
        /** Promised; its window has not opened. */
        BOOKED,
        /** Its window is open: its copies are claims. */
        ACTIVE,
        /** Its window closed. */
        ENDED,
        /** Cancelled by its tenant. */
        CANCELLED;

        /** Whether it has ended. */
        public boolean isFinal() {
            return this == ENDED || this == CANCELLED;
        }
    }

    /** Normalises the collections. */
    public Reservation {
        copies = Collections.unmodifiableSortedMap(new TreeMap<>(copies == null ? Collections.emptyMap() : copies));
        recalled = List.copyOf(recalled == null ? List.of() : recalled);
    }

    /** Returns the id of copy {@code i} (1-based): the id of the claim it becomes. */
    public static String copyId(String reservation, int i) {
        return reservation + "-" + i;
    }

    /** Returns the ids of the claims its copies are (or will be). */
    public List<String> claims() {
        return new ArrayList<>(copies.keySet());
    }

    /** Returns the nodes its copies are booked on. */
    public TreeSet<String> nodes() {
        TreeSet<String> out = new TreeSet<>(copies.values());
        out.remove("");
        return out;
    }

    /** Whether it promises the tenant's own quota (else it was bought). */
    public boolean onQuota() {
        return funding.mode() == Funding.Mode.QUOTA;
    }

    /** Returns its window's length in seconds. */
    public long windowSeconds() {
        return (end - start) / 1000;
    }

    Reservation to(State next, long now, String why) {
        return new Reservation(id, tenant, bundle, count, start, end, requestedNode, funding, leaseSeconds, priority,
                next, copies, price, refunded, createdAt, now, why, recalled);
    }

    Reservation withRefund(long amount) {
        return new Reservation(id, tenant, bundle, count, start, end, requestedNode, funding, leaseSeconds, priority,
                state, copies, price, amount, createdAt, updatedAt, reason, recalled);
    }

    Reservation withRecalled(List<String> more) {
        List<String> all = new ArrayList<>(recalled);
        more.stream().filter(c -> !all.contains(c)).forEach(all::add);
        return new Reservation(id, tenant, bundle, count, start, end, requestedNode, funding, leaseSeconds, priority,
                state, copies, price, refunded, createdAt, updatedAt, reason, all);
    }
}
