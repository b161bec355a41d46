package io.ichiba.bench;

import com.hazelcast.core.HazelcastInstance;
import io.ichiba.ledger.Admission;
import io.ichiba.ledger.Bundle;
import io.ichiba.ledger.ClaimState;
import io.ichiba.ledger.Filters;
import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.LedgerSettings;
import io.ichiba.ledger.hazelcast.HazelcastStore;
import io.ichiba.ledger.store.InMemoryStore;
import io.ichiba.ledger.store.Store;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where one claim+grant+release spends its time, part by part, on {@link InMemoryStore} and on {@link HazelcastStore}
 * (one embedded member), with {@value #NODES} nodes and as many locks: the parts the admission path is made of,
 * each repeated and averaged after a warm-up. A coarse profile that explains {@link GrantBench}'s ledger arms; JFR
 * shows the benchmark thread mostly parked on Hazelcast operations, which is why it is measured this way.
 *
 * <p>Usage: {@code GrantParts OUT.csv} (appends {@code store,part,micros_per_call}).
 */
public final class GrantParts {
    static final int NODES = 64;
    private static final int WARMUP = 300;
    private static final int CALLS = 500;
    private static final long BIG = 1L << 40;

    private GrantParts() {
    }

    /** Measures both stores and appends the rows to {@code args[0]}. */
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        boolean header = !Files.exists(out);
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND))) {
            if (header) {
                w.println("store,part,micros_per_call");
            }
            measure("memory", new InMemoryStore(), w);
            HazelcastInstance hz = BenchHazelcast.startOne(GrantParts.class);
            try {
                measure("hazelcast", new HazelcastStore(hz), w);
            } finally {
                hz.shutdown();
            }
        }
    }

    private static void measure(String name, Store store, PrintWriter w) {
        Ledger ledger = new Ledger(store, Clock.systemUTC(), LedgerSettings.defaults());
        Admission admission = new Admission(ledger);
        ledger.createTenant("bench", Map.of("memory", BIG, "disk", BIG));
        for (int i = 0; i < NODES; i++) {
            ledger.report("node-" + i, Map.of("memory", BIG, "disk", BIG), Map.of("memory", BIG, "disk", BIG));
            ledger.createLock("lock-" + i, 1_000);
        }
        Bundle bundle = Bundle.of(Map.of("memory", 64L, "disk", 16L), List.of("lock-1"));
        long[] seq = {0};
        Map<String, Runnable> parts = new java.util.LinkedHashMap<>();
        parts.put("get one node", () -> store.nodes().get("node-1"));
        parts.put("get the tenant", () -> store.tenants().get("bench"));
        parts.put("Java-serialize a node and read it back", () -> copy(store.nodes().get("node-1")));
        parts.put("read every node (entries)", () -> store.nodes().entries());
        parts.put("read every lock (entries)", () -> store.locks().entries());
        parts.put("query queued claims", () -> store.claims().values(new Filters.ClaimIn(Set.of(ClaimState.QUEUED))));
        parts.put("reservations sweep (none)", () -> ledger.reservations().sweep());
        parts.put("pass over an empty queue", admission::pass);

        for (var e : parts.entrySet()) {
            for (int i = 0; i < WARMUP; i++) {
                e.getValue().run();
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < CALLS; i++) {
                e.getValue().run();
            }
            double micros = (System.nanoTime() - t0) / 1e3 / CALLS;
            row(w, name, e.getKey(), micros);
        }
        whole(w, name, ledger, admission, bundle, "node-1", "pinned");
        whole(w, name, ledger, admission, bundle, null, "broker chooses the node");
    }

    /** Claim+grant+release, timing its three steps apart. */
    private static void whole(PrintWriter w, String name, Ledger ledger, Admission admission, Bundle bundle,
                              String node, String label) {
        long[] nanos = new long[3];
        for (int i = 0; i < WARMUP + CALLS; i++) {
            String id = label.charAt(0) + "-" + i;
            long t0 = System.nanoTime();
            ledger.submit(id, "bench", bundle, 5, 60, node);
            long t1 = System.nanoTime();
            admission.pass();
            long t2 = System.nanoTime();
            if (ledger.claim(id).state() != ClaimState.GRANTED) {
                throw new IllegalStateException("not granted in one pass: " + ledger.claim(id));
            }
            long t3 = System.nanoTime();
            ledger.release(id);
            long t4 = System.nanoTime();
            if (i >= WARMUP) {
                nanos[0] += t1 - t0;
                nanos[1] += t2 - t1;
                nanos[2] += t4 - t3;
            }
        }
        row(w, name, "submit (" + label + ")", nanos[0] / 1e3 / CALLS);
        row(w, name, "pass granting it (" + label + ")", nanos[1] / 1e3 / CALLS);
        row(w, name, "release (" + label + ")", nanos[2] / 1e3 / CALLS);
        row(w, name, "claim+grant+release (" + label + ")", (nanos[0] + nanos[1] + nanos[2]) / 1e3 / CALLS);
    }

    /** What reading a value out of Hazelcast costs at least: the value written and read by Java serialization. */
    private static Object copy(Object value) {
        try {
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
                out.writeObject(value);
            }
            try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(
                    new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
                return in.readObject();
            }
        } catch (java.io.IOException | ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void row(PrintWriter w, String store, String part, double micros) {
        w.printf(java.util.Locale.ROOT, "%s,%s,%.1f%n", store, part, micros);
        w.flush();
        System.out.printf(java.util.Locale.ROOT, "%-10s %-48s %10.1f µs%n", store, part, micros);
    }
}
