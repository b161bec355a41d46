package io.ichiba.pricing;

import java.io.Serializable;

/**
 * A smoothed price is the posted spot price of one kind, moving towards a target (the curve's
 * value) by exponential smoothing over a time window, so that one burst does not whipsaw it.
 *
 * <p>An update at time {@code t}, {@code dt = t - lastUpdate} after the previous one, moves the
 * internal value by the fraction {@code alpha = 1 - exp(-dt / window)} of the distance to the
 * target:
 *
 * <pre>
 *   value' = value + (target - value) * (1 - exp(-dt / window))
 *   posted = round(value')
 * </pre>
 *
 * A single sample lasting {@code dt} much shorter than the window moves the price only by about
 * {@code dt / window} of the distance; after one window a constant target is 63 % reached, after
 * five windows 99 %. The internal value is kept as a {@code double} so that many small steps are
 * not lost to rounding; the posted price is always between the previous posted price and the
 * target (rounding is monotone). Updates are deterministic: the same sequence of {@code (target,
 * now)} gives the same posted prices. A {@code now} earlier than the last update counts as
 * {@code dt = 0} (no move) and does not move the clock back.
 *
 * <p>Not thread-safe: one writer per kind.
 */
public final class SmoothedPrice implements Serializable {
  private static final long serialVersionUID = 1L;

  private final long windowMillis;
  private double value;
  private long posted;
  private long lastUpdate;

  /**
   * Creates a smoothed price starting at {@code initialPrice} at time {@code startMillis}.
   *
   * @param initialPrice posted price before the first update, {@code >= 0}
   * @param windowMillis smoothing time constant, {@code > 0}
   * @param startMillis time of the initial price (epoch millis)
   * @throws IllegalArgumentException if a parameter is out of range
   */
  public SmoothedPrice(long initialPrice, long windowMillis, long startMillis) {
    if (initialPrice < 0) {
      throw new IllegalArgumentException("initialPrice must be >= 0: " + initialPrice);
    }
    if (windowMillis <= 0) {
      throw new IllegalArgumentException("windowMillis must be > 0: " + windowMillis);
    }
    this.windowMillis = windowMillis;
    this.value = initialPrice;
    this.posted = initialPrice;
    this.lastUpdate = startMillis;
  }

  private SmoothedPrice(SmoothedPrice of) {
    this.windowMillis = of.windowMillis;
    this.value = of.value;
    this.posted = of.posted;
    this.lastUpdate = of.lastUpdate;
  }

  /** Returns a copy in the same state, which moves on its own from now on. */
  public SmoothedPrice copy() {
    return new SmoothedPrice(this);
  }

  /**
   * Moves the posted price towards {@code target} for the time elapsed since the last update and
   * returns the new posted price.
   *
   * @param target the curve's current value, {@code >= 0}
   * @param now the time of this update (epoch millis)
   * @throws IllegalArgumentException if {@code target < 0}
   */
  public long update(long target, long now) {
    if (target < 0) {
      throw new IllegalArgumentException("target must be >= 0: " + target);
    }
    long dt = now > lastUpdate ? now - lastUpdate : 0;
    if (dt > 0) {
      double alpha = -Math.expm1(-(double) dt / (double) windowMillis);
      double next = value + ((double) target - value) * alpha;
      // keep the value between the old value and the target despite floating-point error
      double lo = Math.min(value, (double) target);
      double hi = Math.max(value, (double) target);
      value = Math.min(hi, Math.max(lo, next));
      long rounded = Math.round(value);
      long plo = Math.min(posted, target);
      long phi = Math.max(posted, target);
      posted = Math.min(phi, Math.max(plo, rounded));
      lastUpdate = now;
    }
    return posted;
  }

  /** Returns the current posted price. */
  public long posted() {
    return posted;
  }

  /** Returns the time of the last update that moved the clock (epoch millis). */
  public long lastUpdate() {
    return lastUpdate;
  }

  /** Returns the smoothing window (milliseconds). */
  public long windowMillis() {
    return windowMillis;
  }
}
