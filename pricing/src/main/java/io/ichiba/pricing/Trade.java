package io.ichiba.pricing;

import java.io.Serializable;

/**
 * A trade is one fill between a bid (the buyer, who borrows) and an offer (the seller, who
 * lends): {@code amount} MiB for {@code durationSeconds} at {@code price} per MiB-hour, the
 * price of whichever order was resting.
 *
 * @param buyOrderId the bid's id
 * @param sellOrderId the offer's id
 * @param buyer the bid's owner
 * @param seller the offer's owner
 * @param amount MiB, {@code > 0}
 * @param price minor credit units per MiB-hour (the resting order's limit price)
 * @param durationSeconds the term: the bid's duration (the offer's is at least as long)
 * @param seq trade sequence number in the book, starting at 1
 */
public record Trade(
    String buyOrderId,
    String sellOrderId,
    String buyer,
    String seller,
    long amount,
    long price,
    long durationSeconds,
    long seq) implements Serializable {

  private static final long SECONDS_PER_HOUR = 3600;

  /**
   * Returns what the buyer pays for the whole term in minor credit units:
   * {@code ceil(price * amount * durationSeconds / 3600)}.
   *
   * @throws IllegalArgumentException if the product overflows (never for trades made by an
   *     {@link OrderBook}, whose bids are checked on entry)
   */
  public long cost() {
    try {
      long product = Math.multiplyExact(Math.multiplyExact(price, amount), durationSeconds);
      return -Math.floorDiv(-product, SECONDS_PER_HOUR);
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("trade cost overflows", e);
    }
  }
}
