package io.ichiba.bench.redis;

import io.ichiba.ledger.StoreContractTest;
import io.ichiba.ledger.store.Store;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The ledger's contract on {@link RedisStore} over a real {@code redis-server}: every command applied here and
 * written back with the store's compare-and-set, every filter over values read from Redis, live-only filters over
 * the live set.
 */
class RedisStoreTest extends StoreContractTest {
    private static LocalRedis redis;
    private static RedisStore previous;

    @BeforeAll
    static void startRedis() throws Exception {
        redis = LocalRedis.start();
    }

    @AfterAll
    static void stopRedis() {
        if (previous != null) {
            previous.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Override
    protected Store createStore() {
        if (previous != null) { // the contract test does not close its stores; one connection at a time here
            previous.close();
        }
        redis.flush();
        previous = new RedisStore(redis.uri(), "ichiba:");
        return previous;
    }
}
