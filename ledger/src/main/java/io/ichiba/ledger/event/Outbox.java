package io.ichiba.ledger.event;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Events a record emitted with its changes and that are not yet in the event log: written by the same change as the
 * state they describe, so no change is ever without its event. At the end of each command the engine takes them off
 * the records it changed; they are journaled with the batch and published once it is (an engine that takes over
 * publishes again the batches the journal's head held: at least once, duplicates dropped by id).
 *
 * @param pending the events not yet acknowledged, oldest first
 * @param emitted how many events the record ever emitted (the number of the next one)
 */
public record Outbox(List<Pending> pending, long emitted) implements Serializable {

    /**
     * One event not yet taken by the engine.
     *
     * @param n       its number among the record's events (0-based): with the record's id, the event's id
     * @param type    e.g. {@code claim.granted}
     * @param time    epoch millis of the change
     * @param details what the event says beyond the record's own fields (reason, node, ...)
     */
    public record Pending(long n, String type, long time, SortedMap<String, String> details) implements Serializable {
        /** Normalises the details. */
        public Pending {
            details = Collections.unmodifiableSortedMap(new TreeMap<>(details == null ? Collections.emptyMap() : details));
        }
    }

    /** The most events a record keeps waiting: the oldest are dropped past this. */
    public static final int MAX_PENDING = 256;

    /** Normalises the list. */
    public Outbox {
        pending = List.copyOf(pending == null ? List.of() : pending);
    }

    /** The empty outbox. */
    public static Outbox empty() {
        return new Outbox(List.of(), 0);
    }

    /** Returns this outbox with one more event. */
    public Outbox emit(String type, long time, SortedMap<String, String> details) {
        List<Pending> next = new ArrayList<>(pending);
        next.add(new Pending(emitted, type, time, details));
        while (next.size() > MAX_PENDING) {
            next.remove(0);
        }
        return new Outbox(next, emitted + 1);
    }

    /** Returns this outbox without the events numbered below {@code upTo}. */
    public Outbox acknowledge(long upTo) {
        if (pending.isEmpty() || pending.get(0).n() >= upTo) {
            return this;
        }
        return new Outbox(pending.stream().filter(p -> p.n() >= upTo).toList(), emitted);
    }

    /** Whether events wait to be taken. */
    public boolean hasPending() {
        return !pending.isEmpty();
    }

    /** A details map from key/value pairs (values {@code null} are left out). */
    public static SortedMap<String, String> details(String... keyValues) {
        TreeMap<String, String> out = new TreeMap<>();
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            if (keyValues[i + 1] != null) {
                out.put(keyValues[i], keyValues[i + 1]);
            }
        }
        return out;
    }
}
