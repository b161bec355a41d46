package io.ichiba.bench.redis;

import io.ichiba.ledger.Command;
import io.ichiba.ledger.HandlerCommands.Cursor;
import io.ichiba.ledger.StoreHammer;
import io.ichiba.ledger.store.Store;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link RedisStore} under many threads and two connections to one database (as two brokers would be): the
 * compare-and-set loses no update, and the ledger's laws hold under the {@link StoreHammer} workload.
 */
class RedisStoreConcurrencyTest {
    private static LocalRedis redis;

    @BeforeAll
    static void startRedis() throws Exception {
        redis = LocalRedis.start();
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    @BeforeEach
    void flush() {
        redis.flush();
    }

    /** Adds one to a counter: a command whose lost updates would show in the total. */
    record Increment() implements Command<Cursor, Long> {
        @Override
        public Outcome<Cursor, Long> apply(Cursor current) {
            long next = current == null ? 1 : current.seq() + 1;
            return Outcome.write(new Cursor(next), next);
        }
    }

    @Test
    void noUpdateIsLostBetweenThreadsAndConnections() throws Exception {
        int threads = 8;
        int each = 250;
        try (RedisStore a = new RedisStore(redis.uri(), "ichiba:");
             RedisStore b = new RedisStore(redis.uri(), "ichiba:")) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<List<Long>>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    Store store = t % 2 == 0 ? a : b;
                    results.add(pool.submit(() -> {
                        List<Long> seen = new ArrayList<>();
                        for (int i = 0; i < each; i++) {
                            seen.add(store.cursors().execute("counter", new Increment()));
                        }
                        return seen;
                    }));
                }
                List<Long> all = new ArrayList<>();
                for (Future<List<Long>> f : results) {
                    all.addAll(f.get(60, TimeUnit.SECONDS));
                }
                assertThat(a.cursors().get("counter").seq()).isEqualTo((long) threads * each);
                assertThat(all).as("each increment answered a value of its own").doesNotHaveDuplicates()
                        .hasSize(threads * each);
            } finally {
                pool.shutdownNow();
            }
            System.out.printf("RedisStore conflicts retried: %d + %d%n", a.conflicts(), b.conflicts());
        }
    }

    @Test
    void aRemovedKeyWrittenAgainIsNotTakenForTheValueRead() {
        try (RedisStore a = new RedisStore(redis.uri(), "ichiba:");
             RedisStore b = new RedisStore(redis.uri(), "ichiba:")) {
            a.cursors().execute("k", new Increment());
            // While a's command runs on the value it read (1), b removes the key and writes it again: a store that
            // compared versions and started them again at a new key would take the new value for the one read.
            Long answer = a.cursors().execute("k", current -> {
                if (current != null && current.seq() == 1) {
                    b.cursors().execute("k", c -> Command.Outcome.write(null, null));
                    b.cursors().execute("k", c -> Command.Outcome.write(new Cursor(10), null));
                }
                long next = (current == null ? 0 : current.seq()) + 1;
                return Command.Outcome.write(new Cursor(next), next);
            });
            assertThat(answer).as("the command ran again on the new value").isEqualTo(11);
            assertThat(a.cursors().get("k").seq()).isEqualTo(11);
            assertThat(a.conflicts()).isEqualTo(1);
        }
    }

    @Test
    void theLedgerKeepsItsLawsUnderTheHammerThroughTwoConnections() throws Exception {
        try (RedisStore a = new RedisStore(redis.uri(), "ichiba:");
             RedisStore b = new RedisStore(redis.uri(), "ichiba:")) {
            new StoreHammer(List.of(a, b)).run();
        }
    }
}
