package io.ichiba.broker;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The claim life cycle over real HTTP on one real broker: grants, queueing, leases, over-commit, metrics. */
class ClaimsIT {
    private static TestBrokers cluster;
    private static Http op;
    private static World world;

    @BeforeAll
    static void start() throws Exception {
        cluster = new TestBrokers();
        op = TestBrokers.operator(cluster.start());
        world = new World(op);
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    @Test
    void claimThatFitsIsGrantedAtOnceAndHoldsEveryToken() {
        String node = World.name("n");
        String lock = World.name("l");
        world.node(node, 16384, 500000);
        world.lock(lock, 1);
        Http t = world.tenant(World.name("t"), 65536, 1048576);

        Http.Answer a = t.post("/v1/claims", World.claim(4096, 1024, List.of(lock), 5, 60, node));
        assertThat(a.status()).isEqualTo(201);
        assertThat(a.text("state")).isEqualTo("GRANTED");
        assertThat(a.text("node")).isEqualTo(node);
        assertThat(a.text("leaseExpiresAt")).isNotNull();
        assertThat(world.pool("memory@" + node).get("granted").asLong()).isEqualTo(4096);
        assertThat(world.pool("disk@" + node).get("granted").asLong()).isEqualTo(1024);
        assertThat(world.pool("lock:" + lock).get("granted").asLong()).isEqualTo(1);

        Http.Answer r = t.post("/v1/claims/" + a.text("id") + "/release", null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.text("state")).isEqualTo("RELEASED");
        assertThat(world.pool("memory@" + node).get("granted").asLong()).isZero();
        assertThat(world.pool("lock:" + lock).get("granted").asLong()).isZero();
        world.assertAuditClean();
    }

    @Test
    void queuedClaimIsGrantedOnReleaseAndLongPollAnswersThen() throws Exception {
        String node = World.name("n");
        String lock = World.name("l");
        world.node(node, 16384, 500000);
        world.lock(lock, 1);
        Http t = world.tenant(World.name("t"), 65536, 1048576);
        Http.Answer first = t.post("/v1/claims", World.claim(1024, 0, List.of(lock), 1, 60, node));
        Http.Answer second = t.post("/v1/claims", World.claim(1024, 0, List.of(lock), 1, 60, node));
        assertThat(second.text("state")).isEqualTo("QUEUED");
        assertThat(second.text("reason")).isEqualTo("LOCK_HELD");
        // all or nothing: the queued claim holds no memory while it waits for the lock
        assertThat(world.pool("memory@" + node).get("granted").asLong()).isEqualTo(1024);

        var poll = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> t.get("/v1/claims/" + second.text("id") + "?waitSeconds=30"));
        // the long-poll is parked on the broker, not answered, while the claim is queued
        assertThat(poll).isNotCompleted();
        t.post("/v1/claims/" + first.text("id") + "/release", null);
        Http.Answer granted = poll.get(20, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(granted.text("state")).isEqualTo("GRANTED");

        long t0 = System.nanoTime();
        Http.Answer third = t.post("/v1/claims", World.claim(1024, 0, List.of(lock), 1, 60, node));
        Http.Answer timedOut = t.get("/v1/claims/" + third.text("id") + "?waitSeconds=1");
        assertThat(timedOut.text("state")).isEqualTo("QUEUED");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(900));
        t.delete("/v1/claims/" + third.text("id"));
        t.post("/v1/claims/" + second.text("id") + "/release", null);
        world.assertAuditClean();
    }

    @Test
    void releaseTwiceIsHarmlessAndCancelEndsQueuedAndGrantedClaims() {
        String node = World.name("n");
        world.node(node, 8192, 8192);
        Http t = world.tenant(World.name("t"), 65536, 65536);
        Http.Answer a = t.post("/v1/claims", World.claim(6000, 0, List.of(), 1, 60, node));
        Http.Answer b = t.post("/v1/claims", World.claim(6000, 0, List.of(), 1, 60, node));
        assertThat(a.text("state")).isEqualTo("GRANTED");
        assertThat(b.text("state")).isEqualTo("QUEUED");
        assertThat(b.text("reason")).isEqualTo("INSUFFICIENT_CAPACITY");
        // the queued claim shows in the queue depth and among the claims by state (refreshed every 2 s)
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertClaimMetricsMatchTheClaims();
            assertThat(World.ids(op.get("/v1/claims?state=QUEUED"))).contains(b.text("id"));
            assertThat(op.metric("ichiba_queue_depth")).isGreaterThanOrEqualTo(1);
            assertThat(op.metric("ichiba_queue_oldest_wait_seconds")).isGreaterThan(0);
        });

        Http.Answer cancelled = t.delete("/v1/claims/" + b.text("id"));
        assertThat(cancelled.text("state")).isEqualTo("CANCELLED");
        Http.Answer r1 = t.post("/v1/claims/" + a.text("id") + "/release", null);
        Http.Answer r2 = t.post("/v1/claims/" + a.text("id") + "/release", null);
        assertThat(r1.text("state")).isEqualTo("RELEASED");
        assertThat(r2.status()).isEqualTo(200);
        assertThat(r2.body()).isEqualTo(r1.body());
        assertThat(world.pool("memory@" + node).get("granted").asLong()).isZero();
        // out of the queue, one more cancelled and one more released
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertClaimMetricsMatchTheClaims();
            assertThat(World.ids(op.get("/v1/claims?state=CANCELLED"))).contains(b.text("id"));
            assertThat(World.ids(op.get("/v1/claims?state=RELEASED"))).contains(a.text("id"));
            assertThat(World.ids(op.get("/v1/claims?state=QUEUED"))).doesNotContain(b.text("id"));
        });

        Http.Answer c = t.post("/v1/claims", World.claim(6000, 0, List.of(), 1, 60, node));
        assertThat(c.text("state")).isEqualTo("GRANTED");
        assertThat(t.delete("/v1/claims/" + c.text("id")).text("state")).isEqualTo("CANCELLED");
        assertThat(world.pool("memory@" + node).get("granted").asLong()).isZero();
        assertThat(t.post("/v1/claims/" + c.text("id") + "/renew", null).status()).isEqualTo(409);
        world.assertAuditClean();
    }

    @Test
    void leaseThatIsNotRenewedExpiresAndItsTokensReturn() {
        String node = World.name("n");
        world.node(node, 4096, 4096);
        Http t = world.tenant(World.name("t"), 65536, 65536);
        double expiries = op.metric("ichiba_lease_expiries_total");
        Http.Answer renewed = t.post("/v1/claims", World.claim(1000, 0, List.of(), 1, 2, node));
        Http.Answer lapsing = t.post("/v1/claims", World.claim(1000, 0, List.of(), 1, 1, node));
        assertThat(lapsing.text("state")).isEqualTo("GRANTED");
        String renewedId = renewed.text("id");
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            Http.Answer r = t.post("/v1/claims/" + renewedId + "/renew", Map.of("leaseSeconds", 2));
            assertThat(r.text("state")).isEqualTo("GRANTED");
            assertThat(t.get("/v1/claims/" + lapsing.text("id")).text("state")).isEqualTo("EXPIRED");
        });
        assertThat(world.pool("memory@" + node).get("granted").asLong()).isEqualTo(1000);
        assertThat(t.get("/v1/claims/" + renewedId).text("state")).isEqualTo("GRANTED");
        // the lapsed lease, and only it, is counted (just after its tokens return); the renewed one is not
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(op.metric("ichiba_lease_expiries_total")).isEqualTo(expiries + 1);
            assertClaimMetricsMatchTheClaims();
            assertThat(op.metric("ichiba_claims", "state", "EXPIRED")).isGreaterThanOrEqualTo(1);
        });
        t.post("/v1/claims/" + renewedId + "/release", null);
        world.assertAuditClean();
    }

    @Test
    void reportBelowGrantedKeepsGrantsAndGrantsNothingUntilRecovered() {
        String node = World.name("n");
        Http agent = world.node(node, 8192, 8192);
        Http t = world.tenant(World.name("t"), 65536, 65536);
        Http.Answer a = t.post("/v1/claims", World.claim(6000, 0, List.of(), 1, 60, node));
        World.report(agent, node, 4000, 8192);
        JsonNode pool = world.pool("memory@" + node);
        assertThat(pool.get("overcommitted").asBoolean()).isTrue();
        assertThat(pool.get("granted").asLong()).isEqualTo(6000);
        assertThat(t.get("/v1/claims/" + a.text("id")).text("state")).isEqualTo("GRANTED");

        Http.Answer b = t.post("/v1/claims", World.claim(100, 0, List.of(), 1, 60, node));
        assertThat(b.text("state")).isEqualTo("QUEUED");
        assertThat(b.text("reason")).isEqualTo("OVERCOMMITTED");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(new Http(op.base(), null)
                .get("/metrics").raw()).contains("ichiba_pool_overcommitted{kind=\"memory\",pool=\"memory@" + node
                + "\"} 1.0"));

        t.post("/v1/claims/" + a.text("id") + "/release", null);
        assertThat(t.get("/v1/claims/" + b.text("id") + "?waitSeconds=10").text("state")).isEqualTo("GRANTED");
        assertThat(world.pool("memory@" + node).get("overcommitted").asBoolean()).isFalse();
        t.post("/v1/claims/" + b.text("id") + "/release", null);
        world.assertAuditClean();
    }

    @Test
    void quotaLimitsWhatATenantHoldsAndNeverFitsIsRefused() {
        String node = World.name("n");
        world.node(node, 65536, 65536);
        Http t = world.tenant(World.name("t"), 4096, 4096);
        Http.Answer a = t.post("/v1/claims", World.claim(3000, 0, List.of(), 1, 60, null));
        Http.Answer b = t.post("/v1/claims", World.claim(3000, 0, List.of(), 1, 60, null));
        assertThat(a.text("state")).isEqualTo("GRANTED");
        assertThat(b.text("state")).isEqualTo("QUEUED");
        assertThat(b.text("reason")).isEqualTo("QUOTA");
        Http.Answer tooBig = t.post("/v1/claims", World.claim(5000, 0, List.of(), 1, 60, null));
        assertThat(tooBig.status()).isEqualTo(422);
        assertThat(tooBig.text("code")).isEqualTo("NEVER_FITS");
        t.post("/v1/claims/" + a.text("id") + "/release", null);
        assertThat(t.get("/v1/claims/" + b.text("id") + "?waitSeconds=10").text("state")).isEqualTo("GRANTED");
        t.post("/v1/claims/" + b.text("id") + "/release", null);
        world.assertAuditClean();
    }

    @Test
    void operatorDefinedKindsWorkLikeMemory() {
        String kind = World.name("gpu");
        assertThat(op.post("/v1/kinds", Map.of("name", kind, "unit", "devices")).status()).isEqualTo(201);
        String node = World.name("n");
        Http agent = world.node(node, 1024, 1024);
        Http.Answer r = agent.put("/v1/nodes/" + node + "/report",
                Map.of("allocatable", Map.of("memory", 1024, "disk", 1024, kind, 2)));
        assertThat(r.status()).isEqualTo(200);
        Http.Answer created = op.post("/v1/tenants", Map.of("id", World.name("t"), "quota", Map.of(kind, 2)));
        Http t = op.as(created.text("token"));
        Http.Answer a = t.post("/v1/claims", Map.of("bundle", Map.of(kind, 2), "leaseSeconds", 60));
        assertThat(a.text("state")).isEqualTo("GRANTED");
        assertThat(world.pool(kind + "@" + node).get("granted").asLong()).isEqualTo(2);
        t.post("/v1/claims/" + a.text("id") + "/release", null);
    }

    /**
     * Asserts that the claim gauges say what {@code GET /v1/claims} lists: {@code ichiba_claims{state}} per state and
     * {@code ichiba_queue_depth} as the queued ones (call it in an await: the gauges are refreshed every 2 s).
     */
    private static void assertClaimMetricsMatchTheClaims() {
        for (String state : List.of("QUEUED", "GRANTED", "RELEASED", "CANCELLED", "EXPIRED")) {
            long listed = World.ids(op.get("/v1/claims?state=" + state)).size();
            assertThat(op.metric("ichiba_claims", "state", state)).as("ichiba_claims{state=%s}", state)
                    .isEqualTo(listed);
            if (state.equals("QUEUED")) {
                assertThat(op.metric("ichiba_queue_depth")).as("ichiba_queue_depth").isEqualTo(listed);
            }
        }
    }

    @Test
    void healthReadyAndMetricsAreServedWithoutToken() {
        world.node(World.name("n"), 1024, 1024);
        Http anonymous = new Http(op.base(), null);
        assertThat(anonymous.get("/health").status()).isEqualTo(200);
        assertThat(anonymous.get("/ready").status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            Http.Answer m = anonymous.get("/metrics");
            assertThat(m.status()).isEqualTo(200);
            assertThat(m.raw()).contains("ichiba_pool_capacity", "ichiba_queue_depth", "ichiba_claims{",
                "ichiba_grant_latency_seconds_bucket", "ichiba_lease_expiries_total", "vertx_http_server_requests",
                "jvm_memory_used_bytes", "ichiba_engine_active 1.0", "ichiba_engine_append_seconds_bucket",
                "ichiba_engine_clock_lag_seconds", "ichiba_engine_operations_served_total{outcome=\"run\"}",
                // the timers the engine runs on its own thread
                "ichiba_engine_timer_seconds_count{timer=\"admission\"}",
                "ichiba_engine_timer_seconds_count{timer=\"leases\"}");
        });
    }
}
