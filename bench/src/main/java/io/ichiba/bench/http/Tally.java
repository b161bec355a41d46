package io.ichiba.bench.http;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one measured run saw: grant latencies (µs, HdrHistogram), the grants completed in the window (throughput),
 * and every failure, counted and the first few printed. An open loop records the latencies of the operations due in
 * the window (however late they end: that is the point); a closed loop those of the grants that came in the window,
 * as wrk does, so that a system slower than the window still shows its latency.
 */
final class Tally {
    private static final int SHOWN_ERRORS = 5;

    private final long windowStart;
    private final long windowEnd;
    private final boolean byCompletion;
    private final Histogram latency = new ConcurrentHistogram(3_600_000_000L, 3);
    private final LongAdder grantsInWindow = new LongAdder();
    private final LongAdder claimErrors = new LongAdder();
    private final LongAdder releaseErrors = new LongAdder();
    private final LongAdder started = new LongAdder();
    private final LongAdder finished = new LongAdder();
    private final AtomicInteger shown = new AtomicInteger();

    /**
     * A tally of the window {@code [windowStart, windowEnd)} (System.nanoTime); latencies of the grants that came in
     * it if {@code byCompletion}, else of the operations due in it.
     */
    Tally(long windowStart, long windowEnd, boolean byCompletion) {
        this.windowStart = windowStart;
        this.windowEnd = windowEnd;
        this.byCompletion = byCompletion;
    }

    /** Whether an operation started (or intended) at {@code t} is measured. */
    boolean measured(long t) {
        return t >= windowStart && t < windowEnd;
    }

    /** An operation began (in the window or not: all are waited for). */
    void started() {
        started.increment();
    }

    /** A grant came at {@code now} for an operation started (or intended) at {@code start}. */
    void granted(long start, long now) {
        boolean inWindow = now >= windowStart && now < windowEnd;
        if (inWindow) {
            grantsInWindow.increment();
        }
        if (byCompletion ? inWindow : measured(start)) {
            latency.recordValue(Math.max(0, (now - start) / 1000));
        }
    }

    /** The claim (or its wait) of an operation failed. */
    void claimFailed(long start, Throwable e) {
        if (measured(start)) {
            claimErrors.increment();
            show("claim", e);
        }
    }

    /** The release of an operation failed. */
    void releaseFailed(long start, Throwable e) {
        if (measured(start)) {
            releaseErrors.increment();
            show("release", e);
        }
    }

    /** An operation ended (its release answered, or it failed). */
    void finished() {
        finished.increment();
    }

    /** Operations not yet ended. */
    long outstanding() {
        return started.sum() - finished.sum();
    }

    private void show(String what, Throwable e) {
        if (shown.getAndIncrement() < SHOWN_ERRORS) {
            System.err.println(what + " failed: " + e);
        }
    }

    /** The latencies recorded. */
    Histogram latency() {
        return latency;
    }

    /** Grants per second completed within the window. */
    double throughput() {
        return grantsInWindow.sum() / ((windowEnd - windowStart) / 1e9);
    }

    /** Failed claims and releases, plus operations still unfinished now (timed out). */
    long errors() {
        return claimErrors.sum() + releaseErrors.sum() + outstanding();
    }

    /** A one-line account of the errors, for stderr. */
    String errorDetail() {
        return "claimErrors=" + claimErrors.sum() + " releaseErrors=" + releaseErrors.sum()
                + " unfinished=" + outstanding();
    }

    /** Milliseconds at percentile {@code p} (0-100). */
    double ms(double p) {
        return latency.getTotalCount() == 0 ? Double.NaN : latency.getValueAtPercentile(p) / 1000.0;
    }

    /** The largest latency in milliseconds. */
    double maxMs() {
        return latency.getTotalCount() == 0 ? Double.NaN : latency.getMaxValue() / 1000.0;
    }
}
