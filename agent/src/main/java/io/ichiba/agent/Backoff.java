package io.ichiba.agent;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with full jitter: after the n-th consecutive failure, wait a random time between 0 and
 * {@code min(max, base × 2^(n-1))}.
 *
 * <p>Notes: "full jitter" spreads the retries of many agents that lost the same broker at the same moment, so
 * they do not come back in step; its expected wait is half the ceiling. The random source is injected so that
 * tests can pin it.
 *
 * @param base   the ceiling after the first failure
 * @param max    the largest ceiling, reached after a few failures and kept
 * @param random values in {@code [0, 1)}; values outside are clamped
 */
public record Backoff(Duration base, Duration max, DoubleSupplier random) {
    /**
     * The agent's default: ceilings 1 s, 2 s, 4 s, 8 s, then 10 s. The cap stays below the broker's node grace
     * period (15 s by default), so that an agent whose broker comes back reports again before its node is lost.
     */
    public static final Backoff DEFAULT = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(10),
            () -> ThreadLocalRandom.current().nextDouble());

    /** Checks the settings. */
    public Backoff {
        if (base == null || max == null || random == null) {
            throw new IllegalArgumentException("backoff needs a base, a max and a random source");
        }
        if (base.isNegative() || base.isZero() || max.compareTo(base) < 0) {
            throw new IllegalArgumentException("backoff needs 0 < base <= max, was base=" + base + " max=" + max);
        }
    }

    /** The same backoff with another random source. */
    public Backoff withRandom(DoubleSupplier source) {
        return new Backoff(base, max, source);
    }

    /**
     * The ceiling after {@code failures} consecutive failures: {@code min(max, base × 2^(failures-1))}.
     *
     * @param failures 1 or more
     */
    public Duration ceiling(int failures) {
        if (failures < 1) {
            throw new IllegalArgumentException("failures must be 1 or more, was " + failures);
        }
        long baseNanos = base.toNanos();
        long maxNanos = max.toNanos();
        int doublings = failures - 1;
        if (doublings >= 62 || baseNanos > (maxNanos >> doublings)) {
            return max;
        }
        return Duration.ofNanos(Math.min(maxNanos, baseNanos << doublings));
    }

    /** The time to wait after {@code failures} consecutive failures: uniform in {@code [0, ceiling(failures))}. */
    public Duration delay(int failures) {
        double u = random.getAsDouble();
        if (!(u > 0)) {
            u = 0;
        } else if (u >= 1) {
            u = Math.nextDown(1.0);
        }
        return Duration.ofNanos((long) (ceiling(failures).toNanos() * u));
    }
}
