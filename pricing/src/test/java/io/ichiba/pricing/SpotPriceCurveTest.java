package io.ichiba.pricing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SpotPriceCurveTest {
  private final SpotPriceCurve curve = new SpotPriceCurve(10, 1010, 0.6, 3);

  @Test
  void flatAtFloorUpToKnee() {
    assertThat(curve.priceAt(0, 100)).isEqualTo(10);
    assertThat(curve.priceAt(30, 100)).isEqualTo(10);
    assertThat(curve.priceAt(60, 100)).isEqualTo(10);
  }

  @Test
  void risesCubicallyAboveKneeRoundingUp() {
    // u = 0.8: x = 0.5, x^3 = 0.125, 1000 * 0.125 = 125
    assertThat(curve.priceAt(80, 100)).isEqualTo(135);
    // u = 0.61: x = 0.025, x^3 = 1.5625e-5, 1000 * that = 0.0156 -> rounds up to 1
    assertThat(curve.priceAt(61, 100)).isEqualTo(11);
    assertThat(curve.priceAt(100, 100)).isEqualTo(1010);
  }

  @Test
  void overCommittedCountsAsFull() {
    assertThat(curve.priceAt(150, 100)).isEqualTo(1010);
  }

  @Test
  void linearExponentAndZeroKnee() {
    SpotPriceCurve linear = new SpotPriceCurve(0, 100, 0.0, 1);
    assertThat(linear.priceAt(0, 4)).isZero();
    assertThat(linear.priceAt(1, 4)).isEqualTo(25);
    assertThat(linear.priceAt(4, 4)).isEqualTo(100);
  }

  @Test
  void hugeSpreadDoesNotOverflow() {
    SpotPriceCurve big = new SpotPriceCurve(0, Long.MAX_VALUE, 0.5, 2);
    assertThat(big.priceAt(1, 1)).isEqualTo(Long.MAX_VALUE);
    assertThat(big.priceAt(Long.MAX_VALUE - 1, Long.MAX_VALUE)).isLessThanOrEqualTo(Long.MAX_VALUE);
  }

  @Test
  void rejectsBadParameters() {
    assertThatThrownBy(() -> new SpotPriceCurve(-1, 10, 0.5, 2))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new SpotPriceCurve(10, 9, 0.5, 2))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new SpotPriceCurve(1, 10, 1.0, 2))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new SpotPriceCurve(1, 10, -0.1, 2))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new SpotPriceCurve(1, 10, Double.NaN, 2))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new SpotPriceCurve(1, 10, 0.5, 0.5))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> curve.priceAt(-1, 10)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> curve.priceAt(1, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
