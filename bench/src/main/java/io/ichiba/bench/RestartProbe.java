package io.ichiba.bench;

import com.hazelcast.core.HazelcastInstance;
import io.ichiba.ledger.Admission;
import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.LedgerSettings;
import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.engine.EngineListener;
import io.ichiba.ledger.engine.EngineStore;
import io.ichiba.ledger.hazelcast.HazelcastEngine;
import io.ichiba.ledger.jdbc.DurableJournal;
import io.ichiba.ledger.jdbc.DurableStore;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How long a broker alone takes to start again from its embedded database (issue 15: under 10 s with 100 000 live
 * claims and a million journal entries). One Hazelcast member and the engine over the durable journal, as the broker
 * runs them: {@code CLAIMS} claims granted and kept, {@code MINTS} credit mints (each an entry of the credit journal),
 * from 32 threads; then the member shuts down, a new one starts over the same data directory, and the time to an
 * engine that answers is measured, with the database's size and the snapshot it started from.
 *
 * <pre>java -cp ichiba-bench.jar io.ichiba.bench.RestartProbe [CLAIMS [MINTS [OUT.csv]]]</pre>
 */
public final class RestartProbe {
    private static final int THREADS = 32;

    private RestartProbe() {
    }

    public static void main(String[] args) throws Exception {
        int claims = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int mints = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
        Path out = args.length > 2 ? Path.of(args[2]) : null;
        Path dir = Files.createTempDirectory("ichiba-restart-probe-");
        AtomicLong batches = new AtomicLong();
        EngineListener counting = new EngineListener() {
            @Override
            public void journaled(int commands, int records, long nanos) {
                batches.incrementAndGet();
            }
        };

        HazelcastInstance hz = BenchHazelcast.startOne(RestartProbe.class);
        EngineStore store = open(hz, dir, counting);
        Ledger ledger = new Ledger(store, Clock.systemUTC(), LedgerSettings.defaults());
        Admission admission = new Admission(ledger);
        ledger.admitOnIntake(queued -> {
            admission.admit(queued.id());
            Claim c = ledger.claim(queued.id());
            return c == null ? queued : c;
        });
        long capacity = 2L * claims + 1000;
        must(ledger.createTenant("bench", Map.of("memory", capacity, "disk", capacity)).ok(), "tenant");
        must(ledger.report("node-1", Map.of("memory", capacity, "disk", capacity), Map.of()).ok(), "node");
        long loadStart = System.nanoTime();
        run(claims, i -> {
            Claim c = ledger.submit(ClaimRequest.of("c" + i, "bench", Bundle.of(Map.of("memory", 1L, "disk", 1L),
                    List.of()), 0, 86_400, null)).value();
            must(c.state() == ClaimState.GRANTED, "claim c" + i + " " + c.state());
        });
        run(mints, i -> must(ledger.accounts().mint("m" + i, "bench", 1, "probe", null).ok(), "mint " + i));
        double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
        long written = batches.get();
        store.close();
        hz.shutdown();
        long bytes = 0;
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                bytes += Files.size(p);
            }
        }

        long start = System.nanoTime();
        HazelcastInstance again = BenchHazelcast.startOne(RestartProbe.class);
        double memberSeconds = (System.nanoTime() - start) / 1e9;
        EngineStore restarted = open(again, dir, EngineListener.NONE);
        Ledger after = new Ledger(restarted, Clock.systemUTC(), LedgerSettings.defaults());
        Claim last = after.claim("c" + (claims - 1));
        double seconds = (System.nanoTime() - start) / 1e9;
        must(last != null && last.state() == ClaimState.GRANTED, "the last claim after the restart: " + last);
        long live = after.claims("bench", ClaimState.GRANTED).size();
        must(live == claims, "granted after the restart: " + live);
        String row = String.format("%d,%d,%d,%.1f,%d,%.2f,%.2f", claims, mints, written, loadSeconds, bytes,
                memberSeconds, seconds);
        System.out.println("claims,mints,batches,load_s,database_bytes,member_start_s,restart_s");
        System.out.println(row);
        if (out != null) {
            Files.writeString(out, "claims,mints,batches,load_s,database_bytes,member_start_s,restart_s\n" + row + "\n");
        }
        restarted.close();
        again.shutdown();
        System.exit(0);
    }

    private static EngineStore open(HazelcastInstance hz, Path dir, EngineListener listener) {
        EngineStore store = HazelcastEngine.store(hz, listener, j -> new DurableJournal(j,
                DurableStore.embedded(dir, Clock.systemUTC()), 50_000, 300_000, DurableJournal.Listener.NONE,
                System::nanoTime));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!store.engine().active()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no engine in two minutes");
            }
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        return store;
    }

    private interface Step {
        void run(int i);
    }

    private static void run(int n, Step step) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        AtomicLong next = new AtomicLong();
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            done.add(pool.submit(() -> {
                for (long i; (i = next.getAndIncrement()) < n; ) {
                    step.run((int) i);
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        pool.shutdown();
    }

    private static void must(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("failed: " + what);
        }
    }
}
