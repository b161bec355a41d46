package io.ichiba.broker;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code /metrics} is valid Prometheus text that {@code promtool check metrics} accepts without a lint problem. */
class MetricsIT {
    private static TestBrokers cluster;
    private static Http op;

    @BeforeAll
    static void start() throws Exception {
        cluster = new TestBrokers();
        op = TestBrokers.operator(cluster.start());
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    @Test
    void metricsPassPromtoolCheck() throws Exception {
        String promtool = promtool();
        World world = new World(op);
        String node = World.name("n");
        world.node(node, 4096, 4096);
        Http t = world.tenant(World.name("t"), 4096, 4096);
        String id = t.post("/v1/claims", World.claim(1024, 0, List.of(), 1, 60, node)).text("id");
        Http anonymous = new Http(op.base(), null);
        await().atMost(Duration.ofSeconds(10)).until(() -> anonymous.get("/metrics").raw()
                .contains("ichiba_pool_granted{kind=\"memory\",pool=\"memory@" + node + "\"} 1024.0"));
        t.post("/v1/claims/" + id + "/release", null);

        Path scrape = Files.createTempFile("ichiba-metrics", ".txt");
        Files.writeString(scrape, anonymous.get("/metrics").raw());
        Process p = new ProcessBuilder(promtool, "check", "metrics").redirectInput(scrape.toFile())
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(out).isZero();
        Files.deleteIfExists(scrape);
    }

    /** Finds promtool; CI installs it (.ci/run), so there its absence is a failure, elsewhere a skip. */
    private static String promtool() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            File f = new File(dir, "promtool");
            if (f.canExecute()) {
                return f.getPath();
            }
        }
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError("promtool is not installed; .ci/run installs it (Debian package prometheus)");
        }
        Assumptions.abort("promtool is not installed here (apt-get install prometheus); CI runs this check");
        return null;
    }
}
