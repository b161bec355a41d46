package io.ichiba.bench.http;

import io.ichiba.bench.redis.RedisStore;
import io.ichiba.broker.Broker;
import io.ichiba.broker.BrokerConfig;

/**
 * Ichiba's whole broker — the same routes, contract, admission loop, reaper and metrics as {@code ichiba-broker.jar} —
 * with its ledger on {@link RedisStore} instead of the member's maps: the {@code ichiba-redis} arm of the HTTP
 * benchmark. Configured like the broker (environment variables, {@code --config FILE}); the Redis database is
 * {@code --redis URI} (default {@code redis://127.0.0.1:16381}), whose {@code ichiba:} keys are deleted first.
 *
 * <pre>
 * ICHIBA_HTTP_PORT=18084 java -cp bench/target/ichiba-bench.jar io.ichiba.bench.http.RedisBroker --redis URI
 * </pre>
 */
public final class RedisBroker {
    /** The prefix of the store's keys. */
    static final String PREFIX = "ichiba:";

    private RedisBroker() {
    }

    /** Starts the broker and stops it on SIGTERM. */
    public static void main(String[] args) throws Exception {
        System.setProperty("hazelcast.logging.type", "slf4j");
        String uri = Flags.parse(args).get("redis", "redis://127.0.0.1:16381");
        BrokerConfig config = BrokerConfig.load(args, System.getenv());
        RedisStore.drop(uri, PREFIX);
        Broker broker = Broker.start(config, hz -> new RedisStore(uri, PREFIX));
        Runtime.getRuntime().addShutdownHook(new Thread(broker::stop, "ichiba-shutdown"));
    }
}
