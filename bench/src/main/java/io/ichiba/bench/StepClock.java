package io.ichiba.bench;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A clock the benchmark moves by hand, so that a run is repeatable: it reads the same millisecond until
 * {@link #advance} moves it.
 */
public final class StepClock extends Clock {
    private volatile long millis;

    /** A clock at {@code startMillis} (epoch millis). */
    public StepClock(long startMillis) {
        this.millis = startMillis;
    }

    /** Moves the clock forward by {@code by} millis. */
    public void advance(long by) {
        millis += by;
    }

    @Override
    public long millis() {
        return millis;
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis);
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("a benchmark clock has one zone");
    }
}
