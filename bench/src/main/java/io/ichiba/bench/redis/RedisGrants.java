package io.ichiba.bench.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * What a user would build instead of Ichiba: pools as counters in one {@code redis-server}, and an all-or-nothing
 * acquire of a bundle as one Lua script that checks every counter and decrements them all, or none.
 *
 * <p>Keys: {@code pool:<id>} holds a pool's free amount; {@code claim:<id>} is a hash from pool id to the amount
 * the claim holds there, so that a release gives back exactly what was taken, once. Redis runs one script at a
 * time, so the check and the decrements are atomic; a release of an unknown or released claim does nothing.
 *
 * <p>This is not a ledger {@code Store}: a store runs the ledger's Java commands on a key, which Redis can only
 * do by optimistic WATCH/MULTI/EXEC round trips, not something a user would write. It is the counters-and-script
 * design that the benchmarks compare Ichiba with, in process and behind the same HTTP routes.
 */
public final class RedisGrants implements AutoCloseable {
    /** KEYS = claim, pool...; ARGV = amount per pool. Returns 1 when held (now or already), 0 when it does not fit. */
    static final String ACQUIRE = """
            if redis.call('EXISTS', KEYS[1]) == 1 then return 1 end
            for i = 2, #KEYS do
              local free = tonumber(redis.call('GET', KEYS[i]) or '0')
              if free < tonumber(ARGV[i - 1]) then return 0 end
            end
            for i = 2, #KEYS do
              redis.call('DECRBY', KEYS[i], ARGV[i - 1])
              redis.call('HSET', KEYS[1], KEYS[i], ARGV[i - 1])
            end
            return 1
            """;
    /** KEYS = claim. Gives back what the claim holds, once. Returns 1 when something was returned. */
    static final String RELEASE = """
            local held = redis.call('HGETALL', KEYS[1])
            if #held == 0 then return 0 end
            for i = 1, #held, 2 do
              redis.call('INCRBY', held[i], held[i + 1])
            end
            redis.call('DEL', KEYS[1])
            return 1
            """;

    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;
    private final RedisAsyncCommands<String, String> async;
    private final String acquireSha;
    private final String releaseSha;

    /** Connects to {@code uri} (e.g. {@code redis://127.0.0.1:6399}) and loads the scripts. */
    public RedisGrants(String uri) {
        this.client = RedisClient.create(uri);
        this.connection = client.connect();
        this.async = connection.async();
        this.acquireSha = connection.sync().scriptLoad(ACQUIRE);
        this.releaseSha = connection.sync().scriptLoad(RELEASE);
    }

    /** The key of a pool's counter. */
    public static String poolKey(String pool) {
        return "pool:" + pool;
    }

    /** Deletes every key of the database (the benchmark's own redis-server). */
    public void flush() {
        connection.sync().flushdb();
    }

    /** Sets the free amount of {@code pool}. */
    public void setFree(String pool, long free) {
        connection.sync().set(poolKey(pool), Long.toString(free));
    }

    /** Returns the free amount of {@code pool}. */
    public long free(String pool) {
        String v = connection.sync().get(poolKey(pool));
        return v == null ? 0 : Long.parseLong(v);
    }

    /** Takes {@code amounts[i]} of each {@code pools[i]} for {@code claim}, all or nothing; true when held. */
    public CompletionStage<Boolean> acquire(String claim, List<String> pools, List<Long> amounts) {
        String[] keys = new String[pools.size() + 1];
        keys[0] = "claim:" + claim;
        for (int i = 0; i < pools.size(); i++) {
            keys[i + 1] = poolKey(pools.get(i));
        }
        String[] args = amounts.stream().map(String::valueOf).toArray(String[]::new);
        return async.<Long>evalsha(acquireSha, ScriptOutputType.INTEGER, keys, args).thenApply(r -> r == 1L);
    }

    /** Gives back what {@code claim} holds; true when it held something. */
    public CompletionStage<Boolean> release(String claim) {
        return async.<Long>evalsha(releaseSha, ScriptOutputType.INTEGER, "claim:" + claim).thenApply(r -> r == 1L);
    }

    /** {@link #acquire}, waiting for the answer. */
    public boolean acquireNow(String claim, List<String> pools, List<Long> amounts) {
        return acquire(claim, pools, amounts).toCompletableFuture().join();
    }

    /** {@link #release}, waiting for the answer. */
    public boolean releaseNow(String claim) {
        return release(claim).toCompletableFuture().join();
    }

    @Override
    public void close() {
        connection.close();
        client.shutdown();
    }
}
