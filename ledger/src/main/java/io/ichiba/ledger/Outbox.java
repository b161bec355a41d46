package io.ichiba.ledger;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Events a record emitted with its changes and that are not yet in the event log: written by the same atomic
 * change as the state they describe (a transactional outbox), so no change is ever without its event. A relay on
 * the member that owns the key appends them to the log, then acknowledges them; a relay that dies in between
 * appends them again, with the same ids (at least once, duplicates dropped by id).
 *
 * @param pending the events not yet acknowledged, oldest first
 * @param emitted how many events the record ever emitted (the number of the next one)
 */
public record Outbox(List<Pending> pending, long emitted) implements Serializable {

    /**
     * One event waiting for the relay.
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

    /** The most events a record keeps waiting: the oldest are dropped past this (a relay that is down for long). */
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

    /** Whether events wait for the relay. */
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
