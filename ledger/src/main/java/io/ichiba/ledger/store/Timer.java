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
}
