package io.ichiba.ledger.market;

import io.ichiba.pricing.Side;

import java.io.Serializable;
import java.math.BigInteger;

/**
 * An offer or a bid in a kind's book, as the market keeps it: what was asked, what is filled, and — for bids —
 * what it put up in escrow and spent.
 *
 * <pre>
 *   NEW --(funded and matched, in the command that places it)--> OPEN / PARTIALLY_FILLED / FILLED
 *   OPEN, PARTIALLY_FILLED --> FILLED | CANCELLED | EXPIRED
 * </pre>
 * Once final, what the order set aside and did not use is given back (the rest of a bid's hold, the rest of an
 * offer's earmark), and {@code released} records it.
 *
 * @param id              order id
 * @param owner           tenant
 * @param kind            the kind traded
 * @param side            bid (borrow) or offer (lend)
 * @param amount          MiB (or units) asked
 * @param durationSeconds the term wanted (bid) or the longest term accepted (offer)
 * @param limitPrice      maximum (bid) or minimum (offer) price, minor units per unit-hour
 * @param goodUntil       epoch millis it expires, or {@code Long.MAX_VALUE}
 * @param state           where it is
 * @param filled          amount filled
 * @param hold            a bid's most it can cost, put up in escrow when it enters ({@code 0} for offers)
 * @param spent           what a bid's fills cost
 * @param createdAt       epoch millis
 * @param endedAt         epoch millis it became final, 0 before
 * @param released        whether what it set aside and did not use was given back
 * @param idempotencyKey  the key of the request that placed it, or {@code null}
 * @param forClaim        the claim a {@code BORROW} bid was placed for (cancelled when the claim ends), or null
 */
public record MarketOrder(String id, String owner, String kind, Side side, long amount, long durationSeconds,
                          long limitPrice, long goodUntil, State state, long filled, long hold, long spent,
                          long createdAt, long endedAt, boolean released,
                          String idempotencyKey, String forClaim) implements Serializable {

    /** Where an order is. */
    public enum State {
        /** Made, not yet in its book: never stored (an order is funded, matched and rests in one command). */
        NEW,
        /** Resting, nothing filled. */
        OPEN,
        /** Resting, partly filled. */
        PARTIALLY_FILLED,
        /** Filled completely. */
        FILLED,
        /** Cancelled by its owner. */
        CANCELLED,
        /** Reached its goodUntil. */
        EXPIRED;

        /** Whether the order has left the book for good. */
        public boolean isFinal() {
            return this == FILLED || this == CANCELLED || this == EXPIRED;
        }

        /** Whether the order rests in the book. */
        public boolean isResting() {
            return this == OPEN || this == PARTIALLY_FILLED;
        }
    }

    /** Returns a new order, with a bid's hold computed from its limit. */
    public static MarketOrder create(String id, String owner, String kind, Side side, long amount,
                                     long durationSeconds, long limitPrice, long goodUntil, long now, String key,
                                     String forClaim) {
        long hold = side == Side.BID ? cost(limitPrice, amount, durationSeconds) : 0;
        return new MarketOrder(id, owner, kind, side, amount, durationSeconds, limitPrice, goodUntil, State.NEW, 0,
                hold, 0, now, 0, false, key, forClaim);
    }

    /**
     * What {@code amount} for {@code seconds} costs at {@code price} per unit-hour, rounded up to a whole minor unit.
     *
     * @throws ArithmeticException if it does not fit in a {@code long}
     */
    public static long cost(long price, long amount, long seconds) {
        BigInteger p = BigInteger.valueOf(price).multiply(BigInteger.valueOf(amount)).multiply(BigInteger.valueOf(seconds));
        BigInteger[] qr = p.divideAndRemainder(BigInteger.valueOf(3600));
        return (qr[1].signum() > 0 ? qr[0].add(BigInteger.ONE) : qr[0]).longValueExact();
    }

    /** The unfilled amount. */
    public long remaining() {
        return amount - filled;
    }

    /** What a final bid gives back from its hold: the hold less what its fills cost. */
    public long unspent() {
        return hold - spent;
    }

    MarketOrder withFill(long qty, long cost, State next, long now) {
        return new MarketOrder(id, owner, kind, side, amount, durationSeconds, limitPrice, goodUntil, next,
                Math.addExact(filled, qty), hold, Math.addExact(spent, cost), createdAt,
                next.isFinal() ? now : endedAt, released, idempotencyKey, forClaim);
    }

    MarketOrder moved(State next, long now) {
        return new MarketOrder(id, owner, kind, side, amount, durationSeconds, limitPrice, goodUntil, next, filled,
                hold, spent, createdAt, next.isFinal() ? now : endedAt, released, idempotencyKey, forClaim);
    }

    MarketOrder withReleased() {
        return new MarketOrder(id, owner, kind, side, amount, durationSeconds, limitPrice, goodUntil, state, filled,
                hold, spent, createdAt, endedAt, true, idempotencyKey, forClaim);
    }
}
