package io.ichiba.bench;

import io.ichiba.broker.Broker;
import io.ichiba.broker.BrokerConfig;
import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.LedgerSettings;
import io.ichiba.ledger.Result;
import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.ClaimFilters;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.claim.ClaimState;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The broker's heap per 1 000 pools, per 10 000 live (granted) claims and per 10 000 queued claims: a real broker
 * (Hazelcast member, Vert.x, HTTP, admission loop, reaper) started in this JVM, filled through its
 * {@link Ledger}, with the used heap read after forced full collections at each step.
 *
 * <p>Run: {@code java <hz.jvm.args> -Xmx2g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn
 * -cp bench/target/ichiba-bench.jar io.ichiba.bench.MemoryProbe /tmp/memory.csv}; it writes and prints
 * {@code what,count,heap_bytes,bytes_each}.
 *
 * <h2>Steps</h2>
 * <pre>
 *   empty     the broker started, 100 tenants, no node, claim or lock              (baseline)
 *   pools     500 nodes × (memory, disk) reported = 1 000 pools                   bytes_each per pool
 *   granted   100 tenants, 10 000 claims (1 MiB memory + 1 MiB disk, 20 per node), granted by the broker's
 *             own admission loop                                                   bytes_each per claim
 *   queued    10 000 more claims that also want lock {@code gate}, held by another claim, so they stay queued
 *                                                                                  bytes_each per claim
 * </pre>
 * Each row's {@code bytes_each} is its heap growth over the row before, divided by its count.
 *
 * <h2>What is counted</h2>
 * Everything a claim adds on this member: its record, its hold in its tenant's and its node's holdings, the
 * Hazelcast map entries (OBJECT format, so the records themselves), and its events in the event log's ring
 * buffer (up to 100 000 events for an hour: {@code claim.queued} and {@code claim.granted} here). One member
 * holds every primary copy and no backup; in a cluster of two or more each member holds its share of the
 * primaries and as many backup copies (one synchronous backup), so the cluster as a whole holds about twice
 * these numbers, spread over its members.
 *
 * <p>The {@code queued} row also counts the admission loop's working set: every pass reads all queued claims
 * through a Hazelcast query (each claim serialized, then deserialized into a fresh copy) and sorts them, and with
 * 10 000 queued a pass takes longer than the loop's 250 ms period, so one is nearly always in flight when the heap
 * is read. That is what a broker with that queue holds, but most of it is per pass, not per stored claim.
 * Heap is the live heap as the JVM's class histogram counts it ({@code GC.class_histogram}, what {@code jcmd}
 * prints: a full collection, then every live object by class), the lowest of three readings 0.7 s apart, so that
 * a transient copy held by the broker's periodic work at one reading does not count. Beside the CSV, a second file
 * ({@code -classes.csv}) gives, for each row, the classes that grew most, per item (the first 8; the system property
 * {@code ichiba.probe.classes} sets how many).
 */
public final class MemoryProbe {
    private static final int NODES = 500;
    private static final int TENANTS = 100;
    private static final int CLAIMS = 10_000;
    private static final long HUGE = 1L << 40;
    private static final long LEASE_SECONDS = 86_400;

    private final List<String> rows = new ArrayList<>();
    private final List<String> classRows = new ArrayList<>();
    private long last;
    private Map<String, Long> lastClasses = Map.of();

    private MemoryProbe() {
    }

    /** Runs the probe; {@code args[0]} is the CSV file to write (default {@code memory-probe.csv}). */
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args.length > 0 ? args[0] : "memory-probe.csv");
        new MemoryProbe().run(out);
        System.exit(0);
    }

    private void run(Path out) throws Exception {
        BrokerConfig config = BrokerConfig.from(Map.of("http.host", "127.0.0.1", "audit.interval.seconds", "0")::get)
                .withPorts(0, freePort(), List.of()).withDurability(BrokerConfig.Durability.none())
                .withCluster("ichiba-memory-probe-" + UUID.randomUUID(), "memory-probe-operator-token-0123456789")
                .withLedger(LedgerSettings.defaults().withNodeGraceMillis(0)
                        .withLimits(io.ichiba.ledger.tenant.TenantLimits.NONE)); // what is measured, not what a tenant may have
        Broker broker = Broker.start(config);
        try {
            Ledger ledger = broker.ledger();
            for (int t = 0; t < TENANTS; t++) {
                require(ledger.createTenant("tenant-" + t, Map.of("memory", HUGE, "disk", HUGE)));
            }
            touchTables(ledger);
            row("empty", 0);
            for (int n = 0; n < NODES; n++) {
                require(ledger.report(node(n), Map.of("memory", HUGE, "disk", HUGE), Map.of("memory", HUGE, "disk", HUGE)));
            }
            row("pools", 2 * NODES);
            Bundle one = Bundle.of(Map.of("memory", 1L, "disk", 1L), List.of());
            for (int i = 0; i < CLAIMS; i++) {
                require(ledger.submit(ClaimRequest.of("g-" + i, "tenant-" + (i % TENANTS), one, 0, LEASE_SECONDS,
                        node(i % NODES))));
            }
            await(ledger, ClaimState.GRANTED, CLAIMS);
            row("granted", CLAIMS);
            require(ledger.createLock("gate", 1));
            require(ledger.submit(ClaimRequest.of("gate-holder", "tenant-0", Bundle.of(Map.of(), List.of("gate")), 0,
                    LEASE_SECONDS, null)));
            await(ledger, ClaimState.GRANTED, CLAIMS + 1);
            Bundle gated = Bundle.of(Map.of("memory", 1L, "disk", 1L), List.of("gate"));
            for (int i = 0; i < CLAIMS; i++) {
                require(ledger.submit(ClaimRequest.of("w-" + i, "tenant-" + (i % TENANTS), gated, 0, LEASE_SECONDS,
                        node(i % NODES))));
            }
            await(ledger, ClaimState.QUEUED, CLAIMS);
            Thread.sleep(1_000); // a pass or two to mark them considered, as they would be in a running broker
            row("queued", CLAIMS);
        } finally {
            broker.stop();
        }
        List<String> lines = new ArrayList<>();
        lines.add("what,count,heap_bytes,bytes_each");
        lines.addAll(rows);
        Files.write(out, lines);
        List<String> classes = new ArrayList<>();
        classes.add("what,class,bytes_each");
        classes.addAll(classRows);
        Files.write(out.resolveSibling(out.getFileName().toString().replace(".csv", "") + "-classes.csv"), classes);
        lines.forEach(System.out::println);
    }

    /** Creates the maps the steps use, so that their empty containers are in the baseline, not in a step. */
    private static void touchTables(Ledger ledger) {
        ledger.store().nodes().get("none");
        ledger.store().claims().get("none");
        ledger.store().locks().get("none");
        ledger.store().tenants().get("none");
    }

    private static String node(int n) {
        return String.format("node-%03d", n);
    }

    private void row(String what, int count) throws Exception {
        Map<String, Long> classes = liveHeap();
        long heap = classes.get(TOTAL);
        long each = count == 0 ? 0 : Math.round((heap - last) / (double) count);
        rows.add(what + "," + count + "," + heap + "," + each);
        System.out.printf("%s: %d, heap %.1f MB, %d bytes each%n", what, count, heap / 1e6, each);
        if (count > 0) {
            Map<String, Long> before = lastClasses;
            classes.entrySet().stream().filter(e -> !e.getKey().equals(TOTAL))
                    .map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
                    .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                    .limit(Integer.getInteger("ichiba.probe.classes", 8))
                    .forEach(e -> classRows.add(what + "," + e.getKey() + "," + Math.round(e.getValue()
                            / (double) count)));
        }
        last = heap;
        lastClasses = classes;
    }

    private static final String TOTAL = "Total";
    private static final java.util.regex.Pattern HISTOGRAM_LINE =
            java.util.regex.Pattern.compile("^\\s*(?:\\d+:|Total)\\s+\\d+\\s+(\\d+)\\s*(\\S*).*$");

    /**
     * The live heap by class (and its sum under {@value #TOTAL}), from the JVM's class histogram; the reading with
     * the smallest sum of three.
     */
    private static Map<String, Long> liveHeap() throws Exception {
        javax.management.MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        javax.management.ObjectName command = new javax.management.ObjectName(
                "com.sun.management:type=DiagnosticCommand");
        Map<String, Long> best = null;
        for (int i = 0; i < 3; i++) {
            if (i > 0) {
                Thread.sleep(700);
            }
            String text = (String) server.invoke(command, "gcClassHistogram", new Object[] {null},
                    new String[] {String[].class.getName()});
            Map<String, Long> byClass = new java.util.HashMap<>();
            for (String line : text.split("\\R")) {
                java.util.regex.Matcher m = HISTOGRAM_LINE.matcher(line);
                if (m.matches()) {
                    String name = line.trim().startsWith(TOTAL) ? TOTAL : m.group(2);
                    byClass.merge(name, Long.parseLong(m.group(1)), Long::sum);
                }
            }
            if (best == null || byClass.getOrDefault(TOTAL, Long.MAX_VALUE) < best.get(TOTAL)) {
                best = byClass;
            }
        }
        return best;
    }

    private static void await(Ledger ledger, ClaimState state, int count) throws InterruptedException {
        long deadline = System.nanoTime() + 120_000_000_000L;
        int seen = 0;
        while (System.nanoTime() < deadline) {
            seen = ledger.store().claims().values(new ClaimFilters.ClaimIn(Set.of(state))).size();
            if (seen >= count) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(seen + " claims " + state + " after 2 minutes, wanted " + count);
    }

    private static void require(Result<?> r) {
        if (!r.ok()) {
            throw new IllegalStateException(r.rejection().toString());
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }
}
