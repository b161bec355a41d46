package io.ichiba.pricing;

import java.io.Serializable;
import java.util.List;

/**
 * A depth is a snapshot of the best price levels of a book: bids highest first, offers lowest
 * first.
 *
 * @param bids bid levels, best (highest) first
 * @param offers offer levels, best (lowest) first
 */
public record Depth(List<PriceLevel> bids, List<PriceLevel> offers) implements Serializable {

  /** Copies the lists so the depth is immutable. */
  public Depth {
    bids = List.copyOf(bids);
    offers = List.copyOf(offers);
  }
}
