package io.ichiba.ledger.store;

import io.ichiba.ledger.event.Event;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/** The event log in memory: the reference, for tests and a single process. Keeps the newest {@code capacity}. */
public final class InMemoryEventLog implements EventLog {
    private final int capacity;
    private final Deque<Event.Logged> events = new ArrayDeque<>();
    private long next;

    /** A log that keeps the newest {@code capacity} events. */
    public InMemoryEventLog(int capacity) {
        this.capacity = capacity;
    }

    @Override
    public synchronized long append(Event e) {
        long seq = next++;
        events.addLast(new Event.Logged(seq, e));
        while (events.size() > capacity) {
            events.removeFirst();
        }
        return seq;
    }

    @Override
    public synchronized List<Event.Logged> read(long after, int max) {
        List<Event.Logged> out = new ArrayList<>();
        for (Event.Logged l : events) {
            if (l.seq() > after) {
                out.add(l);
                if (out.size() >= max) {
                    break;
                }
            }
        }
        return out;
    }

    @Override
    public synchronized long oldest() {
        return events.isEmpty() ? next - 1 : events.peekFirst().seq();
    }

    @Override
    public synchronized long newest() {
        return next - 1;
    }

    @Override
    public synchronized void continueAfter(long seq) {
        if (events.isEmpty() && next <= seq) {
            next = seq + 1;
        }
    }
}
