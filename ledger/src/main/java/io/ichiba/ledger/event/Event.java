package io.ichiba.ledger.event;

import java.io.Serializable;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Something that happened, as the event log keeps it.
 *
 * @param id      stable id ({@code claim:<id>:<n>}, {@code node:<id>:<n>}, ...): the same event appended twice (by an
 *                engine that took over and published again the batches the journal's head held) has the same id, so
 *                consumers drop duplicates by it
 * @param type    e.g. {@code claim.granted}
 * @param time    epoch millis of the change
 * @param tenant  the tenant it concerns, or {@code null} (node and pool events: the operator's)
 * @param subject the id of the claim, node, job or loan it is about
 * @param payload what it says: flat string fields
 */
public record Event(String id, String type, long time, String tenant, String subject, SortedMap<String, String> payload)
        implements Serializable {

    /**
     * Normalises the payload: an unmodifiable copy in key order, unless it is one already (the maker of the event
     * passes its own map unmodifiable and keeps no other reference to it: one copy fewer for each event).
     */
    public Event {
        if (!io.ichiba.ledger.store.OwnedMaps.isOwnedSortedView(payload)) {
            payload = Collections.unmodifiableSortedMap(new TreeMap<>(payload == null ? Collections.emptyMap()
                    : payload));
        }
    }

    /**
     * An event with its place in the log.
     *
     * @param seq   its sequence number in the log: the cursor to resume after
     * @param event the event
     */
    public record Logged(long seq, Event event) implements Serializable {
    }
}
