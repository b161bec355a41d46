package io.ichiba.ledger.market;

import io.ichiba.pricing.NewOrder;
import io.ichiba.pricing.Side;

import java.io.Serializable;

/**
 * An order to place in the market of {@code kind}: an offer ({@link Side#OFFER}: lend {@code amount} for up to
 * {@code durationSeconds} at {@code >= price}) or a bid ({@link Side#BID}: borrow for {@code durationSeconds} at
 * {@code <= price}).
 *
 * @param id              the order's id, chosen by the caller (placing it again answers the order as it is)
 * @param tenant          who places it
 * @param kind            what it trades
 * @param side            offer or bid
 * @param amount          how much
 * @param durationSeconds for how long the quota is lent
 * @param price           the price per unit-hour: the least an offer takes, the most a bid pays
 * @param goodUntil       epoch millis it expires at, or {@link NewOrder#NO_EXPIRY}
 * @param key             the idempotency key it was placed with, or {@code null}
 * @param forClaim        the claim whose bid it is (a claim that buys), or {@code null}
 */
public record OrderRequest(String id, String tenant, String kind, Side side, long amount, long durationSeconds,
                           long price, long goodUntil, String key, String forClaim) implements Serializable {

    /** An order good until cancelled, placed without a key, for no claim. */
    public static OrderRequest of(String id, String tenant, String kind, Side side, long amount, long durationSeconds,
                                  long price) {
        return new OrderRequest(id, tenant, kind, side, amount, durationSeconds, price, NewOrder.NO_EXPIRY, null, null);
    }

    /** The same order, expiring at {@code at} (epoch millis). */
    public OrderRequest until(long at) {
        return new OrderRequest(id, tenant, kind, side, amount, durationSeconds, price, at, key, forClaim);
    }

    /** The same order, placed with the idempotency key {@code k}. */
    public OrderRequest withKey(String k) {
        return new OrderRequest(id, tenant, kind, side, amount, durationSeconds, price, goodUntil, k, forClaim);
    }

    /** The same order, as the bid of claim {@code claim}. */
    public OrderRequest forClaim(String claim) {
        return new OrderRequest(id, tenant, kind, side, amount, durationSeconds, price, goodUntil, key, claim);
    }
}
