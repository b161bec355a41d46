package io.ichiba.broker;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Broker processes started from the shaded jar, as operators run them, forming one cluster on loopback ports: for
 * tests that kill a member ({@code kill -9}) or pause it ({@code SIGSTOP}) as a real failure would.
 */
final class BrokerProcesses implements AutoCloseable {
    private final String cluster = "ichiba-faults-" + UUID.randomUUID();
    private final List<Member> members = new ArrayList<>();
    private final List<String> hzAddresses = new ArrayList<>();

    /** One broker process. */
    static final class Member {
        final int index;
        final int httpPort;
        final Process process;
        final Http operator;
        final List<String> output = new java.util.concurrent.CopyOnWriteArrayList<>();
        volatile boolean gone;

        Member(int index, int httpPort, Process process) {
            this.index = index;
            this.httpPort = httpPort;
            this.process = process;
            this.operator = new Http("http://127.0.0.1:" + httpPort, TestBrokers.OPERATOR);
        }

        /** Whether this member says the engine runs on it. */
        boolean engine() {
            try {
                Http.Answer a = operator.get("/ready");
                return a.status() == 200 && a.body().path("engine").asBoolean(false);
            } catch (RuntimeException e) {
                return false;
            }
        }

        int clusterSize() {
            try {
                Http.Answer a = operator.get("/ready");
                return a.status() == 200 ? a.body().path("clusterSize").asInt(0) : 0;
            } catch (RuntimeException e) {
                return 0;
            }
        }

        /** {@code kill -9}. */
        void kill() throws InterruptedException {
            gone = true;
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }

        /** {@code kill -STOP}, or {@code -CONT}. */
        void signal(String signal) throws IOException, InterruptedException {
            Process p = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
            assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as("kill -%s", signal).isZero();
        }

        String base() {
            return operator.base();
        }
    }

    /** Starts {@code n} members that list each other, and waits (bounded) until they form one cluster. */
    List<Member> start(int n) throws IOException {
        List<Integer> hzPorts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            hzPorts.add(TestBrokers.freePort());
            hzAddresses.add("127.0.0.1:" + hzPorts.get(i));
        }
        for (int i = 0; i < n; i++) {
            members.add(launch(i, hzPorts.get(i)));
        }
        try {
            await("the cluster formed").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                    .until(() -> members.stream().allMatch(m -> m.clusterSize() == n)
                            && members.stream().filter(Member::engine).count() == 1);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            System.err.println("the cluster did not form: sizes " + members.stream().map(Member::clusterSize).toList()
                    + ", engines " + members.stream().map(Member::engine).toList() + ", alive "
                    + members.stream().map(m -> m.process.isAlive()).toList() + "; the members' logs are kept in "
                    + keepLogs());
            // the kept folder is gone with the machine that ran CI: what matters is printed too
            for (Member m : members) {
                List<String> lines = m.output.stream().filter(l -> l.contains("WARN") || l.contains("ERROR")
                        || l.contains("engine") || l.contains("Exception") || l.contains("Members {")).toList();
                System.err.println("---- broker " + m.index + " (" + lines.size() + " lines of note)");
                lines.subList(Math.max(0, lines.size() - 60), lines.size()).forEach(System.err::println);
            }
            throw e;
        }
        return members;
    }

    /**
     * Starts one broker alone (no members listed: its own cluster), {@code env} added to its environment (e.g. its data
     * directory), and waits (bounded) until it runs the engine. Start it again the same way after a kill.
     */
    Member startAlone(Map<String, String> env) throws IOException {
        Member m = launch(members.size(), TestBrokers.freePort(), List.of(), env);
        members.add(m);
        await("the broker started").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(250))
                .until(m::engine);
        return m;
    }

    private Member launch(int index, int hzPort) throws IOException {
        return launch(index, hzPort, hzAddresses, Map.of());
    }

    private Member launch(int index, int hzPort, List<String> memberList, Map<String, String> extra)
            throws IOException {
        File jar = Path.of("target", "ichiba-broker.jar").toFile();
        assertThat(jar).as("the shaded jar (mvn package)").exists();
        int http = TestBrokers.freePort();
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:+UseSerialGC", "-jar", jar.getPath()).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("ICHIBA_"));
        env.put("ICHIBA_HTTP_PORT", Integer.toString(http));
        env.put("ICHIBA_HTTP_HOST", "127.0.0.1");
        env.put("ICHIBA_HZ_PORT", Integer.toString(hzPort));
        env.put("ICHIBA_HZ_MEMBERS", String.join(",", memberList));
        env.put("ICHIBA_HZ_CLUSTER", cluster);
        env.put("ICHIBA_OPERATOR_TOKEN", TestBrokers.OPERATOR);
        env.put("ICHIBA_NODE_GRACE_MILLIS", "0");
        env.put("ICHIBA_AUDIT_INTERVAL_SECONDS", "0");
        env.put("ICHIBA_DATA_DIR", "none"); // members of a cluster keep no file; a test that wants one says where
        env.putAll(extra);
        Process p = pb.start();
        Member m = new Member(index, http, p);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                r.lines().forEach(m.output::add);
            } catch (IOException e) {
                // the process ended
            }
        }, "broker-" + index + "-output");
        reader.setDaemon(true);
        reader.start();
        return m;
    }

    /**
     * Writes every member's output so far to a temporary folder (kept) and answers its path: for a failed fault test,
     * whose cause is in the members' logs.
     */
    Path keepLogs() throws IOException {
        Path dir = java.nio.file.Files.createTempDirectory("ichiba-faults-");
        for (Member m : members) {
            java.nio.file.Files.write(dir.resolve("broker-" + m.index + ".log"), m.output);
        }
        return dir;
    }

    @Override
    public void close() {
        for (Member m : members) {
            try {
                m.signal("CONT");
            } catch (Exception | AssertionError e) {
                // not paused, or gone
            }
            m.process.destroyForcibly();
        }
        for (Member m : members) {
            try {
                m.process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
