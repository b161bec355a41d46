package io.ichiba.pricing;

import java.io.Serializable;

/**
 * An order status is an immutable snapshot of one order: what was asked, how much is filled, and
 * its {@link OrderState}.
 *
 * @param id the caller's order id
 * @param owner tenant id
 * @param side bid or offer
 * @param amount original amount (MiB)
 * @param filled amount filled so far (MiB), {@code 0 <= filled <= amount}
 * @param limitPrice maximum (bid) or minimum (offer) price per MiB-hour
 * @param durationSeconds term wanted (bid) or longest term accepted (offer)
 * @param goodUntil expiry (epoch millis) or {@link NewOrder#NO_EXPIRY}
 * @param seq arrival sequence number assigned by the book (earlier is smaller)
 * @param state the order's state
 */
public record OrderStatus(
    String id,
    String owner,
    Side side,
    long amount,
    long filled,
    long limitPrice,
    long durationSeconds,
    long goodUntil,
    long seq,
    OrderState state) implements Serializable {

  /** Returns the unfilled amount, {@code amount - filled}. */
  public long remaining() {
    return amount - filled;
  }
}
