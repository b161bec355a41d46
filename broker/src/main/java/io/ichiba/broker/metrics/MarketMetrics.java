package io.ichiba.broker.metrics;

import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.event.Event;
import io.ichiba.ledger.market.Loan;
import io.ichiba.ledger.market.MarketCommands;
import io.ichiba.ledger.market.MarketOrder;
import io.ichiba.ledger.pool.KindDef;
import io.ichiba.pricing.Side;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The market: trades and the amount traded, preemptions by reason (counted from the events appended), spot prices,
 * resting orders and live loans per kind. Tags stay bounded: per kind (kinds are few), per side, per reason.
 */
public final class MarketMetrics {
    /** Why a grant is preempted: the reasons counted by name; any other counts as {@code OTHER}. */
    private static final Set<String> PREEMPT_REASONS = Set.of("RECALL", "TERM", "URGENT", "RESERVATION");

    private final Ledger ledger;
    private final MeterRegistry registry;
    private final Map<String, Counter> trades = new ConcurrentHashMap<>();
    private final Map<String, Counter> tradedAmount = new ConcurrentHashMap<>();
    private final Map<String, Counter> preemptions = new ConcurrentHashMap<>();
    private final MultiGauge spotPrice;
    private final MultiGauge ordersResting;
    private final MultiGauge loansActive;

    /** Registers the meters in {@code registry}. */
    public MarketMetrics(MeterRegistry registry, Ledger ledger) {
        this.ledger = ledger;
        this.registry = registry;
        this.spotPrice = MultiGauge.builder("ichiba.spot.price")
                .description("Posted spot price of a kind: what the house sells a unit-hour for now (minor units)")
                .register(registry);
        this.ordersResting = MultiGauge.builder("ichiba.orders.resting")
                .description("Offers and bids resting in a kind's book").register(registry);
        this.loansActive = MultiGauge.builder("ichiba.loans.active")
                .description("Loans not yet ended (active, recalled, ending) by kind: trades and purchases from "
                        + "the house").register(registry);
        KindDef.BUILT_IN.forEach(k -> {
            trades(k);
            tradedAmount(k);
        });
        PREEMPT_REASONS.forEach(this::preemptions);
    }

    private Counter trades(String kind) {
        return trades.computeIfAbsent(kind, k -> Counter.builder("ichiba.trades").tag("kind", k)
                .description("Trades on a kind's book (each became a loan), counted by the member that published "
                        + "the trade's event: sum over members").register(registry));
    }

    private Counter tradedAmount(String kind) {
        return tradedAmount.computeIfAbsent(kind, k -> Counter.builder("ichiba.traded.amount").tag("kind", k)
                .description("Amount traded on a kind's book (MiB for memory and disk, units otherwise), counted "
                        + "by the member that published the trade's event: sum over members").register(registry));
    }

    private Counter preemptions(String reason) {
        return preemptions.computeIfAbsent(reason, r -> Counter.builder("ichiba.preemptions").tag("reason", r)
                .description("Grants preempted, by reason (RECALL, TERM, URGENT), counted by the member that owns "
                        + "the claim: sum over members").register(registry));
    }

    /**
     * Counts a trade (its lender's {@code trade.executed}, the loan's first event; a purchase from the house is a
     * loan too, but no trade) and a preemption by reason.
     */
    public void eventAppended(Event e) {
        if ("trade.executed".equals(e.type()) && e.id().endsWith(":0")) {
            String kind = e.payload().get("kind");
            trades(kind).increment();
            tradedAmount(kind).increment(Long.parseLong(e.payload().getOrDefault("amount", "0")));
        }
        if ("claim.preempted".equals(e.type())) {
            String reason = e.payload().get("reason");
            preemptions(PREEMPT_REASONS.contains(reason) ? reason : "OTHER").increment();
        }
    }

    /** Reads each kind's book (spot price, resting orders) and the live loans, and updates the gauges. */
    public void refresh() {
        List<MultiGauge.Row<?>> spot = new ArrayList<>();
        List<MultiGauge.Row<?>> resting = new ArrayList<>();
        Map<String, Long> live = new java.util.TreeMap<>();
        for (String kind : ledger.kinds()) {
            spot.add(MultiGauge.Row.of(Tags.of("kind", kind), ledger.exchange().spot(kind)));
            long offers = 0;
            long bids = 0;
            for (MarketOrder o : ledger.store().books().execute(kind, new MarketCommands.OrdersOf(null, true))) {
                if (o.state().isResting()) {
                    if (o.side() == Side.OFFER) {
                        offers++;
                    } else {
                        bids++;
                    }
                }
            }
            resting.add(MultiGauge.Row.of(Tags.of("kind", kind, "side", "OFFER"), offers));
            resting.add(MultiGauge.Row.of(Tags.of("kind", kind, "side", "BID"), bids));
            live.put(kind, 0L);
        }
        for (Loan l : ledger.exchange().loans(null, true)) {
            live.merge(l.kind(), 1L, Long::sum);
        }
        List<MultiGauge.Row<?>> loans = new ArrayList<>();
        live.forEach((kind, n) -> loans.add(MultiGauge.Row.of(Tags.of("kind", kind), n)));
        spotPrice.register(spot, true);
        ordersResting.register(resting, true);
        loansActive.register(loans, true);
    }
}
