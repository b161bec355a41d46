package io.ichiba.bench.http;

import io.vertx.core.Context;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The two ways of offering load. Open: operation {@code i} is due at {@code t0 + i/rate} whatever the answers,
 * and its latency runs from that due time, so a stall delays the due operations and shows in the percentiles
 * (no coordinated omission). Closed: {@code connections} loops each start their next operation when the last ended;
 * latency from the actual send, of the grants that came in the window, so it shows service time under that
 * concurrency, and throughput is the capacity.
 */
final class Loops {
    /** How long to wait after the window for operations still under way; those left are errors. */
    static final long DRAIN_MILLIS = ClaimCycle.IDLE_MILLIS + 5_000;

    private Loops() {
    }

    /** Runs an open loop at {@code rate} per second over {@code urls} in turn (a warm-up: {@code seconds} 0). */
    static Tally open(List<Context> loops, ClaimCycle cycle, List<String> urls, double rate, double warmupSeconds,
                      double seconds) {
        long t0 = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
        long windowStart = t0 + (long) (warmupSeconds * 1e9);
        long windowEnd = windowStart + (long) (seconds * 1e9);
        Tally tally = new Tally(windowStart, windowEnd, false);
        for (long i = 0; ; i++) {
            long due = t0 + (long) (i * 1e9 / rate);
            if (due >= windowEnd) {
                break;
            }
            for (long left = due - System.nanoTime(); left > 0; left = due - System.nanoTime()) {
                LockSupport.parkNanos(left);
            }
            String url = urls.get((int) (i % urls.size()));
            tally.started(); // before the hand-over, so that the drain below cannot miss it
            loops.get((int) (i % loops.size())).runOnContext(v -> cycle.once(url, due, tally));
        }
        drain(tally);
        return tally;
    }

    /** Runs {@code connections} closed loops, spread over {@code urls}. */
    static Tally closed(List<Context> loops, ClaimCycle cycle, List<String> urls, int connections,
                        double warmupSeconds, double seconds) {
        long t0 = System.nanoTime();
        long windowStart = t0 + (long) (warmupSeconds * 1e9);
        long windowEnd = windowStart + (long) (seconds * 1e9);
        Tally tally = new Tally(windowStart, windowEnd, true);
        AtomicLong running = new AtomicLong(connections);
        for (int c = 0; c < connections; c++) {
            String url = urls.get(c % urls.size());
            loops.get(c % loops.size()).runOnContext(v -> next(cycle, url, tally, windowEnd, running));
        }
        for (long left = windowEnd - System.nanoTime(); left > 0; left = windowEnd - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
        drain(tally);
        while (running.get() > 0 && System.nanoTime() < windowEnd + TimeUnit.MILLISECONDS.toNanos(DRAIN_MILLIS)) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        return tally;
    }

    private static void next(ClaimCycle cycle, String url, Tally tally, long windowEnd, AtomicLong running) {
        long start = System.nanoTime();
        if (start >= windowEnd) {
            running.decrementAndGet();
            return;
        }
        tally.started();
        cycle.once(url, start, tally).onComplete(x -> next(cycle, url, tally, windowEnd, running));
    }

    private static void drain(Tally tally) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DRAIN_MILLIS);
        while (tally.outstanding() > 0 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }
}
