package io.ichiba.pricing;

/** A side is which way an order faces: a bid borrows capacity, an offer lends it. */
public enum Side {
  /** Borrow {@code amount} MiB for {@code durationSeconds} at no more than a maximum price. */
  BID,
  /** Lend {@code amount} MiB for up to {@code durationSeconds} at no less than a minimum price. */
  OFFER;

  /** Returns the side an order of this side matches against. */
  public Side opposite() {
    return this == BID ? OFFER : BID;
  }
}
