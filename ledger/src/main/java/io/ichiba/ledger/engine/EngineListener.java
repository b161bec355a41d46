package io.ichiba.ledger.engine;

/** What the engine tells its observer (the broker's metrics): batches journaled, takeovers, fencing. */
public interface EngineListener {
    /** No observer. */
    EngineListener NONE = new EngineListener() {
    };

    /** A batch of {@code commands} commands changing {@code records} records was journaled in {@code appendNanos}. */
    default void journaled(int commands, int records, long appendNanos) {
    }

    /** This member's engine took over at {@code epoch}. */
    default void tookOver(long epoch) {
    }

    /** This member's engine stopped: another took over, or the journal could not be written. */
    default void stopped(String why) {
    }

    /**
     * An operation sent from another member was served here: run ({@code again} false), or answered from the
     * journal because it had run already ({@code again} true: its first answer was lost with a member).
     */
    default void operationServed(boolean again) {
    }

    /** A journaled batch's {@code events} ({@link io.ichiba.ledger.event.Event}s) were appended to the event log. */
    default void published(java.util.List<Object> events) {
    }

    /** The timer {@code name} ran on the engine's thread for {@code nanos}; {@code ok} false if it threw. */
    default void timerRan(String name, long nanos, boolean ok) {
    }
}
