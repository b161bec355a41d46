package io.ichiba.ledger.event;

/**
 * A record that emits events with its changes, through its {@link Outbox}.
 *
 * @param <S> the record type
 */
public interface Emits<S extends Emits<S>> extends java.io.Serializable {

    /** Returns the events not yet in the log. */
    Outbox outbox();

    /** Returns this record with another outbox. */
    S withOutbox(Outbox outbox);

    /** Renders a pending event of this record as the log keeps it. */
    Event toEvent(Outbox.Pending p);

    /**
     * Gives {@code out} each pending event, oldest first, as the log keeps it; answers the number to acknowledge them
     * up to ({@link Outbox#acknowledge}), 0 when none is pending.
     */
    default long pendingEvents(java.util.function.Consumer<Event> out) {
        long upTo = 0;
        for (Outbox.Pending p : outbox().pending()) {
            out.accept(toEvent(p));
            upTo = p.n() + 1;
        }
        return upTo;
    }
}
