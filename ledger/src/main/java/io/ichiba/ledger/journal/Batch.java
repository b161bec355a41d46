package io.ichiba.ledger.journal;

import java.io.Serializable;
import java.util.List;

/**
 * What one engine batch changed: every record it wrote, once, with its value after the whole batch.
 *
 * <p>A batch is the unit of replication: it is appended to the {@link Journal} as one write, fenced by the
 * engine's {@code epoch} and numbered by {@code seq}, before any caller of a command in it is answered. Its changes
 * are values, not commands, so applying a batch twice gives the same state as applying it once.
 *
 * @param epoch   the epoch of the engine that made it
 * @param seq     its number: the journal's last sequence plus one
 * @param changes the records it changed, each once
 * @param time    the engine's time when it ran ({@link io.ichiba.ledger.engine.EngineClock}; 0: not told)
 * @param events  the events its commands emitted, in order: published to the event log once the batch is journaled
 *                (and again by an engine that takes over while the batch is still in the journal's head)
 * @param eventsBefore the sequence of the newest event in the log when the batch was made (-1: not told): with the
 *                number of its events, a bound on every sequence handed out up to it, for numbering to go on from
 *                after every member stopped
 */
public record Batch(long epoch, long seq, List<Change> changes, long time, List<Object> events, long eventsBefore)
        implements Serializable {

    /** A batch that does not tell the log's sequence. */
    public Batch(long epoch, long seq, List<Change> changes, long time, List<Object> events) {
        this(epoch, seq, changes, time, events, -1);
    }

    /** A batch that carries no time and no events. */
    public Batch(long epoch, long seq, List<Change> changes) {
        this(epoch, seq, changes, 0);
    }

    /** A batch that carries no events. */
    public Batch(long epoch, long seq, List<Change> changes, long time) {
        this(epoch, seq, changes, time, List.of());
    }

    /** Copies the changes and the events. */
    public Batch {
        if (epoch < 1 || seq < 1) {
            throw new IllegalArgumentException("epoch and seq start at 1, were " + epoch + " and " + seq);
        }
        changes = List.copyOf(changes);
        events = events == null ? List.of() : List.copyOf(events);
    }
}
