package io.ichiba.pricing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SmoothedPriceTest {

  @Test
  void oneWindowMovesAboutSixtyThreePercent() {
    SmoothedPrice p = new SmoothedPrice(100, 60_000, 0);
    assertThat(p.update(1100, 60_000)).isEqualTo(732); // 100 + 1000 * (1 - e^-1) = 732.1
  }

  @Test
  void shortBurstBarelyMovesIt() {
    SmoothedPrice p = new SmoothedPrice(100, 600_000, 0);
    long afterBurst = p.update(10_000, 1_000);
    assertThat(afterBurst).isBetween(100L, 120L);
    long back = p.update(100, 2_000);
    assertThat(back).isBetween(100L, afterBurst);
  }

  @Test
  void convergesToConstantTarget() {
    SmoothedPrice p = new SmoothedPrice(0, 1_000, 0);
    long now = 0;
    for (int i = 0; i < 20; i++) {
      now += 1_000;
      p.update(500, now);
    }
    assertThat(p.posted()).isEqualTo(500);
  }

  @Test
  void noTimeNoMoveAndClockNeverGoesBack() {
    SmoothedPrice p = new SmoothedPrice(100, 1_000, 5_000);
    assertThat(p.update(900, 5_000)).isEqualTo(100);
    assertThat(p.update(900, 4_000)).isEqualTo(100);
    assertThat(p.lastUpdate()).isEqualTo(5_000);
  }

  @Test
  void deterministic() {
    SmoothedPrice a = new SmoothedPrice(7, 3_000, 0);
    SmoothedPrice b = new SmoothedPrice(7, 3_000, 0);
    long[] targets = {50, 3, 900, 900, 1, 42};
    for (int i = 0; i < targets.length; i++) {
      assertThat(a.update(targets[i], (i + 1) * 700L)).isEqualTo(b.update(targets[i], (i + 1) * 700L));
    }
  }

  @Test
  void rejectsBadInput() {
    assertThatThrownBy(() -> new SmoothedPrice(-1, 1, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new SmoothedPrice(1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new SmoothedPrice(1, 1, 0).update(-1, 1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
