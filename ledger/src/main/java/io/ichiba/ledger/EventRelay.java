package io.ichiba.ledger;

import io.ichiba.ledger.store.EventLog;
import io.ichiba.ledger.store.Store;
import io.ichiba.ledger.store.Table;

/**
 * Moves events from the records' outboxes to the event log, on the member that owns each record: appends a record's
 * pending events in order, then acknowledges them on the record. A relay that dies in between leaves them pending;
 * the next relay (this member's next sweep, or the next owner's) appends them again with the same ids. So every
 * event reaches the log at least once, and in order for each record (each record is relayed by its owner only).
 *
 * <p>Not thread-safe per record: the broker runs every relay of a member on one thread.
 */
public final class EventRelay {
    private final Store store;
    private final EventLog log;
    private final java.util.function.Consumer<Event> appended;

    /** A relay over the store's tables and event log. */
    public EventRelay(Store store) {
        this(store, e -> { });
    }

    /** A relay that also tells {@code appended} of each event it appends (e.g. to count them). */
    public EventRelay(Store store, java.util.function.Consumer<Event> appended) {
        this.store = store;
        this.log = store.events();
        this.appended = appended;
    }

    /** Relays claim {@code id}'s pending events; returns how many were appended. */
    public int claim(String id) {
        return relay(store.claims(), id);
    }

    /** Relays node {@code id}'s pending events; returns how many were appended. */
    public int node(String id) {
        return relay(store.nodes(), id);
    }

    /** Relays job {@code id}'s pending events; returns how many were appended. */
    public int job(String id) {
        return relay(store.jobs(), id);
    }

    /** Relays loan {@code id}'s pending events (a trade's or a purchase's); returns how many were appended. */
    public int loan(String id) {
        return relay(store.loans(), id);
    }

    /** Relays price alert {@code id}'s pending events; returns how many were appended. */
    public int alert(String id) {
        return relay(store.alerts(), id);
    }

    /** Relays every pending event of the records this member owns; returns how many were appended. */
    public int sweep() {
        return sweep(store.claims()) + sweep(store.nodes()) + sweep(store.jobs()) + sweep(store.loans())
                + sweep(store.alerts());
    }

    private <S extends Emits<S>> int sweep(Table<S> table) {
        int n = 0;
        for (String key : table.localKeys(new Filters.HasEvents<S>())) {
            n += relay(table, key);
        }
        return n;
    }

    private <S extends Emits<S>> int relay(Table<S> table, String key) {
        S s = table.get(key);
        if (s == null || !s.outbox().hasPending()) {
            return 0;
        }
        int[] n = {0};
        long upTo = s.pendingEvents(e -> {
            log.append(e);
            appended.accept(e);
            n[0]++;
        });
        table.execute(key, new Acknowledge<S>(upTo));
        return n[0];
    }

    /** Removes the events numbered below {@code upTo} from a record's outbox: they are in the log. */
    public record Acknowledge<S extends Emits<S>>(long upTo) implements Command<S, Boolean> {
        @Override
        public Outcome<S, Boolean> apply(S s) {
            if (s == null) {
                return Outcome.keep(false);
            }
            Outbox after = s.outbox().acknowledge(upTo);
            return after == s.outbox() ? Outcome.keep(false) : Outcome.write(s.withOutbox(after), true);
        }
    }
}
