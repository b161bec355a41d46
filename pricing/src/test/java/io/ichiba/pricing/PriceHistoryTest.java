package io.ichiba.pricing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class PriceHistoryTest {

  @Test
  void bucketsOhlcAndVolume() {
    PriceHistory h = new PriceHistory(100, 100);
    h.recordSpot(1_000, 10);
    h.recordSpot(1_500, 14);
    h.recordSpot(1_900, 8);
    h.recordTrade(1_200, 9, 100);
    h.recordTrade(1_800, 11, 50);
    h.recordSpot(3_100, 20);
    h.recordTrade(3_200, 12, 5);

    List<PriceHistory.Bucket> b = h.query(1_000, 4_000, 1_000);
    assertThat(b).hasSize(3);
    assertThat(b.get(0)).isEqualTo(new PriceHistory.Bucket(1_000, 2_000, 3, 10, 14, 8, 8, 2, 150, 11));
    // empty step carries the close forward
    assertThat(b.get(1)).isEqualTo(new PriceHistory.Bucket(2_000, 3_000, 0, 8, 8, 8, 8, 0, 0, 0));
    assertThat(b.get(2)).isEqualTo(new PriceHistory.Bucket(3_000, 4_000, 1, 20, 20, 20, 20, 1, 5, 12));
  }

  @Test
  void lastBucketMayBeShorterAndEarlierSamplesCarry() {
    PriceHistory h = new PriceHistory(10, 10);
    h.recordSpot(0, 5);
    List<PriceHistory.Bucket> b = h.query(100, 250, 100);
    assertThat(b).extracting(PriceHistory.Bucket::end).containsExactly(200L, 250L);
    assertThat(b.get(0).close()).isEqualTo(5);
    assertThat(b.get(0).spotSamples()).isZero();
  }

  @Test
  void boundedOldestDropped() {
    PriceHistory h = new PriceHistory(3, 2);
    for (int i = 1; i <= 5; i++) {
      h.recordSpot(i, i * 10);
      h.recordTrade(i, i, i);
    }
    assertThat(h.spotSamples()).extracting(PriceHistory.SpotSample::price).containsExactly(30L, 40L, 50L);
    assertThat(h.lastTrades(10)).extracting(PriceHistory.TradePrint::amount).containsExactly(4L, 5L);
    assertThat(h.lastTrades(1)).extracting(PriceHistory.TradePrint::amount).containsExactly(5L);
  }

  @Test
  void timeNeverGoesBack() {
    PriceHistory h = new PriceHistory(3, 3);
    h.recordSpot(100, 1);
    h.recordSpot(90, 2);
    assertThat(h.spotSamples()).extracting(PriceHistory.SpotSample::time).containsExactly(100L, 100L);
  }

  @Test
  void rejectsBadQueries() {
    PriceHistory h = new PriceHistory(3, 3);
    assertThatThrownBy(() -> h.query(10, 10, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> h.query(0, 10, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> h.query(0, 1_000_000, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> h.query(Long.MIN_VALUE, Long.MAX_VALUE, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new PriceHistory(0, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> h.recordTrade(1, 1, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
