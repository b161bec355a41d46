package io.ichiba.broker;

import io.ichiba.ledger.LedgerSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The jobs API over HTTP, with the test playing the node's runner: a job follows its claim, never the reverse. */
class JobsIT {
    private static TestBrokers cluster;
    private static Http op;
    private static World world;

    @BeforeAll
    static void start() throws Exception {
        cluster = new TestBrokers(LedgerSettings.defaults().withNodeGraceMillis(1_500));
        op = TestBrokers.operator(cluster.start());
        world = new World(op);
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    private static Map<String, Object> job(long memory, String node, int lease) {
        Map<String, Object> body = World.job(memory, node, lease, List.of("sh", "-c", "exit 0"));
        body.put("env", Map.of("GREETING", "hello"));
        return body;
    }

    @Test
    void aJobStartsOnlyWhenItsClaimIsGrantedAndItsTokensReturnWhenItEnds() {
        String node = World.name("n");
        Http agent = world.node(node, 4096, 4096);
        var beat = World.heartbeat(agent, node, 4096);
        try {
            Http t = world.tenant(World.name("t"), 65536, 65536);
            Http.Answer first = t.post("/v1/jobs", job(3000, node, 60));
            assertThat(first.status()).as(first.toString()).isEqualTo(201);
            assertThat(first.text("state")).isEqualTo("STARTING");
            assertThat(first.text("node")).isEqualTo(node);
            Http.Answer second = t.post("/v1/jobs", job(3000, node, 60));
            assertThat(second.text("state")).isEqualTo("QUEUED");

            // the runner sees only the job whose claim is granted, and may start only that one
            Http.Answer mine = agent.get("/v1/nodes/" + node + "/jobs?waitSeconds=5");
            assertThat(mine.body().get("items")).hasSize(1);
            assertThat(mine.body().get("items").get(0).get("id").asText()).isEqualTo(first.text("id"));
            assertThat(mine.body().get("items").get(0).get("env").get("GREETING").asText()).isEqualTo("hello");
            // a job not (yet) assigned to the node does not exist for its runner
            assertThat(agent.post("/v1/jobs/" + second.text("id") + "/start", null).status()).isEqualTo(404);
            assertThat(agent.post("/v1/jobs/" + first.text("id") + "/start", null).text("state")).isEqualTo("RUNNING");
            assertThat(agent.post("/v1/jobs/" + first.text("id") + "/renew", null).status()).isEqualTo(200);

            Http.Answer done = agent.post("/v1/jobs/" + first.text("id") + "/finish", Map.of("exitCode", 0));
            assertThat(done.text("state")).isEqualTo("SUCCEEDED");
            assertThat(t.get("/v1/claims/" + first.text("id")).text("state")).isEqualTo("RELEASED");
            // finishing again changes nothing
            assertThat(agent.post("/v1/jobs/" + first.text("id") + "/finish", Map.of("exitCode", 0)).body())
                    .isEqualTo(done.body());

            // the released tokens let the second job in
            assertThat(t.get("/v1/jobs/" + second.text("id") + "?waitSeconds=10").text("state")).isEqualTo("STARTING");
            Http.Answer started = agent.post("/v1/jobs/" + second.text("id") + "/start",
                    Map.of("limits", "memory 100 MiB: address space (prlimit --as)"));
            assertThat(started.text("state")).isEqualTo("RUNNING");
            assertThat(t.get("/v1/jobs/" + second.text("id")).text("limits"))
                    .as("what the runner said it holds the process to").isEqualTo("memory 100 MiB: address space (prlimit --as)");
            assertThat(agent.post("/v1/jobs/" + second.text("id") + "/start", Map.of("limits", "x".repeat(201)))
                    .status()).as("over 200 characters").isEqualTo(400);
            Http.Answer failed = agent.post("/v1/jobs/" + second.text("id") + "/finish", Map.of("exitCode", 3));
            assertThat(failed.text("state")).isEqualTo("FAILED");
            assertThat(failed.body().get("exitCode").asInt()).isEqualTo(3);
            assertThat(world.pool("memory@" + node).get("granted").asLong()).isZero();
            world.assertAuditClean();
            Http anonymous = new Http(op.base(), null);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(anonymous.get("/metrics").raw())
                    .contains("ichiba_jobs{state=\"SUCCEEDED\"}", "ichiba_jobs{state=\"FAILED\"}"));
        } finally {
            beat.shutdownNow();
        }
    }

    @Test
    void cancellingAQueuedJobEndsItAndARunningOneWaitsForItsRunner() {
        String node = World.name("n");
        Http agent = world.node(node, 4096, 4096);
        var beat = World.heartbeat(agent, node, 4096);
        try {
            Http t = world.tenant(World.name("t"), 65536, 65536);
            Http.Answer running = t.post("/v1/jobs", job(3000, node, 60));
            Http.Answer queued = t.post("/v1/jobs", job(3000, node, 60));
            agent.post("/v1/jobs/" + running.text("id") + "/start", null);

            assertThat(t.delete("/v1/jobs/" + queued.text("id")).text("state")).isEqualTo("CANCELLED");
            assertThat(t.get("/v1/claims/" + queued.text("id")).text("state")).isEqualTo("CANCELLED");

            Http.Answer asked = t.delete("/v1/jobs/" + running.text("id"));
            assertThat(asked.text("state")).isEqualTo("RUNNING");
            assertThat(asked.body().get("cancelRequested").asBoolean()).isTrue();
            // the tokens stay held while the process is being stopped
            assertThat(world.pool("memory@" + node).get("granted").asLong()).isEqualTo(3000);
            Http.Answer told = agent.get("/v1/nodes/" + node + "/jobs?waitSeconds=5");
            assertThat(told.body().get("items").get(0).get("cancelRequested").asBoolean()).isTrue();
            Http.Answer stopped = agent.post("/v1/jobs/" + running.text("id") + "/finish", Map.of("exitCode", 143));
            assertThat(stopped.text("state")).isEqualTo("CANCELLED");
            assertThat(world.pool("memory@" + node).get("granted").asLong()).isZero();
            world.assertAuditClean();
        } finally {
            beat.shutdownNow();
        }
    }

    @Test
    void onlyTheRunnerOfTheJobsNodeDrivesItAndTenantsSeeOnlyTheirJobs() {
        String node = World.name("n");
        String other = World.name("n");
        Http agent = world.node(node, 4096, 4096);
        Http otherAgent = world.node(other, 4096, 4096);
        var beat = World.heartbeat(agent, node, 4096);
        var beat2 = World.heartbeat(otherAgent, other, 4096);
        try {
            Http a = world.tenant(World.name("t"), 65536, 65536);
            Http b = world.tenant(World.name("t"), 65536, 65536);
            Http.Answer j = a.post("/v1/jobs", job(1000, node, 60));
            assertThat(otherAgent.post("/v1/jobs/" + j.text("id") + "/start", null).status()).isEqualTo(404);
            assertThat(otherAgent.get("/v1/nodes/" + node + "/jobs").status()).isEqualTo(403);
            assertThat(a.post("/v1/jobs/" + j.text("id") + "/start", null).status()).isEqualTo(403);
            assertThat(b.get("/v1/jobs/" + j.text("id")).status()).isEqualTo(404);
            assertThat(b.delete("/v1/jobs/" + j.text("id")).status()).isEqualTo(404);
            assertThat(b.get("/v1/jobs").body().get("items")).isEmpty();
            assertThat(a.get("/v1/jobs").body().get("items")).hasSize(1);
            assertThat(op.post("/v1/jobs", job(1000, node, 60)).status()).isEqualTo(403);
            Http.Answer bad = a.post("/v1/jobs", Map.of("command", List.of(), "bundle", Map.of("memory", 1)));
            assertThat(bad.isClientProblem()).as(bad.toString()).isTrue();
            assertThat(a.delete("/v1/jobs/" + j.text("id")).text("state")).isEqualTo("CANCELLED");
        } finally {
            beat.shutdownNow();
            beat2.shutdownNow();
        }
    }

    @Test
    void aJobWhoseLeaseLapsesFailsAndOneOnALostNodeIsLost() {
        String node = World.name("n");
        Http agent = world.node(node, 4096, 4096);
        var beat = World.heartbeat(agent, node, 4096);
        Http t = world.tenant(World.name("t"), 65536, 65536);
        Http.Answer lapsing = t.post("/v1/jobs", job(1000, node, 1));
        Http.Answer lost = t.post("/v1/jobs", job(1000, node, 600));
        agent.post("/v1/jobs/" + lapsing.text("id") + "/start", null);
        agent.post("/v1/jobs/" + lost.text("id") + "/start", null);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            Http.Answer j = t.get("/v1/jobs/" + lapsing.text("id"));
            assertThat(j.text("state")).isEqualTo("FAILED");
            assertThat(j.text("reason")).isEqualTo("LEASE_EXPIRED");
        });
        beat.shutdownNow(); // the node's reports stop
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            Http.Answer j = t.get("/v1/jobs/" + lost.text("id"));
            assertThat(j.text("state")).isEqualTo("LOST");
            assertThat(j.text("reason")).isEqualTo("NODE_LOST");
        });
        assertThat(world.pool("memory@" + node).get("granted").asLong()).isZero();
        world.assertAuditClean();
    }
}
