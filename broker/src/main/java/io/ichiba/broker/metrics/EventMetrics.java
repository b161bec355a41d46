package io.ichiba.broker.metrics;

import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.event.Event;
import io.ichiba.ledger.handler.HandlerFilters;
import io.ichiba.ledger.store.Table;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The event log (events appended, the newest sequence, streams open), price alerts and their crossings, and the
 * handlers' deliveries (attempts by outcome, pending, dead letters).
 */
public final class EventMetrics {
    private final Ledger ledger;
    private final MeterRegistry registry;
    private final Counter eventsRelayed;
    private final Counter priceCrossings;
    private final Map<String, Counter> handlerAttempts = new ConcurrentHashMap<>();
    private final AtomicLong deliveriesPending = new AtomicLong();
    private final AtomicLong deadLetters = new AtomicLong();
    private final AtomicLong priceAlerts = new AtomicLong();
    private final AtomicInteger eventStreams = new AtomicInteger();

    /** Registers the meters in {@code registry}. */
    public EventMetrics(MeterRegistry registry, Ledger ledger) {
        this.ledger = ledger;
        this.registry = registry;
        Gauge.builder("ichiba.handler.deliveries.pending", deliveriesPending, AtomicLong::get)
                .description("Deliveries of events to handlers not yet settled").register(registry);
        Gauge.builder("ichiba.handler.dead.letters", deadLetters, AtomicLong::get)
                .description("Deliveries that exhausted their attempts, kept for replay").register(registry);
        this.eventsRelayed = Counter.builder("ichiba.events.relayed")
                .description("Events appended to the event log by this member: by the engine once their batch is "
                        + "journaled (again by an engine that takes over while the batch is in the journal's head)")
                .register(registry);
        Gauge.builder("ichiba.event.streams", eventStreams, AtomicInteger::get)
                .description("Server-sent event streams open on this member").register(registry);
        Gauge.builder("ichiba.events.log.newest", ledger.store().events(), l -> l.newest())
                .description("The sequence number of the newest event in the log").register(registry);
        this.priceCrossings = Counter.builder("ichiba.price.crossings")
                .description("price.crossed events appended by this member's engine (sum over members)")
                .register(registry);
        Gauge.builder("ichiba.price.alerts", priceAlerts, AtomicLong::get)
                .description("Live price alerts (every tenant's)").register(registry);
    }

    /** Counts a price alert's crossing among the events appended. */
    public void eventAppended(Event e) {
        if ("price.crossed".equals(e.type())) {
            priceCrossings.increment();
        }
    }

    /** Counts events appended to the log. */
    public void eventsRelayed(int n) {
        eventsRelayed.increment(n);
    }

    /** Counts an event stream opened ({@code +1}) or closed ({@code -1}). */
    public void eventStream(int delta) {
        eventStreams.addAndGet(delta);
    }

    /**
     * Counts a handler attempt by outcome ({@code ok}, {@code failed}, {@code skipped}), on the member that
     * dispatches.
     */
    public void handlerAttempt(String outcome) {
        handlerAttempts.computeIfAbsent(outcome, o -> Counter.builder("ichiba.handler.attempts").tag("outcome", o)
                .description("Handler attempts by outcome (webhook or event-bus calls; skipped: disabled or removed)")
                .register(registry)).increment();
    }

    /** Reads the deliveries pending, the dead letters and the live alerts. */
    public void refresh() {
        deliveriesPending.set(ledger.store().deliveries().count(new HandlerFilters.Unsettled()));
        deadLetters.set(ledger.store().deadLetters().count(new Table.All<>()));
        priceAlerts.set(ledger.store().alerts().count(new HandlerFilters.AlertsOf(null, true)));
    }
}
