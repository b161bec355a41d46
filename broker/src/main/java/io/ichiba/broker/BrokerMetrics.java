package io.ichiba.broker;

import io.ichiba.broker.metrics.ClaimMetrics;
import io.ichiba.broker.metrics.CreditMetrics;
import io.ichiba.broker.metrics.EventMetrics;
import io.ichiba.broker.metrics.MarketMetrics;
import io.ichiba.broker.metrics.PoolMetrics;
import io.ichiba.broker.metrics.ReservationMetrics;
import io.ichiba.ledger.LeaseReaper;
import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.event.Event;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;

/**
 * Ichiba's own meters, all prefixed {@code ichiba_}, one class per capability ({@code io.ichiba.broker.metrics}):
 * pools and nodes, claims and admission, credits, the market, reservations, events and handlers.
 *
 * <p>Gauges read from the store are refreshed every few seconds ({@link #refresh}), not per scrape, so that a
 * scrape costs no cluster-wide read. Tags stay bounded: one series per pool, per state, per kind (kinds are few: the
 * built-in ones and those the operator defines), per side, per reason, per outcome; never one per tenant.
 *
 * <p>Counters of things that happen to one record (a journal entry, a trade, a preemption) are counted once in the
 * cluster, where the record is written or its event appended: sum them over members.
 */
public final class BrokerMetrics {
    /**
     * Makes the registry's output pass {@code promtool check metrics}: the gauge {@code system.cpu.count} is renamed
     * (a gauge may not end in {@code _count}), and the two JVM counters kept in milliseconds or nanoseconds
     * ({@code jvm.compilation.time}, {@code process.cpu.time}) are dropped, since Prometheus wants seconds and
     * a filter cannot rescale them ({@code process_cpu_usage} remains).
     */
    public static void configureForPrometheus(MeterRegistry registry) {
        registry.config().meterFilter(MeterFilter.deny(id -> "ms".equals(id.getBaseUnit())
                || "ns".equals(id.getBaseUnit())));
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                return id.getName().equals("system.cpu.count") ? id.withName("system.cpu.logical") : id;
            }
        });
    }

    private final PoolMetrics pools;
    private final ClaimMetrics claims;
    private final CreditMetrics credits;
    private final MarketMetrics market;
    private final ReservationMetrics reservations;
    private final EventMetrics events;
    private final MeterRegistry registry;

    /** Registers the meters in {@code registry}. */
    public BrokerMetrics(MeterRegistry registry, Ledger ledger) {
        this.registry = registry;
        this.pools = new PoolMetrics(registry, ledger);
        this.claims = new ClaimMetrics(registry, ledger);
        this.credits = new CreditMetrics(registry, ledger);
        this.market = new MarketMetrics(registry, ledger);
        this.reservations = new ReservationMetrics(registry, ledger);
        this.events = new EventMetrics(registry, ledger);
    }

    /** The registry the meters are in (for meters of the HTTP edge). */
    public MeterRegistry registry() {
        return registry;
    }

    /** Pools and nodes. */
    public PoolMetrics pools() {
        return pools;
    }

    /** Claims, jobs, admission, hints, explanations, tenant limits, audits. */
    public ClaimMetrics claims() {
        return claims;
    }

    /** Credits and the journal. */
    public CreditMetrics credits() {
        return credits;
    }

    /** The market. */
    public MarketMetrics market() {
        return market;
    }

    /** Reservations. */
    public ReservationMetrics reservations() {
        return reservations;
    }

    /** The event log, price alerts, handlers. */
    public EventMetrics events() {
        return events;
    }

    /**
     * Counts what an event appended to the log tells (a trade, a preemption, a price alert's crossing). The engine
     * tells each event of a batch it journaled once (not those it publishes again after a takeover).
     */
    public void eventAppended(Event e) {
        market.eventAppended(e);
        events.eventAppended(e);
    }

    /** Counts what the lease reaper ends, one at a time: leases past their deadline, nodes lost, their grants. */
    public LeaseReaper.Tally reaperTally() {
        return new LeaseReaper.Tally() {
            @Override
            public void leaseExpired() {
                claims.leaseExpired();
            }

            @Override
            public void nodeLost() {
                pools.nodeLost();
            }

            @Override
            public void grantLost() {
                pools.grantLost();
            }
        };
    }

    /** Reads the store and updates every gauge. */
    public void refresh() {
        pools.refresh();
        claims.refresh();
        credits.refresh();
        market.refresh();
        reservations.refresh();
        events.refresh();
    }
}
