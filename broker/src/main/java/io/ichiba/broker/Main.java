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
        System.setProperty("hazelcast.logging.type", "slf4j");
        BrokerConfig config = BrokerConfig.load(args, System.getenv());
        Broker broker = Broker.start(config);
        if (!config.operatorTokenGiven()) {
            LOG.info("operator token (set ICHIBA_OPERATOR_TOKEN to choose your own): {}", config.operatorToken());
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            broker.stop();
        }, "ichiba-shutdown"));
    }
}
