package io.ichiba.pricing;

/** An order state is where an order is in its life in the book. */
public enum OrderState {
  /** Resting, nothing filled yet. */
  OPEN,
  /** Resting, some but not all of the amount filled. */
  PARTIALLY_FILLED,
  /** Entire amount filled; no longer in the book. */
  FILLED,
  /** Cancelled by its owner; the unfilled part is no longer in the book. */
  CANCELLED,
  /** Reached its {@code goodUntil}; the unfilled part is no longer in the book. */
  EXPIRED;

  /** Returns whether an order in this state is still in the book. */
  public boolean isResting() {
    return this == OPEN || this == PARTIALLY_FILLED;
  }
}
