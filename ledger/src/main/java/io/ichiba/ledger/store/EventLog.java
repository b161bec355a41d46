package io.ichiba.ledger.store;

import io.ichiba.ledger.event.Event;

import java.util.List;

/**
 * The cluster-wide log of events: appended in order, numbered by a sequence, kept for a bounded time and number
 * for replay.
 */
public interface EventLog {

    /** Appends {@code e}; returns its sequence number. */
    long append(Event e);

    /** Appends {@code events} in order (one call where the log can take many); returns the last one's sequence. */
    default long appendAll(List<Event> events) {
        long last = newest();
        for (Event e : events) {
            last = append(e);
        }
        return last;
    }

    /**
     * Returns up to {@code max} events with a sequence after {@code after} (-1: from the oldest kept), oldest first.
     * Events older than the oldest kept are gone: the first answered then has a sequence above {@code after + 1}.
     */
    List<Event.Logged> read(long after, int max);

    /** Returns the sequence of the oldest event kept, or -1 if none was ever appended. */
    long oldest();

    /** Returns the sequence of the newest event, or -1 if none was ever appended. */
    long newest();

    /**
     * Makes the next event appended to an empty log numbered above {@code seq}: after every member stopped, the log
     * starts empty while readers still hold the sequences of before (they resume after them), so numbering goes on
     * from what the database says was handed out. Does nothing to a log that holds events.
     */
    default void continueAfter(long seq) {
    }
}
