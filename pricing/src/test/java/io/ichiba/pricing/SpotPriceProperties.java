package io.ichiba.pricing;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import java.util.List;

class SpotPriceProperties {

  @Provide
  Arbitrary<SpotPriceCurve> curves() {
    Arbitrary<Long> floors = Arbitraries.longs().between(0, 1_000_000);
    Arbitrary<Long> spreads = Arbitraries.oneOf(
        Arbitraries.longs().between(0, 1_000_000),
        Arbitraries.longs().between(0, Long.MAX_VALUE - 1_000_000));
    Arbitrary<Double> knees = Arbitraries.doubles().between(0.0, 0.999).ofScale(4);
    Arbitrary<Double> exps = Arbitraries.doubles().between(1.0, 8.0).ofScale(3);
    return Combinators.combine(floors, spreads, knees, exps)
        .as((f, s, k, e) -> new SpotPriceCurve(f, f + s, k, e));
  }

  @Property(tries = 200)
  void monotoneInUtilisationAndBounded(@ForAll("curves") SpotPriceCurve curve,
      @ForAll @LongRange(min = 1, max = Long.MAX_VALUE) long capacity,
      @ForAll @Size(min = 2, max = 20) List<@LongRange(min = 0, max = Long.MAX_VALUE) Long> raw) {
    List<Long> used = raw.stream().map(u -> u % (capacity + capacity / 4 + 1)).sorted().toList();
    long previous = Long.MIN_VALUE;
    for (long u : used) {
      long p = curve.priceAt(u, capacity);
      assertThat(p).isBetween(curve.floor(), curve.ceiling()).isGreaterThanOrEqualTo(previous);
      if ((double) u / (double) capacity <= curve.knee()) {
        assertThat(p).isEqualTo(curve.floor());
      }
      previous = p;
    }
    assertThat(curve.priceAt(capacity, capacity)).isEqualTo(curve.ceiling());
  }

  @Property(tries = 200)
  void monotoneOnSmallCapacitiesExhaustively(@ForAll("curves") SpotPriceCurve curve,
      @ForAll @IntRange(min = 1, max = 500) int capacity) {
    long previous = curve.floor();
    for (long u = 0; u <= capacity; u++) {
      long p = curve.priceAt(u, capacity);
      assertThat(p).isBetween(previous, curve.ceiling());
      previous = p;
    }
  }

  @Property(tries = 200)
  void smoothingStaysBetweenPostedAndTarget(
      @ForAll @LongRange(min = 0, max = 1_000_000_000L) long initial,
      @ForAll @LongRange(min = 1, max = 10_000_000) long window,
      @ForAll @Size(max = 30) List<@LongRange(min = 0, max = 1_000_000_000L) Long> targets,
      @ForAll @Size(max = 30) List<@LongRange(min = -1_000, max = 5_000_000) Long> steps) {
    SmoothedPrice p = new SmoothedPrice(initial, window, 0);
    SmoothedPrice twin = new SmoothedPrice(initial, window, 0);
    long now = 0;
    for (int i = 0; i < Math.min(targets.size(), steps.size()); i++) {
      long before = p.posted();
      long target = targets.get(i);
      now += steps.get(i);
      long after = p.update(target, now);
      assertThat(after).isBetween(Math.min(before, target), Math.max(before, target));
      assertThat(twin.update(target, now)).isEqualTo(after);
    }
  }
}
