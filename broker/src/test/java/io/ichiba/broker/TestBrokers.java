package io.ichiba.broker;

import io.ichiba.ledger.LedgerSettings;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Starts real brokers in this JVM: each its own Hazelcast member and Vert.x, on free loopback ports. */
public final class TestBrokers implements AutoCloseable {
    /** The operator token of every test cluster. */
    public static final String OPERATOR = "test-operator-token-0123456789abcdef";

    private final String cluster = "ichiba-test-" + UUID.randomUUID();
    private final List<Broker> brokers = new ArrayList<>();
    private final List<String> members = new ArrayList<>();
    private final LedgerSettings settings;

    /** A cluster with the default ledger rules, but nodes that stay up without reports (tests report once). */
    public TestBrokers() {
        this(LedgerSettings.defaults().withNodeGraceMillis(0));
    }

    /** A cluster with the given ledger rules. */
    public TestBrokers(LedgerSettings settings) {
        this.settings = settings;
    }

    /** Starts one more broker that joins the ones already started. */
    public Broker start() throws Exception {
        return start(c -> c);
    }

    /** Starts one more broker, its configuration changed by {@code change}, that joins the ones already started. */
    public Broker start(java.util.function.UnaryOperator<BrokerConfig> change) throws Exception {
        int hzPort = freePort();
        List<String> join = new ArrayList<>(members);
        join.add("127.0.0.1:" + hzPort);
        // one member is enough to write: tests stop members one by one (the split-brain tests set it themselves);
        // webhooks may reach the tests' receivers on 127.0.0.1 (only there: 127.0.0.2 is still refused)
        BrokerConfig config = BrokerConfig.from(Map.of("http.host", "127.0.0.1", "audit.interval.seconds", "0",
                        "reaper.interval.millis", "100", "cluster.min.size", "1", "webhook.allow", "127.0.0.1")::get)
                .withPorts(0, hzPort, join).withCluster(cluster, OPERATOR).withLedger(settings)
                .withDurability(BrokerConfig.Durability.none()); // a test that keeps its state on disk says where
        Broker b = Broker.start(change.apply(config));
        brokers.add(b);
        members.add("127.0.0.1:" + hzPort);
        return b;
    }

    /** The ledger's table {@code name} on broker {@code b}, read (or changed) as the ledger does. */
    public static io.ichiba.ledger.store.Table<Object> table(Broker b, String name) {
        return ((io.ichiba.ledger.store.TableStore) b.ledger().store()).table(name);
    }

    /** Removes {@code key} from table {@code name} on {@code b}: what a record's retention would do later. */
    public static void forget(Broker b, String name, String key) {
        table(b, name).execute(key, (io.ichiba.ledger.Command<Object, Boolean>) current ->
                io.ichiba.ledger.Command.Outcome.write(null, current != null));
    }

    /** Removes every record of table {@code name} on {@code b}. */
    public static void forgetAll(Broker b, String name) {
        table(b, name).entries().keySet().forEach(k -> forget(b, name, k));
    }

    /** Returns an operator client of broker {@code b}. */
    public static Http operator(Broker b) {
        return new Http("http://127.0.0.1:" + b.httpPort(), OPERATOR);
    }

    /** Returns the brokers started, in order. */
    public List<Broker> brokers() {
        return brokers;
    }

    /** Returns a free TCP port on loopback. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
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
