package io.ichiba.broker;

import com.fasterxml.jackson.databind.JsonNode;
import io.ichiba.ledger.LedgerSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Node loss over HTTP, with a short grace period: the node, its grants, its pools and the metrics; its return. */
class NodesIT {
    private static final long GRACE_MILLIS = 1_500;
    private static TestBrokers cluster;
    private static Http op;
    private static World world;

    @BeforeAll
    static void start() throws Exception {
        cluster = new TestBrokers(LedgerSettings.defaults().withNodeGraceMillis(GRACE_MILLIS));
        op = TestBrokers.operator(cluster.start());
        world = new World(op);
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    @Test
    void aNodeWhoseReportsStopIsLostItsGrantsEndAndItComesBackEmpty() throws Exception {
        String silent = World.name("n");
        String alive = World.name("n");
        Http silentAgent = world.node(silent, 8192, 8192);
        Http aliveAgent = world.node(alive, 8192, 8192);
        ScheduledExecutorService heartbeat = World.heartbeat(aliveAgent, alive, 8192);
        try {
            String lock = World.name("l");
            world.lock(lock, 1);
            Http t = world.tenant(World.name("t"), 65536, 65536);
            Http.Answer onSilent = t.post("/v1/claims", World.claim(4096, 1024, List.of(lock), 1, 600, silent));
            Http.Answer onAlive = t.post("/v1/claims", World.claim(1024, 0, List.of(), 1, 600, alive));
            assertThat(onSilent.text("state")).isEqualTo("GRANTED");

            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                JsonNode node = op.get("/v1/nodes/" + silent).body();
                assertThat(node.get("state").asText()).isEqualTo("LOST");
                assertThat(node.get("lostAt").asText()).isNotBlank();
            });
            Http.Answer lost = t.get("/v1/claims/" + onSilent.text("id"));
            assertThat(lost.text("state")).isEqualTo("LOST");
            assertThat(lost.text("reason")).isEqualTo("NODE_LOST");
            JsonNode memory = world.pool("memory@" + silent);
            assertThat(memory.get("capacity").asLong()).isZero();
            assertThat(memory.get("granted").asLong()).isZero();
            assertThat(world.pool("lock:" + lock).get("granted").asLong()).as("the lock returned too").isZero();
            assertThat(t.get("/v1/claims/" + onAlive.text("id")).text("state")).isEqualTo("GRANTED");
            assertThat(op.get("/v1/nodes/" + alive).body().get("state").asText()).isEqualTo("READY");
            Http anonymous = new Http(op.base(), null);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(anonymous.get("/metrics").raw())
                    .contains("ichiba_nodes_lost_total 1.0", "ichiba_grants_lost_total 1.0",
                            "ichiba_nodes{state=\"LOST\"} 1.0"));

            // a claim for the lost node waits for it; the node's next report brings it back, empty
            Http.Answer waiting = t.post("/v1/claims", World.claim(2048, 0, List.of(), 1, 600, silent));
            assertThat(waiting.text("state")).isEqualTo("QUEUED");
            World.report(silentAgent, silent, 4096, 4096);
            JsonNode back = op.get("/v1/nodes/" + silent).body();
            assertThat(back.get("state").asText()).isEqualTo("READY");
            assertThat(back.get("allocatable").get("memory").asLong()).isEqualTo(4096);
            assertThat(t.get("/v1/claims/" + waiting.text("id") + "?waitSeconds=10").text("state")).isEqualTo("GRANTED");
            assertThat(t.post("/v1/claims/" + waiting.text("id") + "/release", null).status()).isEqualTo(200);
            assertThat(t.post("/v1/claims/" + onAlive.text("id") + "/release", null).status()).isEqualTo(200);

            List<String> listed = new java.util.ArrayList<>();
            op.get("/v1/nodes").body().get("items").forEach(n -> listed.add(n.get("node").asText()));
            assertThat(listed).contains(silent, alive);
            world.assertAuditClean();
        } finally {
            heartbeat.shutdownNow();
        }
    }

    @Test
    void capacityTheMachineDoesNotHaveIsWithheld() {
        String node = World.name("n");
        Http agent = world.node(node, 8192, 8192);
        Http.Answer r = agent.put("/v1/nodes/" + node + "/report", Map.of(
                "allocatable", Map.of("memory", 8192, "disk", 8192), "free", Map.of("memory", 5192, "disk", 8192)));
        assertThat(r.status()).isEqualTo(200);
        JsonNode pool = world.pool("memory@" + node);
        assertThat(pool.get("withheld").asLong()).isEqualTo(3000);
        assertThat(pool.get("free").asLong()).isEqualTo(5192);
        assertThat(op.get("/v1/nodes/" + node).body().get("withheld").get("memory").asLong()).isEqualTo(3000);

        Http t = world.tenant(World.name("t"), 65536, 65536);
        Http.Answer big = t.post("/v1/claims", World.claim(6000, 0, List.of(), 1, 600, node));
        assertThat(big.text("state")).isEqualTo("QUEUED");
        assertThat(big.text("reason")).isEqualTo("INSUFFICIENT_CAPACITY");
        World.report(agent, node, 8192, 8192); // the outside use is gone
        assertThat(t.get("/v1/claims/" + big.text("id") + "?waitSeconds=10").text("state")).isEqualTo("GRANTED");
        t.post("/v1/claims/" + big.text("id") + "/release", null);
        world.assertAuditClean();
    }
}
