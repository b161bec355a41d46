package io.ichiba.broker.metrics;

import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.pool.LockState;
import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.reservation.Reservation;
import io.ichiba.ledger.reservation.ReservationFilters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Reservations by state, bookings by outcome, and the most each pool promises over the next day. */
public final class ReservationMetrics {
    private final Ledger ledger;
    private final MeterRegistry registry;
    private final MultiGauge reservations;
    private final MultiGauge poolReserved;
    private final Map<String, Counter> bookings = new ConcurrentHashMap<>();

    /** Registers the meters in {@code registry}. */
    public ReservationMetrics(MeterRegistry registry, Ledger ledger) {
        this.ledger = ledger;
        this.registry = registry;
        this.reservations = MultiGauge.builder("ichiba.reservations")
                .description("Reservations by state (BOOKED, ACTIVE, ENDED, CANCELLED)").register(registry);
        this.poolReserved = MultiGauge.builder("ichiba.pool.reserved")
                .description("The most promised to reservations not yet open at any moment of the next 24 hours")
                .register(registry);
        for (String outcome : List.of("booked", "WINDOW_FULL")) {
            bookingCounter(outcome);
        }
    }

    private Counter bookingCounter(String outcome) {
        return bookings.computeIfAbsent(outcome, o -> Counter.builder("ichiba.reservation.bookings").tag("outcome", o)
                .description("Reservation bookings asked, by outcome (booked or the rejection code)")
                .register(registry));
    }

    /**
     * Counts a booking asked over HTTP by outcome: {@code booked}, or the rejection code ({@code WINDOW_FULL},
     * {@code NEVER_FITS}, ...), counted by the member that answered: sum over members.
     */
    public void booking(String outcome) {
        bookingCounter(outcome).increment();
    }

    /** Counts reservations by state and the reserved peak of each pool over the next day. */
    public void refresh() {
        long now = ledger.clock().millis();
        Map<Reservation.State, Long> byState = new EnumMap<>(Reservation.State.class);
        for (Reservation.State s : Reservation.State.values()) {
            byState.put(s, (long) ledger.store().reservations()
                    .count(new ReservationFilters.ReservationIn(EnumSet.of(s))));
        }
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        byState.forEach((s, n) -> rows.add(MultiGauge.Row.of(Tags.of("state", s.name()), n)));
        reservations.register(rows, true);
        List<MultiGauge.Row<?>> reserved = new ArrayList<>();
        long day = now + 86_400_000;
        for (NodeState n : ledger.store().nodes().entries().values()) {
            for (String kind : n.kinds().keySet()) {
                reserved.add(MultiGauge.Row.of(Tags.of("pool", NodeState.poolId(kind, n.node()), "kind", kind),
                        n.holdings().bookedPeak(kind, now, day, null)));
            }
        }
        for (LockState l : ledger.store().locks().entries().values()) {
            reserved.add(MultiGauge.Row.of(Tags.of("pool", LockState.poolId(l.name()), "kind", LockState.KIND),
                    l.holdings().bookedPeak(LockState.KIND, now, day, null)));
        }
        poolReserved.register(reserved, true);
    }
}
