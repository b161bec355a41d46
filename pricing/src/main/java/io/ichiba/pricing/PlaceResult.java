package io.ichiba.pricing;

import java.io.Serializable;
import java.util.List;

/**
 * A place result is what placing one order did: the order's status afterwards, the trades it
 * made (in order), and the resting orders found expired and removed while matching.
 *
 * @param order status of the placed order after matching (resting, filled or expired)
 * @param trades trades made, in sequence order; empty if none
 * @param expired resting orders removed because their {@code goodUntil} had passed
 */
public record PlaceResult(OrderStatus order, List<Trade> trades, List<OrderStatus> expired)
    implements Serializable {

  /** Copies the lists so the result is immutable. */
  public PlaceResult {
    trades = List.copyOf(trades);
    expired = List.copyOf(expired);
  }
}
