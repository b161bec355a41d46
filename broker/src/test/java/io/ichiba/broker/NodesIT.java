package io.ichiba.broker;

import com.fasterxml.jackson.databind.JsonNode;
import io.ichiba.ledger.LedgerSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Nodes over HTTP: node loss with a short grace period (the node, its grants, its pools and the metrics; its return),
 * the node list, and capacity withheld by measured free amounts.
 *
 * <p>Each test has its own broker, so that a node another test leaves silent is never lost during this one and the
 * metrics' counts are this test's own.
 */
class NodesIT {
    private static final long GRACE_MILLIS = 1_500;
    private TestBrokers cluster;
    private Http op;
    private World world;

    /** Starts this test's broker: nodes silent for {@code graceMillis} are lost (0: never). */
    private void start(long graceMillis) throws Exception {
        cluster = new TestBrokers(LedgerSettings.defaults().withNodeGraceMillis(graceMillis));
        op = TestBrokers.operator(cluster.start());
        world = new World(op);
    }

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aNodeWhoseReportsStopIsLostItsGrantsEndAndItComesBackEmpty() throws Exception {
        start(GRACE_MILLIS);
        String silent = World.name("n");
        String alive = World.name("n");
        Http silentAgent = world.node(silent, 8192, 8192);
        Http aliveAgent = world.node(alive, 8192, 8192);
        ScheduledExecutorService heartbeat = World.heartbeat(aliveAgent, alive, 8192);
        ScheduledExecutorService revived = null;
        try {
            String lock = World.name("l");
            world.lock(lock, 1);
            Http t = world.tenant(World.name("t"), 65536, 65536);
            double nodesLost = op.metric("ichiba_nodes_lost_total");
            double grantsLost = op.metric("ichiba_grants_lost_total");
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
            // the list: the lost node drained (its holds return just after its claims end), the live one as
            // reported and with its grant
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                Map<String, JsonNode> listed = nodes();
                assertThat(listed).containsOnlyKeys(silent, alive);
                assertNode(listed.get(silent), "LOST", Map.of("memory", 0L, "disk", 0L), Map.of(), Map.of(), Map.of(),
                        0);
                assertThat(Instant.parse(listed.get(silent).get("lostAt").asText()))
                        .isAfterOrEqualTo(Instant.parse(listed.get(silent).get("lastReportAt").asText())
                                .plusMillis(GRACE_MILLIS));
                assertNode(listed.get(alive), "READY", Map.of("memory", 8192L, "disk", 8192L),
                        Map.of("memory", 8192L, "disk", 8192L), Map.of("memory", 1024L), Map.of(), 1);
            });
            // exactly this node and its one grant were lost; the gauge is refreshed every 2 s
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(op.metric("ichiba_nodes_lost_total")).isEqualTo(nodesLost + 1);
                assertThat(op.metric("ichiba_grants_lost_total")).isEqualTo(grantsLost + 1);
                assertThat(op.metric("ichiba_nodes", "state", "LOST")).isEqualTo(1);
                assertThat(op.metric("ichiba_nodes", "state", "READY")).isEqualTo(1);
            });

            // a claim for the lost node waits for it; the node's next report brings it back, empty, and its agent
            // keeps reporting from then on
            Http.Answer waiting = t.post("/v1/claims", World.claim(2048, 0, List.of(), 1, 600, silent));
            assertThat(waiting.text("state")).isEqualTo("QUEUED");
            Instant beforeReport = Instant.now();
            revived = World.heartbeat(silentAgent, silent, 4096);
            await().atMost(Duration.ofSeconds(10)).until(() -> "READY".equals(op.get("/v1/nodes/" + silent).text("state")));
            JsonNode back = op.get("/v1/nodes/" + silent).body();
            assertThat(back.get("allocatable").get("memory").asLong()).isEqualTo(4096);
            assertThat(t.get("/v1/claims/" + waiting.text("id") + "?waitSeconds=10").text("state")).isEqualTo("GRANTED");
            JsonNode returned = nodes().get(silent);
            assertNode(returned, "READY", Map.of("memory", 4096L, "disk", 4096L), Map.of("memory", 4096L, "disk", 4096L),
                    Map.of("memory", 2048L), Map.of(), 1);
            assertThat(returned.has("lostAt")).as("back: %s", returned).isFalse();
            assertThat(Instant.parse(returned.get("lastReportAt").asText()))
                    .isBetween(beforeReport.minusMillis(1), Instant.now().plusMillis(1));
            assertThat(t.post("/v1/claims/" + waiting.text("id") + "/release", null).status()).isEqualTo(200);
            assertThat(t.post("/v1/claims/" + onAlive.text("id") + "/release", null).status()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(op.metric("ichiba_nodes", "state", "LOST")).isZero();
                assertThat(op.metric("ichiba_nodes", "state", "READY")).isEqualTo(2);
            });
            assertThat(op.metric("ichiba_nodes_lost_total")).as("a return is no loss").isEqualTo(nodesLost + 1);
            world.assertAuditClean();
        } finally {
            heartbeat.shutdownNow();
            if (revived != null) {
                revived.shutdownNow();
            }
        }
    }

    @Test
    void theNodeListShowsWhatEachNodeReportedAndWhatIsGrantedAndWithheld() throws Exception {
        start(0);
        String a = World.name("na");
        String b = World.name("nb");
        Instant before = Instant.now();
        world.node(a, 16384, 500_000);
        Http agentB = world.node(b, 8192, 100_000);
        // b's machine has 1000 MiB of memory in use outside tokens, and 5000 of disk
        Http.Answer r = agentB.put("/v1/nodes/" + b + "/report", Map.of("allocatable",
                Map.of("memory", 8192, "disk", 100_000), "free", Map.of("memory", 7192, "disk", 95_000)));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        Instant after = Instant.now();
        Http t = world.tenant(World.name("t"), 65536, 1_000_000);
        Http.Answer onA = t.post("/v1/claims", World.claim(4096, 10_000, List.of(), 1, 600, a));
        Http.Answer onB1 = t.post("/v1/claims", World.claim(2000, 0, List.of(), 1, 600, b));
        Http.Answer onB2 = t.post("/v1/claims", World.claim(1000, 3000, List.of(), 1, 600, b));
        for (Http.Answer c : List.of(onA, onB1, onB2)) {
            assertThat(c.text("state")).as(c.toString()).isEqualTo("GRANTED");
        }

        Map<String, JsonNode> listed = nodes();
        assertThat(listed).containsOnlyKeys(a, b);
        assertNode(listed.get(a), "READY", Map.of("memory", 16384L, "disk", 500_000L),
                Map.of("memory", 16384L, "disk", 500_000L), Map.of("memory", 4096L, "disk", 10_000L), Map.of(), 1);
        assertNode(listed.get(b), "READY", Map.of("memory", 8192L, "disk", 100_000L),
                Map.of("memory", 7192L, "disk", 95_000L), Map.of("memory", 3000L, "disk", 3000L),
                Map.of("memory", 1000L, "disk", 5000L), 2);
        for (JsonNode n : listed.values()) {
            assertThat(Instant.parse(n.get("lastReportAt").asText())).as(n.toString())
                    .isBetween(before.minusMillis(1), after.plusMillis(1));
            assertThat(n.has("lostAt")).as(n.toString()).isFalse();
            assertThat(op.get("/v1/nodes/" + n.get("node").asText()).body()).as("one node reads as listed")
                    .isEqualTo(n);
        }
        for (Http.Answer c : List.of(onA, onB1, onB2)) {
            assertThat(t.post("/v1/claims/" + c.text("id") + "/release", null).status()).isEqualTo(200);
        }
        assertThat(nodes().get(b).get("granted")).as("released").isEmpty();
        world.assertAuditClean();
    }

    @Test
    void capacityTheMachineDoesNotHaveIsWithheld() throws Exception {
        start(0);
        String node = World.name("n");
        Http agent = world.node(node, 8192, 8192);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(op.metric("ichiba_pool_withheld", "pool", "memory@" + node, "kind", "memory")).isZero());
        Http.Answer r = agent.put("/v1/nodes/" + node + "/report", Map.of(
                "allocatable", Map.of("memory", 8192, "disk", 8192), "free", Map.of("memory", 5192, "disk", 8192)));
        assertThat(r.status()).isEqualTo(200);
        JsonNode pool = world.pool("memory@" + node);
        assertThat(pool.get("withheld").asLong()).isEqualTo(3000);
        assertThat(pool.get("free").asLong()).isEqualTo(5192);
        assertThat(op.get("/v1/nodes/" + node).body().get("withheld").get("memory").asLong()).isEqualTo(3000);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(op.metric("ichiba_pool_withheld", "pool", "memory@" + node, "kind", "memory")).isEqualTo(3000);
            assertThat(op.metric("ichiba_pool_withheld", "pool", "disk@" + node, "kind", "disk")).isZero();
        });

        Http t = world.tenant(World.name("t"), 65536, 65536);
        Http.Answer big = t.post("/v1/claims", World.claim(6000, 0, List.of(), 1, 600, node));
        assertThat(big.text("state")).isEqualTo("QUEUED");
        assertThat(big.text("reason")).isEqualTo("INSUFFICIENT_CAPACITY");
        World.report(agent, node, 8192, 8192); // the outside use is gone
        assertThat(t.get("/v1/claims/" + big.text("id") + "?waitSeconds=10").text("state")).isEqualTo("GRANTED");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(op.metric("ichiba_pool_withheld", "pool", "memory@" + node, "kind", "memory")).isZero());
        t.post("/v1/claims/" + big.text("id") + "/release", null);
        world.assertAuditClean();
    }

    /** {@code GET /v1/nodes} by node id. */
    private Map<String, JsonNode> nodes() {
        Http.Answer a = op.get("/v1/nodes");
        assertThat(a.status()).as(a.toString()).isEqualTo(200);
        Map<String, JsonNode> out = new TreeMap<>();
        a.body().get("items").forEach(n -> out.put(n.get("node").asText(), n));
        return out;
    }

    /** Asserts a listed node's state and amounts (each map exactly), and how many grants it holds. */
    private static void assertNode(JsonNode n, String state, Map<String, Long> allocatable, Map<String, Long> free,
                                   Map<String, Long> granted, Map<String, Long> withheld, int grants) {
        assertThat(n.get("state").asText()).as(n.toString()).isEqualTo(state);
        assertThat(n.get("lastReportAt").asText()).as(n.toString()).isNotBlank();
        assertThat(amounts(n.get("allocatable"))).as("allocatable of %s", n).isEqualTo(allocatable);
        assertThat(amounts(n.get("free"))).as("free of %s", n).isEqualTo(free);
        assertThat(amounts(n.get("granted"))).as("granted of %s", n).isEqualTo(granted);
        assertThat(amounts(n.get("withheld"))).as("withheld of %s", n).isEqualTo(withheld);
        assertThat(n.get("grants").asInt()).as("grants of %s", n).isEqualTo(grants);
    }

    private static Map<String, Long> amounts(JsonNode json) {
        Map<String, Long> out = new TreeMap<>();
        json.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asLong()));
        return out;
    }
}
