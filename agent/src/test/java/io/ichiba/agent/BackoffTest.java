package io.ichiba.agent;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackoffTest {
    private static final Duration BASE = Duration.ofMillis(100);
    private static final Duration MAX = Duration.ofMillis(1000);

    @Test
    void theCeilingDoublesFromTheBaseUpToTheMax() {
        Backoff b = new Backoff(BASE, MAX, () -> 0.5);

        assertThat(List.of(b.ceiling(1), b.ceiling(2), b.ceiling(3), b.ceiling(4), b.ceiling(5), b.ceiling(6)))
                .containsExactly(ms(100), ms(200), ms(400), ms(800), ms(1000), ms(1000));
        assertThat(b.ceiling(63)).isEqualTo(MAX);
        assertThat(b.ceiling(Integer.MAX_VALUE)).isEqualTo(MAX);
        assertThat(Backoff.DEFAULT.ceiling(1)).isEqualTo(Duration.ofSeconds(1));
        assertThat(Backoff.DEFAULT.ceiling(4)).isEqualTo(Duration.ofSeconds(8));
        assertThat(Backoff.DEFAULT.ceiling(100)).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void theDelayIsTheCeilingScaledByTheRandomValue() {
        ArrayDeque<Double> values = new ArrayDeque<>(List.of(0.0, 0.25, 0.5, 0.75, 1.5, -1.0, Double.NaN));
        Backoff b = new Backoff(BASE, MAX, values::removeFirst);

        assertThat(b.delay(1)).isEqualTo(Duration.ZERO);
        assertThat(b.delay(2)).isEqualTo(ms(50));
        assertThat(b.delay(3)).isEqualTo(ms(200));
        assertThat(b.delay(9)).isEqualTo(ms(750));
        assertThat(b.delay(9)).isLessThan(MAX).isGreaterThan(ms(999));
        assertThat(b.delay(1)).isEqualTo(Duration.ZERO);
        assertThat(b.delay(1)).isEqualTo(Duration.ZERO);
    }

    @Test
    void realJitterStaysWithinTheCeilingAndSpreads() {
        Backoff b = Backoff.DEFAULT;
        long distinct = java.util.stream.IntStream.range(0, 1000).mapToObj(i -> b.delay(1 + i % 8))
                .peek(d -> assertThat(d).isGreaterThanOrEqualTo(Duration.ZERO).isLessThan(Duration.ofSeconds(10)))
                .distinct().count();

        assertThat(distinct).isGreaterThan(900);
        for (int failures = 1; failures <= 8; failures++) {
            for (int i = 0; i < 200; i++) {
                assertThat(b.delay(failures)).isLessThan(b.ceiling(failures));
            }
        }
    }

    @Test
    void badSettingsAreRefused() {
        assertThatThrownBy(() -> new Backoff(Duration.ZERO, MAX, () -> 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Backoff(MAX, BASE, () -> 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Backoff(BASE, MAX, () -> 0).ceiling(0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static Duration ms(long millis) {
        return Duration.ofMillis(millis);
    }
}
