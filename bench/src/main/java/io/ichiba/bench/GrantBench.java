package io.ichiba.bench;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import io.ichiba.bench.redis.RedisGrants;
import io.ichiba.ledger.Admission;
import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.LedgerSettings;
import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.engine.EngineStore;
import io.ichiba.ledger.hazelcast.HazelcastEngine;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.Serializable;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Claim, grant and release of one bundle (memory and disk of a node, and one permit of a lock), in process, through
 * six arms measured in the same run:
 *
 * <ul>
 *   <li>{@code jdk}: the floor of the JDK: one {@link ConcurrentHashMap#compute} that checks and decrements three
 *       counters of one key, and one that gives them back;</li>
 *   <li>{@code entryProcessor}: the limit of the stack: the same as one bare Hazelcast {@link EntryProcessor} on one
 *       key of an IMap configured as the ledger's (OBJECT format, one synchronous backup), and one to give back;</li>
 *   <li>{@code engine}: Ichiba's ledger as a broker runs it: the engine's store over the Hazelcast journal on one
 *       embedded member ({@link HazelcastEngine}), the submission and its admission ({@link Admission#admit}) one
 *       command, passes until the claim is granted, the release one command; every batch journaled (an entry
 *       processor on the journal's head) before its callers are answered;</li>
 *   <li>{@code entryProcessor2}, {@code engine2}: the same as {@code entryProcessor} and {@code engine} on a cluster
 *       of two members in this process, so that every change has a backup copy sent to the other member (the engine
 *       arm's callers are on the engine's member, as the HTTP edge of a broker that runs the engine);</li>
 *   <li>{@code redis}: what a user would write instead: {@link RedisGrants} (pools as counters, one Lua script
 *       checks and decrements every counter of the bundle, all or nothing) on a local {@code redis-server}, through
 *       Lettuce; its address is the system property {@code ichiba.bench.redis}.</li>
 * </ul>
 *
 * <p>{@code keys=hot}: every thread takes from the same node and lock; {@code keys=spread}: each thread has a node
 * and a lock of its own. The ledger arms also hold the tenant's quota and write a claim record with its events
 * (the work the baselines do not do); the admission pass is global, so two threads' passes see each other's claims.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "--add-modules", "java.se",
        "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED", "--add-opens", "java.base/java.lang=ALL-UNNAMED",
        "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens", "java.management/sun.management=ALL-UNNAMED",
        "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
        "-Dhazelcast.phone.home.enabled=false", "-Dhazelcast.logging.type=slf4j",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-Djava.util.concurrent.ForkJoinPool.common.parallelism=2"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class GrantBench {
    /** Units of memory and disk per bundle; capacity is far larger, so only contention limits. */
    static final long MEMORY = 64;
    static final long DISK = 16;
    static final long CAPACITY = 1L << 40;
    static final int LOCK_PERMITS = 1_000;
    static final int MAX_THREADS = 64;

    @Param({"jdk", "entryProcessor", "engine", "redis", "entryProcessor2", "engine2"})
    public String arm;

    @Param({"hot", "spread"})
    public String keys;

    private Arm impl;
    private final AtomicInteger threads = new AtomicInteger();

    /** Three counters of one key: what the baselines decrement. */
    record Counters(long memory, long disk, long permits) implements Serializable {
        Counters take(long m, long d) {
            return memory < m || disk < d || permits < 1 ? this : new Counters(memory - m, disk - d, permits - 1);
        }

        Counters give(long m, long d) {
            return new Counters(memory + m, disk + d, permits + 1);
        }
    }

    /** One arm: acquire a bundle on a node and a lock for a claim id, then release it. */
    interface Arm extends AutoCloseable {
        void claimGrantRelease(String claim, int slot);

        @Override
        default void close() {
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        impl = switch (arm) {
            case "jdk" -> new JdkArm();
            case "entryProcessor" -> new EntryProcessorArm(1);
            case "entryProcessor2" -> new EntryProcessorArm(2);
            case "engine" -> new EngineArm(1);
            case "engine2" -> new EngineArm(2);
            case "redis" -> new RedisArm(redisUri());
            default -> throw new IllegalArgumentException("unknown arm " + arm);
        };
    }

    private static String redisUri() {
        return System.getProperty("ichiba.bench.redis", "redis://127.0.0.1:16380");
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        impl.close();
    }

    /** A thread's own slot (its node and lock under {@code keys=spread}) and claim ids. */
    @State(Scope.Thread)
    public static class Caller {
        int slot;
        long seq;
        String prefix;

        @Setup(Level.Trial)
        public void setUp(GrantBench bench) {
            slot = "hot".equals(bench.keys) ? 0 : bench.threads.getAndIncrement() % MAX_THREADS;
            prefix = "t" + System.identityHashCode(this) + "-";
        }
    }

    @Benchmark
    public void claimGrantRelease(Caller caller) {
        impl.claimGrantRelease(caller.prefix + caller.seq++, caller.slot);
    }

    static <T> T must(io.ichiba.ledger.Result<T> r) {
        if (!r.ok()) {
            throw new IllegalStateException(r.rejection().toString());
        }
        return r.value();
    }

    /** The ledger arms' world: tenant {@code bench}, and a node and a lock per slot, all far larger than asked. */
    static void provision(Ledger ledger) {
        must(ledger.createTenant("bench", Map.of("memory", CAPACITY, "disk", CAPACITY)));
        for (int i = 0; i < MAX_THREADS; i++) {
            must(ledger.report(node(i), Map.of("memory", CAPACITY, "disk", CAPACITY),
                    Map.of("memory", CAPACITY, "disk", CAPACITY)));
            must(ledger.createLock(lock(i), LOCK_PERMITS));
        }
    }

    static String node(int slot) {
        return "node-" + slot;
    }

    static String lock(int slot) {
        return "lock-" + slot;
    }

    static final class JdkArm implements Arm {
        private final Map<String, Counters> map = new ConcurrentHashMap<>();

        JdkArm() {
            for (int i = 0; i < MAX_THREADS; i++) {
                map.put(node(i), new Counters(CAPACITY, CAPACITY, LOCK_PERMITS));
            }
        }

        @Override
        public void claimGrantRelease(String claim, int slot) {
            String key = node(slot);
            Counters before = map.get(key);
            Counters after = map.compute(key, (k, c) -> c.take(MEMORY, DISK));
            if (after == before) {
                throw new IllegalStateException("capacity ran out: " + after);
            }
            map.compute(key, (k, c) -> c.give(MEMORY, DISK));
        }
    }

    /** Decrements three counters of one key when they all suffice; answers whether it did. */
    record Take(long memory, long disk) implements EntryProcessor<String, Counters, Boolean> {
        @Override
        public Boolean process(Map.Entry<String, Counters> e) {
            Counters c = e.getValue();
            Counters next = c.take(memory, disk);
            if (next == c) {
                return false;
            }
            e.setValue(next);
            return true;
        }
    }

    /** Gives the three counters back. */
    record Give(long memory, long disk) implements EntryProcessor<String, Counters, Boolean> {
        @Override
        public Boolean process(Map.Entry<String, Counters> e) {
            e.setValue(e.getValue().give(memory, disk));
            return true;
        }
    }

    static final class EntryProcessorArm implements Arm {
        private final List<HazelcastInstance> members;
        private final IMap<String, Counters> map;

        EntryProcessorArm(int n) {
            members = BenchHazelcast.startCluster(GrantBench.class, n);
            // named under the ledger's prefix, so that it has the ledger's map configuration
            map = members.get(0).getMap(HazelcastEngine.PREFIX + "bench.counters");
            for (int i = 0; i < MAX_THREADS; i++) {
                map.put(node(i), new Counters(CAPACITY, CAPACITY, LOCK_PERMITS));
            }
        }

        @Override
        public void claimGrantRelease(String claim, int slot) {
            String key = node(slot);
            if (!map.executeOnKey(key, new Take(MEMORY, DISK))) {
                throw new IllegalStateException("capacity ran out on " + key);
            }
            map.executeOnKey(key, new Give(MEMORY, DISK));
        }

        @Override
        public void close() {
            members.forEach(HazelcastInstance::shutdown);
        }
    }

    /** The ledger through the engine over the Hazelcast journal, as a broker runs it; callers on the engine's member. */
    static final class EngineArm implements Arm {
        private final List<HazelcastInstance> members;
        private final List<EngineStore> stores;
        private final EngineStore store;
        private final Ledger ledger;
        private final Admission admission;

        /** What the engine journaled during the trial: batches, commands, records, append time. */
        private final java.util.concurrent.atomic.LongAdder batches = new java.util.concurrent.atomic.LongAdder();
        private final java.util.concurrent.atomic.LongAdder commands = new java.util.concurrent.atomic.LongAdder();
        private final java.util.concurrent.atomic.LongAdder records = new java.util.concurrent.atomic.LongAdder();
        private final java.util.concurrent.atomic.LongAdder appendNanos = new java.util.concurrent.atomic.LongAdder();
        private final long started = System.nanoTime();

        EngineArm(int n) {
            members = BenchHazelcast.startCluster(GrantBench.class, n);
            io.ichiba.ledger.engine.EngineListener counting = new io.ichiba.ledger.engine.EngineListener() {
                @Override
                public void journaled(int c, int r, long nanos) {
                    batches.increment();
                    commands.add(c);
                    records.add(r);
                    appendNanos.add(nanos);
                }
            };
            stores = members.stream().map(m -> HazelcastEngine.store(m, counting)).toList();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (stores.stream().noneMatch(s -> s.engine().active())) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no engine started in a minute");
                }
                java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
            store = stores.stream().filter(s -> s.engine().active()).findFirst().orElseThrow();
            ledger = new Ledger(store, Clock.systemUTC(), LedgerSettings.defaults());
            admission = new Admission(ledger);
            // the broker's intake: a claim just queued is admitted in its submission's command
            ledger.admitOnIntake(queued -> {
                admission.admit(queued.id());
                Claim c = ledger.claim(queued.id());
                return c == null ? queued : c;
            });
            provision(ledger);
        }

        @Override
        public void claimGrantRelease(String claim, int slot) {
            Bundle bundle = Bundle.of(Map.of("memory", MEMORY, "disk", DISK), List.of(lock(slot)));
            Claim c = must(store.atomically(() -> ledger.submit(ClaimRequest.of(claim, "bench", bundle, 5, 60,
                    node(slot)))));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (c.state() != ClaimState.GRANTED) {
                if (c.state() != ClaimState.QUEUED || System.nanoTime() > deadline) {
                    throw new IllegalStateException("not granted: " + c);
                }
                store.atomically(admission::pass); // what the broker's loop does when a claim waits
                c = ledger.claim(claim);
            }
            must(store.atomically(() -> ledger.release(claim)));
        }

        @Override
        public void close() {
            long b = Math.max(1, batches.sum());
            double seconds = (System.nanoTime() - started) / 1e9;
            // the trial's whole life (setup, warmup, measurement): what a batch looked like, not a rate to report
            System.out.printf("%nengine: %d batches in %.0f s, %.1f commands and %.1f records a batch, append %.0f us"
                    + " a batch, %.0f %% of the time in appends%n", batches.sum(), seconds,
                    (double) commands.sum() / b, (double) records.sum() / b, appendNanos.sum() / 1e3 / b,
                    100 * appendNanos.sum() / 1e9 / seconds);
            stores.forEach(EngineStore::close);
            members.forEach(HazelcastInstance::shutdown);
        }
    }

    static final class RedisArm implements Arm {
        private final RedisGrants redis;

        RedisArm(String uri) {
            redis = new RedisGrants(uri);
            redis.flush();
            for (int i = 0; i < MAX_THREADS; i++) {
                redis.setFree("memory@" + node(i), CAPACITY);
                redis.setFree("disk@" + node(i), CAPACITY);
                redis.setFree("lock:" + lock(i), LOCK_PERMITS);
            }
        }

        @Override
        public void claimGrantRelease(String claim, int slot) {
            List<String> pools = List.of("memory@" + node(slot), "disk@" + node(slot), "lock:" + lock(slot));
            if (!redis.acquireNow(claim, pools, List.of(MEMORY, DISK, 1L))) {
                throw new IllegalStateException("capacity ran out in redis");
            }
            redis.releaseNow(claim);
        }

        @Override
        public void close() {
            redis.close();
        }
    }
}
