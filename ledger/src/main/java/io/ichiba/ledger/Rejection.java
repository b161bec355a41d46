package io.ichiba.ledger;

import java.io.Serializable;

/**
 * A business rejection: a stable code the HTTP layer maps to a problem response, and a detail for people.
 *
 * @param code   what went wrong
 * @param detail a sentence naming the pool, claim or field concerned
 */
public record Rejection(Code code, String detail) implements Serializable {

    /** The stable rejection codes. */
    public enum Code {
        /** A pool has less free capacity than asked (the claim waits). */
        INSUFFICIENT_CAPACITY,
        /** A pool holds more than its capacity after a report lowered it (the claim waits). */
        OVERCOMMITTED,
        /** Every permit of a lock is held (the claim waits). */
        LOCK_HELD,
        /** The tenant's remaining quota is too small (the claim waits). */
        QUOTA,
        /** The claim can never fit: larger than any node, or than the tenant's whole quota. */
        NEVER_FITS,
        /** The request names a kind no one defined. */
        UNKNOWN_KIND,
        /** The request names a lock no one created. */
        NO_SUCH_LOCK,
        /** The request names a node no agent reported. */
        NO_SUCH_NODE,
        /** The request names something that does not exist (or that the caller may not see). */
        NOT_FOUND,
        /** The thing already exists. */
        ALREADY_EXISTS,
        /** The claim is not in a state that allows the request. */
        WRONG_STATE,
        /** The claim's lease had already ended. */
        LEASE_EXPIRED,
        /** A claim that has waited past the aging bound needs these pools first: no backfill on them. */
        BACKFILL_BLOCKED,
        /** An offer lends more than its owner may lend: quota it uses, lends or offers already, or past its limit. */
        NOT_LENDABLE,
        /** The price to pay is above the most the claim pays (the claim waits). */
        PRICE,
        /** An account would go below its credit limit (nothing moved). */
        INSUFFICIENT_CREDIT,
        /** Another request is doing the same thing right now (ask again in a moment). */
        IN_PROGRESS,
        /**
         * The capacity is promised to a reservation before the claim's lease would end (the claim waits, or asks
         * for a shorter lease).
         */
        RESERVED,
        /** A reservation's window does not fit the capacity left over it (the answer names the earliest that does). */
        WINDOW_FULL,
        /** The caller has as many of something as it may have (e.g. price alerts): delete one first. */
        LIMIT_REACHED,
        /** The request is invalid. */
        INVALID
    }

    /** Creates a rejection. */
    public static Rejection of(Code code, String detail) {
        return new Rejection(code, detail);
    }
}
