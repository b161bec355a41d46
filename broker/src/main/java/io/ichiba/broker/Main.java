package io.ichiba.broker;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts one broker: {@code java -jar ichiba-broker.jar [--config FILE]}. */
public final class Main {
    private static final Logger LOG = LoggerFactory.getLogger(Main.class);

    private Main() {
    }

    /** Starts the broker and stops it on SIGTERM. */
    public static void main(String[] args) throws Exception {
        commonPoolOfTwo();
        System.setProperty("hazelcast.logging.type", "slf4j");
        BrokerConfig config;
        try {
            config = BrokerConfig.load(args, System.getenv());
        } catch (IllegalArgumentException bad) {
            System.err.println("ichiba: " + bad.getMessage());
            System.exit(2);
            return;
        }
        Broker broker = Broker.start(config);
        if (!config.operatorTokenGiven()) {
            LOG.info("operator token (set ICHIBA_OPERATOR_TOKEN to choose your own): {}", config.operatorToken());
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            broker.stop();
        }, "ichiba-shutdown"));
    }

    /** The JDK's property that sizes the common fork-join pool. */
    static final String COMMON_POOL = "java.util.concurrent.ForkJoinPool.common.parallelism";

    /**
     * Gives the JDK's common pool two threads on a machine of one or two cores (unless set): with one, Hazelcast runs
     * every asynchronous completion on a thread of its own, started for it (the write-behind's, a thousand a second
     * under load, measured with JFR). Must run before anything uses the pool.
     */
    static void commonPoolOfTwo() {
        if (System.getProperty(COMMON_POOL) == null && Runtime.getRuntime().availableProcessors() <= 2) {
            System.setProperty(COMMON_POOL, "2");
        }
    }
}
