package io.ichiba.pricing;

import java.io.Serializable;

/**
 * A new order is the command to place a bid or an offer in one kind's {@link OrderBook},
 * validated on construction.
 *
 * <p>For a bid, {@code limitPrice} is the maximum price and {@code durationSeconds} the term
 * wanted; for an offer, {@code limitPrice} is the minimum price and {@code durationSeconds} the
 * longest term the lender accepts. Prices are minor credit units per MiB-hour, amounts MiB.
 * For a bid, {@code limitPrice * amount * durationSeconds} must fit in a {@code long}, so that
 * {@link Trade#cost()} of any trade it makes cannot overflow.
 *
 * @param id caller-chosen id, unique among the book's resting orders
 * @param owner tenant id of the owner
 * @param side bid or offer
 * @param amount MiB, {@code > 0}
 * @param durationSeconds term, {@code > 0}
 * @param limitPrice maximum (bid) or minimum (offer) price, {@code > 0}
 * @param goodUntil epoch millis at which the order expires, or {@link #NO_EXPIRY}
 */
public record NewOrder(
    String id,
    String owner,
    Side side,
    long amount,
    long durationSeconds,
    long limitPrice,
    long goodUntil) implements Serializable {

  /** The {@code goodUntil} of an order that never expires. */
  public static final long NO_EXPIRY = Long.MAX_VALUE;

  /**
   * Validates the command.
   *
   * @throws IllegalArgumentException if a field is missing, not positive, or the bid's notional
   *     overflows
   */
  public NewOrder {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("id must not be blank");
    }
    if (owner == null || owner.isBlank()) {
      throw new IllegalArgumentException("owner must not be blank");
    }
    if (side == null) {
      throw new IllegalArgumentException("side must not be null");
    }
    if (amount <= 0) {
      throw new IllegalArgumentException("amount must be > 0: " + amount);
    }
    if (durationSeconds <= 0) {
      throw new IllegalArgumentException("durationSeconds must be > 0: " + durationSeconds);
    }
    if (limitPrice <= 0) {
      throw new IllegalArgumentException("price must be > 0: " + limitPrice);
    }
    if (side == Side.BID) {
      try {
        Math.multiplyExact(Math.multiplyExact(limitPrice, amount), durationSeconds);
      } catch (ArithmeticException e) {
        throw new IllegalArgumentException("maxPrice * amount * durationSeconds overflows", e);
      }
    }
  }

  /** Returns a bid: borrow {@code amount} for {@code durationSeconds} at {@code <= maxPrice}. */
  public static NewOrder bid(String id, String owner, long amount, long durationSeconds,
      long maxPrice, long goodUntil) {
    return new NewOrder(id, owner, Side.BID, amount, durationSeconds, maxPrice, goodUntil);
  }

  /** Returns an offer: lend {@code amount} for up to {@code durationSeconds} at {@code >= minPrice}. */
  public static NewOrder offer(String id, String owner, long amount, long durationSeconds,
      long minPrice, long goodUntil) {
    return new NewOrder(id, owner, Side.OFFER, amount, durationSeconds, minPrice, goodUntil);
  }
}
