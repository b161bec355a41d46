package io.ichiba.ledger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock that stands still until a test moves it: the ledger's only source of time in tests.
 *
 * <p>Thread-safe (the concurrency tests advance it from one thread while others read it); it never moves
 * backwards. The zone is always UTC.
 */
public final class MutableClock extends Clock {
    /** The instant every test starts at, unless it says otherwise. */
    public static final Instant EPOCH = Instant.parse("2030-01-01T00:00:00Z");

    private final AtomicLong millis;

    /** Creates a clock at {@code start}. */
    public MutableClock(Instant start) {
        this.millis = new AtomicLong(start.toEpochMilli());
    }

    /** Creates a clock at {@link #EPOCH}. */
    public MutableClock() {
        this(EPOCH);
    }

    /** Moves the clock forward by {@code d} (which must not be negative); returns the new time in millis. */
    public long advance(Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("a clock does not go back: " + d);
        }
        return millis.addAndGet(d.toMillis());
    }

    /** Moves the clock forward by {@code ms} milliseconds; returns the new time in millis. */
    public long advanceMillis(long ms) {
        return advance(Duration.ofMillis(ms));
    }

    @Override
    public long millis() {
        return millis.get();
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis.get());
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    /** This clock always stays in UTC; a zone change is refused rather than silently ignored. */
    @Override
    public Clock withZone(ZoneId zone) {
        if (!ZoneOffset.UTC.equals(zone.normalized())) {
            throw new UnsupportedOperationException("MutableClock is fixed to UTC");
        }
        return this;
    }
}
