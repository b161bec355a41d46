package io.ichiba.broker;

import com.fasterxml.jackson.databind.JsonNode;
import io.ichiba.agent.Backoff;
import io.ichiba.agent.Probe;
import io.ichiba.agent.Reporter;
import io.ichiba.agent.Runner;
import io.ichiba.agent.RunnerSettings;
import io.ichiba.agent.Sleeper;
import io.ichiba.api.Model;
import io.ichiba.api.client.IchibaClient;
import io.ichiba.ledger.LedgerSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * End to end with real processes: a real broker, and agents in runner mode in this JVM (a {@link Reporter} and a
 * {@link Runner} each, with its own node, token and work directory), talking to the broker over HTTP only.
 *
 * <p>Each node reports 4096 MiB of memory; the twenty jobs ask 1500 to 3000 MiB each, so at most two run on a node
 * at once and most wait. Each job records when it started and ended; from those intervals the test checks that the
 * bundles of the jobs running at the same time on a node never exceeded its capacity.
 */
class RunnerE2EIT {
    private static final long NODE_MIB = 4096;
    private static final long GRACE_MILLIS = 1_500;
    private static final Duration BOUND = Duration.ofSeconds(60);
    private static final Pattern LINE = Pattern.compile("^(start|end) (\\d+)$");

    private static TestBrokers cluster;
    private static Http op;
    private static World world;
    private static String base;

    @TempDir
    Path temp;

    private final List<InJvmAgent> agents = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        cluster = new TestBrokers(LedgerSettings.defaults().withNodeGraceMillis(GRACE_MILLIS));
        Broker b = cluster.start();
        op = TestBrokers.operator(b);
        world = new World(op);
        base = op.base();
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    @AfterEach
    void killAgentsAndLeftovers() {
        agents.forEach(InJvmAgent::kill);
        // every job process is a descendant of this JVM: none may outlive the test
        ProcessHandle.current().descendants().forEach(ProcessHandle::destroyForcibly);
    }

    @Test
    void twentyJobsThatCannotAllFitNeverOverfillANodeAndEveryTokenReturns() throws Exception {
        InJvmAgent a = agent();
        InJvmAgent b = agent();
        IchibaClient tenant = tenant();
        Path shared = Files.createDirectories(temp.resolve("shared"));
        Random random = new Random(42);
        Map<String, String> idOf = new HashMap<>();
        Map<String, Long> memoryOf = new HashMap<>();
        int queuedAtOnce = 0;
        for (int i = 0; i < 20; i++) {
            String name = String.format(Locale.ROOT, "job-%02d", i);
            long memory = 1500 + random.nextInt(1501);
            String nap = String.format(Locale.ROOT, "0.%d", 1 + random.nextInt(5));
            Model.Job j = tenant.submitJob(new Model.JobCreate(List.of("sh", "-c",
                            "echo start $(date +%s%N) >> \"$OUT\"; sleep \"$NAP\"; echo end $(date +%s%N) >> \"$OUT\""),
                    Map.of("OUT", shared.resolve(name).toString(), "NAP", nap),
                    Model.Bundle.of(Map.of("memory", memory), null), 0, 30L, null), World.name(name));
            idOf.put(name, j.id());
            memoryOf.put(name, memory);
            queuedAtOnce += "QUEUED".equals(j.state()) ? 1 : 0;
        }
        assertThat(queuedAtOnce).as("most jobs cannot start at once").isGreaterThanOrEqualTo(10);

        await().atMost(BOUND).until(() -> idOf.values().stream()
                .allMatch(id -> ended(tenant.job(id).state())));

        Map<String, List<long[]>> intervals = new HashMap<>();
        for (Map.Entry<String, String> e : idOf.entrySet()) {
            Model.Job j = tenant.job(e.getValue());
            assertThat(j.state()).as(j.toString()).isEqualTo("SUCCEEDED");
            assertThat(j.exitCode()).isZero();
            assertThat(j.node()).isIn(a.node, b.node);
            long[] interval = interval(shared.resolve(e.getKey()));
            intervals.computeIfAbsent(j.node(), n -> new ArrayList<>())
                    .add(new long[] {interval[0], interval[1], memoryOf.get(e.getKey())});
        }
        for (Map.Entry<String, List<long[]>> node : intervals.entrySet()) {
            assertThat(peak(node.getValue())).as("most memory in use at once on %s", node.getKey())
                    .isLessThanOrEqualTo(NODE_MIB);
        }
        assertThat(intervals.values().stream().mapToInt(List::size).sum()).isEqualTo(20);
        assertTokensBack(a, b);
        await().atMost(BOUND).until(() -> a.runner.jobs().isEmpty() && b.runner.jobs().isEmpty());
        world.assertAuditClean();
    }

    @Test
    void aFailingJobAMissingProgramAndACancelledJobEachEndRightAndReturnTheirTokens() throws Exception {
        InJvmAgent a = agent();
        IchibaClient tenant = tenant();

        Model.Job exit3 = tenant.submitJob(job(a.node, "sh", "-c", "echo failing; exit 3"), null);
        Model.Job missing = tenant.submitJob(job(a.node, "/no/such/program", "--help"), null);
        Model.Job endless = tenant.submitJob(job(a.node, "sh", "-c", "sleep 30 & wait"), null);

        assertThat(awaitEnd(tenant, exit3.id())).satisfies(j -> {
            assertThat(j.state()).isEqualTo("FAILED");
            assertThat(j.exitCode()).isEqualTo(3);
            assertThat(j.reason()).isEqualTo("EXIT_3");
        });
        assertThat(Files.readString(a.workDir.resolve(exit3.id()).resolve("output.log"))).contains("failing");
        assertThat(awaitEnd(tenant, missing.id())).satisfies(j -> {
            assertThat(j.state()).isEqualTo("FAILED");
            assertThat(j.exitCode()).isNull();
            assertThat(j.reason()).startsWith("ERROR").contains("/no/such/program");
        });
        await().atMost(BOUND).until(() -> "RUNNING".equals(tenant.job(endless.id()).state())
                && a.runner.pids().containsKey(endless.id()));
        ProcessHandle process = ProcessHandle.of(a.runner.pids().get(endless.id())).orElseThrow();
        List<ProcessHandle> tree = process.descendants().toList();
        assertThat(tree).isNotEmpty();

        Model.Job cancelling = tenant.cancelJob(endless.id());

        assertThat(cancelling.cancelRequested()).isTrue();
        assertThat(awaitEnd(tenant, endless.id()).state()).isEqualTo("CANCELLED");
        await().atMost(Duration.ofSeconds(10)).until(() -> !process.isAlive()
                && tree.stream().noneMatch(ProcessHandle::isAlive));
        assertTokensBack(a);
        world.assertAuditClean();
    }

    @Test
    void aKilledAgentsNodeIsLostWithItsJobAndComesBackWhenTheAgentRestarts() throws Exception {
        InJvmAgent a = agent();
        // the nodes of the tests before this one were left without agents: once they are lost, no other node
        // can be lost while this test runs, and the loss counters move for this test's node only
        await().atMost(BOUND).untilAsserted(() -> op.get("/v1/nodes").body().get("items").forEach(n -> {
            if (!n.get("node").asText().equals(a.node)) {
                assertThat(n.get("state").asText()).as(n.toString()).isEqualTo("LOST");
            }
        }));
        IchibaClient tenant = tenant();
        Model.Job running = tenant.submitJob(job(a.node, "sh", "-c", "sleep 30"), null);
        await().atMost(BOUND).until(() -> "RUNNING".equals(tenant.job(running.id()).state())
                && a.runner.pids().containsKey(running.id()));
        long pid = a.runner.pids().get(running.id());
        assertThat(pool(a.node).get("granted").asLong()).isEqualTo(2000);
        double nodesLost = op.metric("ichiba_nodes_lost_total");
        double grantsLost = op.metric("ichiba_grants_lost_total");

        a.kill(); // as if the agent's process died: its job's process lives on, nobody reports or renews

        await().atMost(Duration.ofSeconds(15)).until(() -> "LOST".equals(nodeState(a.node)));
        Model.Job lost = awaitEnd(tenant, running.id());
        assertThat(lost.state()).isEqualTo("LOST");
        assertThat(lost.reason()).isEqualTo("NODE_LOST");
        assertThat(pool(a.node).get("granted").asLong()).isZero();
        assertThat(pool(a.node).get("capacity").asLong()).isZero();
        // counted just after the grants' tokens return, in the same sweep
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(op.metric("ichiba_nodes_lost_total")).as("this node, once").isEqualTo(nodesLost + 1);
            assertThat(op.metric("ichiba_grants_lost_total")).as("its job's grant").isEqualTo(grantsLost + 1);
        });
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).contains(true);

        a.start(); // the same node, token and work directory

        await().atMost(BOUND).until(() -> "READY".equals(nodeState(a.node)));
        // the new runner finds the process from its state file, sees its job LOST, and stops it
        await().atMost(BOUND).until(() -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
        await().atMost(BOUND).until(() -> a.runner.jobs().isEmpty());
        assertThat(a.workDir.resolve(running.id()).resolve("runner-state.json")).doesNotExist();
        assertThat(tenant.job(running.id()).state()).isEqualTo("LOST");
        await().atMost(BOUND).until(() -> pool(a.node).get("capacity").asLong() == NODE_MIB);

        Model.Job after = tenant.submitJob(job(a.node, "sh", "-c", "exit 0"), null);
        assertThat(awaitEnd(tenant, after.id()).state()).isEqualTo("SUCCEEDED");
        assertTokensBack(a);
        world.assertAuditClean();
    }

    // ---------------------------------------------------------------- helpers

    private InJvmAgent agent() throws IOException {
        String node = World.name("n");
        Http.Answer created = op.post("/v1/agents", Map.of("node", node));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        InJvmAgent agent = new InJvmAgent(node, created.text("token"),
                Files.createDirectories(temp.resolve("work-" + node)));
        agents.add(agent);
        agent.start();
        await().atMost(BOUND).until(() -> "READY".equals(nodeState(node)));
        return agent;
    }

    private static IchibaClient tenant() {
        String id = World.name("t");
        Http.Answer created = op.post("/v1/tenants", Map.of("id", id,
                "quota", Map.of("memory", 1L << 30, "disk", 1L << 30)));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        return IchibaClient.builder(base).token(created.text("token")).requestTimeout(Duration.ofSeconds(10)).build();
    }

    private static Model.JobCreate job(String node, String... command) {
        return new Model.JobCreate(List.of(command), Map.of(), Model.Bundle.of(Map.of("memory", 2000L), null), 0,
                30L, node);
    }

    private static Model.Job awaitEnd(IchibaClient tenant, String id) {
        await().atMost(BOUND).until(() -> ended(tenant.job(id, 5).state()));
        return tenant.job(id);
    }

    private static boolean ended(String state) {
        return List.of("SUCCEEDED", "FAILED", "CANCELLED", "LOST").contains(state);
    }

    private static String nodeState(String node) {
        Http.Answer a = op.get("/v1/nodes/" + node);
        return a.status() == 200 ? a.text("state") : null;
    }

    private static JsonNode pool(String node) {
        return world.pool("memory@" + node);
    }

    private static void assertTokensBack(InJvmAgent... of) {
        for (InJvmAgent a : of) {
            await().atMost(BOUND).untilAsserted(() -> assertThat(pool(a.node).get("granted").asLong())
                    .as("memory granted on %s", a.node).isZero());
        }
        world.assertNoOverGrant();
    }

    /** The start and end (epoch nanos) a job wrote to its file. */
    private static long[] interval(Path file) throws IOException {
        long start = -1;
        long end = -1;
        for (String line : Files.readAllLines(file)) {
            Matcher m = LINE.matcher(line.strip());
            assertThat(m.matches()).as("line '%s' of %s", line, file).isTrue();
            if (m.group(1).equals("start")) {
                assertThat(start).as("one start in %s", file).isEqualTo(-1);
                start = Long.parseLong(m.group(2));
            } else {
                end = Long.parseLong(m.group(2));
            }
        }
        assertThat(start).as("start of %s", file).isPositive();
        assertThat(end).as("end of %s", file).isGreaterThanOrEqualTo(start);
        return new long[] {start, end};
    }

    /** The most memory in use at once over {@code [start, end, memory]} intervals; an end frees before a start takes. */
    static long peak(List<long[]> intervals) {
        List<long[]> events = new ArrayList<>();
        for (long[] i : intervals) {
            events.add(new long[] {i[0], i[2]});
            events.add(new long[] {i[1], -i[2]});
        }
        events.sort(Comparator.<long[]>comparingLong(e -> e[0]).thenComparingLong(e -> e[1]));
        long now = 0;
        long peak = 0;
        for (long[] e : events) {
            now += e[1];
            peak = Math.max(peak, now);
        }
        return peak;
    }

    private static Probe fixed(String kind, long amount) {
        return new Probe() {
            @Override
            public String kind() {
                return kind;
            }

            @Override
            public Reading read() {
                return new Reading(kind, amount, amount);
            }
        };
    }

    /** An agent in runner mode inside this JVM: its reporter and runner on their own threads. */
    private static final class InJvmAgent {
        final String node;
        final String token;
        final Path workDir;
        volatile Reporter reporter;
        volatile Runner runner;
        private final List<Thread> threads = new CopyOnWriteArrayList<>();

        InJvmAgent(String node, String token, Path workDir) {
            this.node = node;
            this.token = token;
            this.workDir = workDir;
        }

        void start() {
            IchibaClient client = IchibaClient.builder(base).token(token).connectTimeout(Duration.ofSeconds(2))
                    .requestTimeout(Duration.ofSeconds(5)).build();
            Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofMillis(500),
                    () -> ThreadLocalRandom.current().nextDouble());
            reporter = new Reporter(node, client, List.of(fixed("memory", NODE_MIB), fixed("disk", NODE_MIB)),
                    Duration.ofMillis(300), backoff, Sleeper.SYSTEM);
            runner = new Runner(node, client, RunnerSettings.defaults(workDir).withPollWait(Duration.ofSeconds(2))
                    .withKillGrace(Duration.ofSeconds(1)).withBusyPause(Duration.ofMillis(100)), backoff,
                    Sleeper.SYSTEM);
            threads.clear();
            threads.add(new Thread(reporter, "reporter-" + node));
            threads.add(new Thread(runner, "runner-" + node));
            threads.forEach(t -> {
                t.setDaemon(true);
                t.start();
            });
        }

        /** Stops both loops at once, leaving the job processes running, as the death of the agent's process would. */
        void kill() {
            runner.stop();
            reporter.stop();
            for (Thread t : threads) {
                try {
                    t.join(5_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
