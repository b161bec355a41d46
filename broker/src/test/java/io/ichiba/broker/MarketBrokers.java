package io.ichiba.broker;

import io.ichiba.ledger.LedgerSettings;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Starts real brokers in this JVM, as {@link TestBrokers} does, but from configuration keys: the market ITs set
 * {@code market.*} keys (compensation, the spot curve, the largest price and term) as an operator would, so that
 * the keys themselves are exercised and the arithmetic the tests check is fixed.
 *
 * <p>Every broker gets the test defaults (loopback, no periodic audit, a 100 ms reaper, so loans due are swept
 * every 400 ms) under the given keys, and nodes that stay up without reports.
 */
final class MarketBrokers implements AutoCloseable {
    /** What the lender (or an urgent buyer) pays per preempted grant ({@code market.compensation}). */
    static final long COMPENSATION = 3;
    /** The spot curve's floor ({@code market.spot.floor}). */
    static final long FLOOR = 7;
    /** The spot curve's ceiling ({@code market.spot.ceiling}): the price while no node has reported. */
    static final long CEILING = 50;
    /** The urgent price at the floor: ⌈7 × (100 + 50) / 100⌉ ({@code market.urgent.premium.percent} 50). */
    static final long URGENT = 11;
    /** The largest price an order may name ({@code market.price.max}). */
    static final long PRICE_MAX = 1000;
    /** The longest term an order may name, and the longest notice ({@code market.term.max.seconds}). */
    static final long TERM_MAX = 86_400;

    /**
     * Market rules that make the arithmetic exact: the constants above, knee 0.9 (a test that keeps utilisation
     * under it keeps the spot at the floor), and a smoothing window of 1 ms, so that the posted spot price is the
     * curve's at each update (every 5 s) instead of creeping towards it.
     */
    static Map<String, String> fixedRules() {
        return Map.of(
                "market.compensation", String.valueOf(COMPENSATION),
                "market.spot.floor", String.valueOf(FLOOR),
                "market.spot.ceiling", String.valueOf(CEILING),
                "market.spot.knee", "0.9",
                "market.spot.exponent", "2",
                "market.spot.window.millis", "1",
                "market.urgent.premium.percent", "50",
                "market.price.max", String.valueOf(PRICE_MAX),
                "market.term.max.seconds", String.valueOf(TERM_MAX),
                "market.recall.notice.seconds", "5");
    }

    private final String cluster = "ichiba-market-" + UUID.randomUUID();
    private final Map<String, String> keys = new HashMap<>();
    private final List<Broker> brokers = new ArrayList<>();
    private final List<String> members = new ArrayList<>();

    /** A cluster whose brokers read {@code config} on top of the test defaults. */
    MarketBrokers(Map<String, String> config) {
        keys.put("http.host", "127.0.0.1");
        keys.put("audit.interval.seconds", "0");
        keys.put("reaper.interval.millis", "100");
        keys.putAll(config);
    }

    /** Starts one more broker that joins the ones already started. */
    Broker start() throws Exception {
        int hzPort = TestBrokers.freePort();
        List<String> join = new ArrayList<>(members);
        join.add("127.0.0.1:" + hzPort);
        BrokerConfig config = BrokerConfig.from(keys::get).withPorts(0, hzPort, join)
                .withCluster(cluster, TestBrokers.OPERATOR)
                .withLedger(LedgerSettings.defaults().withNodeGraceMillis(0))
                .withDurability(BrokerConfig.Durability.none());
        Broker b = Broker.start(config);
        brokers.add(b);
        members.add("127.0.0.1:" + hzPort);
        return b;
    }

    /** The brokers started, in order. */
    List<Broker> brokers() {
        return brokers;
    }

    @Override
    public void close() {
        for (Broker b : brokers) {
            try {
                if (b.hazelcast().getLifecycleService().isRunning()) {
                    b.stop();
                }
            } catch (RuntimeException e) {
                // already gone
            }
        }
    }
}
