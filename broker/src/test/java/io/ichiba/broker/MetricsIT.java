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

        // a trade: counted once in the cluster, and its loan, the spot price and a resting order show
        String buyer = World.name("b");
        Http b = world.tenant(buyer, 4096, 4096);
        world.mint(buyer, 10_000, null);
        assertThat(t.post("/v1/market/offers", World.offer("memory", 1500, 3600, 2)).status()).isEqualTo(201);
        assertThat(b.post("/v1/market/bids", World.bid("memory", 1000, 60, 2)).text("state")).isEqualTo("FILLED");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(anonymous.get("/metrics").raw())
                .contains("ichiba_trades_total{kind=\"memory\"} 1.0")
                .contains("ichiba_traded_amount_total{kind=\"memory\"} 1000.0")
                .contains("ichiba_loans_active{kind=\"memory\"} 1.0")
                .contains("ichiba_orders_resting{kind=\"memory\",side=\"OFFER\"} 1.0")
                .contains("ichiba_orders_resting{kind=\"memory\",side=\"BID\"} 0.0")
                .containsPattern("ichiba_spot_price\\{kind=\"memory\"} [1-9][0-9]*\\.0")
                .contains("ichiba_preemptions_total{reason=\"URGENT\"} 0.0"));

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
