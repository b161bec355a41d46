package io.ichiba.ledger.handler;

import io.ichiba.ledger.event.Emits;
import io.ichiba.ledger.event.Event;
import io.ichiba.ledger.event.Outbox;

import java.io.Serializable;
import java.util.TreeMap;

/**
 * A tenant's price threshold on a kind's spot price: it emits {@code price.crossed} each time the posted price
 * crosses the threshold in its direction.
 *
 * <p>The spot updater tells every live alert of a kind each new posted price ({@link AlertCommands.Observe}). The
 * alert remembers on which side of its threshold the last price was ({@code met}): an {@code ABOVE} alert is met
 * by a price above its threshold, a {@code BELOW} alert by a price below it. It fires when an observation meets
 * it and the one before did not, so once per crossing: staying past the threshold fires nothing more, going back
 * re-arms it. The first observation only records the side (no one knows where the price was before).
 *
 * @param id            alert id
 * @param tenant        the tenant that owns it
 * @param kind          the kind whose spot price it watches
 * @param direction     which crossing it reports
 * @param threshold     the price (minor units per unit-hour) it watches for
 * @param state         {@code ACTIVE}, or {@code DELETED} (kept until its retention ends)
 * @param createdAt     epoch millis
 * @param lastPrice     the last price observed, or -1 before the first observation
 * @param observedAt    epoch millis of the last observation, 0 before
 * @param met           whether the last price observed met the threshold, {@code null} before the first
 * @param crossings     how many times it fired
 * @param lastCrossedAt epoch millis it last fired, 0 if never
 * @param deletedAt     epoch millis it was deleted, 0 if not
 * @param outbox        events of its changes not yet in the event log
 */
public record PriceAlert(String id, String tenant, String kind, Direction direction, long threshold, State state,
                         long createdAt, long lastPrice, long observedAt, Boolean met, long crossings,
                         long lastCrossedAt, long deletedAt, Outbox outbox) implements Emits<PriceAlert> {

    /** Which crossing an alert reports. */
    public enum Direction {
        /** From at or below the threshold to above it. */
        ABOVE,
        /** From at or above the threshold to below it. */
        BELOW;

        /** Whether {@code price} is past {@code threshold} in this direction. */
        public boolean met(long price, long threshold) {
            return this == ABOVE ? price > threshold : price < threshold;
        }

        /** The wire name: {@code above} or {@code below}. */
        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Where an alert is. */
    public enum State {
        /** Watching its kind's price. */
        ACTIVE,
        /** Deleted by its tenant: watches nothing more. */
        DELETED
    }

    /** Defaults the outbox. */
    public PriceAlert {
        outbox = outbox == null ? Outbox.empty() : outbox;
    }

    /** A new alert that has seen no price yet. */
    public static PriceAlert create(String id, String tenant, String kind, Direction direction, long threshold,
                                    long now) {
        return new PriceAlert(id, tenant, kind, direction, threshold, State.ACTIVE, now, -1, 0, null, 0, 0, 0,
                Outbox.empty());
    }

    /**
     * Returns the alert after observing {@code price} at {@code now}: fires {@code price.crossed} if the price
     * meets it and the last one observed did not.
     */
    PriceAlert observe(long price, long now) {
        boolean nowMet = direction.met(price, threshold);
        boolean fires = Boolean.FALSE.equals(met) && nowMet;
        Outbox events = fires ? outbox.emit("price.crossed", now, Outbox.details("price", String.valueOf(price),
                "previousPrice", String.valueOf(lastPrice))) : outbox;
        return new PriceAlert(id, tenant, kind, direction, threshold, state, createdAt, price, now, nowMet,
                fires ? crossings + 1 : crossings, fires ? now : lastCrossedAt, deletedAt, events);
    }

    /** Returns the alert deleted at {@code now}. */
    public PriceAlert deleted(long now) {
        return new PriceAlert(id, tenant, kind, direction, threshold, State.DELETED, createdAt, lastPrice, observedAt,
                met, crossings, lastCrossedAt, now, outbox);
    }

    @Override
    public PriceAlert withOutbox(Outbox o) {
        return new PriceAlert(id, tenant, kind, direction, threshold, state, createdAt, lastPrice, observedAt, met,
                crossings, lastCrossedAt, deletedAt, o);
    }

    /**
     * Renders one of its events: {@code alert:<id>:<n>}, for its tenant, with the alert, kind, threshold, direction
     * and the price that crossed it.
     */
    @Override
    public Event toEvent(Outbox.Pending p) {
        TreeMap<String, String> payload = new TreeMap<>(p.details());
        payload.put("alert", id);
        payload.put("kind", kind);
        payload.put("threshold", String.valueOf(threshold));
        payload.put("direction", direction.wire());
        return new Event("alert:" + id + ":" + p.n(), p.type(), p.time(), tenant, id, payload);
    }
}
