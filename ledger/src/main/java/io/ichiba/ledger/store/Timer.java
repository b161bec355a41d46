package io.ichiba.ledger.store;

/**
 * A piece of the ledger's work that runs on a period where the state is kept ({@link Store#every}): on the engine's
 * thread, as commands the engine schedules for itself, by its clock.
 */
public interface Timer extends AutoCloseable {
    /** Runs the work as soon as it can, besides its period (many wakes before it runs make one run). */
    void wake();

    /** Stops running the work; a run under way finishes. */
    @Override
    void close();

    /**
     * Thrown, in place of running it, by an operation of a timer's run once the run has applied as many operations
     * as the engine allows one run: the run ends there, what it did is kept and journaled with its batch, and the
     * timer runs again at once, in the next batch, after the commands that arrived meanwhile. So a backlog (leases
     * that ended during a long pause, a takeover after one) is worked off in bounded batches instead of one batch that
     * holds every caller until it is done. A body that catches failures of its operations one by one lets this
     * through. A run deferred without changing anything runs again only a period later.
     */
    final class Deferred extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public Deferred() {
            super("the timer's run reached the engine's bound on one run: it goes on in the next batch", null, false,
                    false);
        }
    }
}
