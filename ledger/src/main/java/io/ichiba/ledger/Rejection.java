package io.ichiba.ledger;

import java.io.Serializable;

/**
 * A business rejection: a stable code the HTTP layer maps to a problem response, and a detail for people.
 *
 * @param code   what went wrong
 * @param detail a sentence naming the pool, claim or field concerned
 * @param limit  with {@code TENANT_LIMIT}: the name of the limit ({@link TenantLimits#NAMES}); else {@code null}
 * @param max    with {@code TENANT_LIMIT}: the limit's value; else 0
 */
public record Rejection(Code code, String detail, String limit, long max) implements Serializable {

    /** A rejection that names no limit. */
    public Rejection(Code code, String detail) {
        this(code, detail, null, 0);
    }

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
        /**
         * The capacity is promised to a reservation before the claim's lease would end (the claim waits, or asks
         * for a shorter lease).
         */
        RESERVED,
        /** A reservation's window does not fit the capacity left over it (the answer names the earliest that does). */
        WINDOW_FULL,
        /** The caller has as many of something as it may have (e.g. price alerts): delete one first. */
        LIMIT_REACHED,
        /**
         * The tenant has as many claims, jobs, orders or reservations as its limit allows ({@link TenantLimits}): the
         * rejection names the limit; a later request may pass once some end.
         */
        TENANT_LIMIT,
        /** The request is invalid. */
        INVALID
    }

    /** Creates a rejection. */
    public static Rejection of(Code code, String detail) {
        return new Rejection(code, detail);
    }

    /** A {@code TENANT_LIMIT} rejection: {@code tenant} has {@code count} of what {@code limit} counts. */
    public static Rejection overLimit(String tenant, String limit, long max, long count, String what, String then) {
        return new Rejection(Code.TENANT_LIMIT, "tenant " + tenant + " has " + count + " " + what + "; its limit "
                + limit + " is " + max + ": " + then + ", or ask the operator to raise the limit", limit, max);
    }
}
