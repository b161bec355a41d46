package io.ichiba.pricing;

import java.io.Serializable;

/**
 * A spot price curve is the price per MiB-hour (in minor credit units) of one resource kind as a
 * function of that kind's utilisation {@code u = used / capacity}.
 *
 * <p>The exact formula, with {@code u} clamped to {@code [0, 1]}:
 *
 * <pre>
 *   price(u) = floor                                                  if u &lt;= knee
 *   price(u) = floor + ceil( (ceiling - floor) * ((u - knee) / (1 - knee))^k )   otherwise
 *
 *   price
 *   ceiling |                                   *
 *           |                                  *
 *           |                                *
 *           |                            *
 *   floor   |************************ *
 *           +------------------------+-----------+-- u
 *           0                       knee         1
 * </pre>
 *
 * The rising part is rounded up to a whole minor unit (floating-point error below 1e-9 of a unit
 * is discarded first, so {@code 125.00000000000003} is 125) and capped at {@code ceiling}. It is
 * monotone non-decreasing in {@code u} (IEEE division, subtraction and {@link Math#pow} on a
 * non-negative base are semi-monotone), equals {@code floor} at {@code u <= knee} and equals
 * {@code ceiling} at {@code u = 1}. Instances are immutable and thread-safe.
 */
public final class SpotPriceCurve implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Floating-point error below this fraction of a minor unit is not rounded up. */
  private static final double NOISE = 1e-9;

  private final long floor;
  private final long ceiling;
  private final double knee;
  private final double exponent;

  /**
   * Creates a curve.
   *
   * @param floor price at or below the knee, {@code >= 0}
   * @param ceiling price at full utilisation, {@code >= floor}
   * @param knee utilisation where the price starts rising, {@code 0 <= knee < 1}
   * @param exponent steepness {@code k >= 1} (1 is linear, 3 is a typical steep curve)
   * @throws IllegalArgumentException if a parameter is out of range or not finite
   */
  public SpotPriceCurve(long floor, long ceiling, double knee, double exponent) {
    if (floor < 0) {
      throw new IllegalArgumentException("floor must be >= 0: " + floor);
    }
    if (ceiling < floor) {
      throw new IllegalArgumentException("ceiling must be >= floor: " + ceiling + " < " + floor);
    }
    if (!(knee >= 0.0 && knee < 1.0)) {
      throw new IllegalArgumentException("knee must be in [0, 1): " + knee);
    }
    if (!(exponent >= 1.0) || Double.isInfinite(exponent)) {
      throw new IllegalArgumentException("exponent must be finite and >= 1: " + exponent);
    }
    this.floor = floor;
    this.ceiling = ceiling;
    this.knee = knee;
    this.exponent = exponent;
  }

  /**
   * Returns the price per MiB-hour at utilisation {@code used / capacity}.
   *
   * <p>{@code used} above {@code capacity} counts as full utilisation (an over-committed pool).
   *
   * @param used amount in use, {@code >= 0}
   * @param capacity total capacity, {@code > 0}
   * @throws IllegalArgumentException if {@code used < 0} or {@code capacity <= 0}
   */
  public long priceAt(long used, long capacity) {
    if (used < 0) {
      throw new IllegalArgumentException("used must be >= 0: " + used);
    }
    if (capacity <= 0) {
      throw new IllegalArgumentException("capacity must be > 0: " + capacity);
    }
    double u = used >= capacity ? 1.0 : (double) used / (double) capacity;
    return priceAtUtilisation(u);
  }

  /**
   * Returns the price per MiB-hour at utilisation {@code u}, clamped to {@code [0, 1]}.
   *
   * @throws IllegalArgumentException if {@code u} is NaN
   */
  public long priceAtUtilisation(double u) {
    if (Double.isNaN(u)) {
      throw new IllegalArgumentException("utilisation is NaN");
    }
    double clamped = Math.min(1.0, Math.max(0.0, u));
    if (clamped <= knee) {
      return floor;
    }
    long spread = ceiling - floor; // cannot overflow: 0 <= floor <= ceiling
    double x = Math.min(1.0, (clamped - knee) / (1.0 - knee));
    // NOISE keeps float error (0.8 - 0.6 = 0.20000000000000007) from rounding up a whole unit
    double rise = Math.ceil((double) spread * Math.pow(x, exponent) - NOISE);
    long riseUnits = rise >= (double) spread ? spread : (long) rise;
    return floor + riseUnits;
  }

  /** Returns the price at or below the knee. */
  public long floor() {
    return floor;
  }

  /** Returns the price at full utilisation. */
  public long ceiling() {
    return ceiling;
  }

  /** Returns the utilisation at which the price starts rising. */
  public double knee() {
    return knee;
  }

  /** Returns the steepness exponent {@code k}. */
  public double exponent() {
    return exponent;
  }

  @Override
  public String toString() {
    return "SpotPriceCurve[floor=" + floor + ", ceiling=" + ceiling + ", knee=" + knee
        + ", k=" + exponent + "]";
  }
}
