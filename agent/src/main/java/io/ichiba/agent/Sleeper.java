package io.ichiba.agent;

import java.time.Duration;

/**
 * Waits between two reports. The agent uses {@link #SYSTEM}; tests inject one that records what was asked and
 * returns at once, so no test waits for real time to pass.
 */
@FunctionalInterface
public interface Sleeper {
    /** Sleeps on the calling thread; an interrupt ends the sleep with {@link InterruptedException}. */
    Sleeper SYSTEM = d -> {
        if (!d.isNegative() && !d.isZero()) {
            Thread.sleep(d.toMillis(), (int) (d.toNanos() % 1_000_000));
        }
    };

    /**
     * Waits for {@code duration}.
     *
     * @throws InterruptedException when the wait was interrupted: the caller should stop
     */
    void sleep(Duration duration) throws InterruptedException;
}
