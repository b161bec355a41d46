package io.ichiba.broker;

import com.fasterxml.jackson.databind.JsonNode;
import io.ichiba.ledger.tenant.Principal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Law 5 over real HTTP on one real broker: a mutating request retried with the same {@code Idempotency-Key}
 * answers the first answer (marked {@code Idempotent-Replayed: true}) and has its effect once — one claim,
 * one grant's worth of tokens, one tenant, one token — also when the retries race each other; the same key
 * with another body is refused with 422 and changes nothing; and keys are per caller. Job submissions too: one job
 * and one claim however often, or however concurrently, a submission is retried.
 */
class IdempotencyIT {
    private static final String KEY = "Idempotency-Key";
    private static final String REPLAYED = "Idempotent-Replayed";

    private static TestBrokers cluster;
    private static Broker broker;
    private static Http op;
    private static World world;

    @BeforeAll
    static void start() throws Exception {
        cluster = new TestBrokers();
        broker = cluster.start();
        op = TestBrokers.operator(broker);
        world = new World(op);
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    @Test
    void aRetriedClaimAnswersTheFirstAnswerAndClaimsOnce() {
        String node = World.name("n");
        world.node(node, 16384, 16384);
        Http t = world.tenant(World.name("t"), 16384, 16384);
        String key = World.name("key");
        Map<String, Object> body = World.claim(1024, 256, List.of(), 2, 600, node);

        Http.Answer first = t.post("/v1/claims", body, Map.of(KEY, key));
        assertThat(first.status()).as(first.toString()).isEqualTo(201);
        assertThat(first.text("state")).isEqualTo("GRANTED");
        assertThat(first.headers().firstValue(REPLAYED)).isEmpty();
        Http.Answer retry = t.post("/v1/claims", body, Map.of(KEY, key));
        assertThat(retry.status()).isEqualTo(first.status());
        assertThat(retry.raw()).isEqualTo(first.raw());
        assertThat(retry.text("id")).isEqualTo(first.text("id"));
        assertThat(retry.headers().firstValue(REPLAYED)).contains("true");

        assertThat(World.ids(t.get("/v1/claims"))).containsExactly(first.text("id"));
        assertThat(world.pool("memory@" + node).get("granted").asLong()).isEqualTo(1024);
        assertThat(world.pool("disk@" + node).get("granted").asLong()).isEqualTo(256);

        // once the claim is released, a late retry still answers the first answer and claims nothing again
        assertThat(t.post("/v1/claims/" + first.text("id") + "/release", null).text("state")).isEqualTo("RELEASED");
        Http.Answer late = t.post("/v1/claims", body, Map.of(KEY, key));
        assertThat(late.status()).isEqualTo(201);
        assertThat(late.raw()).isEqualTo(first.raw());
        assertThat(late.headers().firstValue(REPLAYED)).contains("true");
        assertThat(World.ids(t.get("/v1/claims"))).containsExactly(first.text("id"));
        assertThat(t.get("/v1/claims/" + first.text("id")).text("state")).isEqualTo("RELEASED");
        assertThat(world.pool("memory@" + node).get("granted").asLong()).isZero();
        world.assertAuditClean();
    }

    @Test
    void theSameKeyWithAnotherBodyIsRefusedAndChangesNothing() {
        String node = World.name("n");
        world.node(node, 16384, 16384);
        Http t = world.tenant(World.name("t"), 16384, 16384);
        String key = World.name("key");
        Http.Answer first = t.post("/v1/claims", World.claim(1024, 0, List.of(), 1, 600, node), Map.of(KEY, key));
        assertThat(first.status()).isEqualTo(201);
        StateSnapshot before = StateSnapshot.take(op, broker.ledger().store());

        for (Map<String, Object> other : List.of(World.claim(2048, 0, List.of(), 1, 600, node),
                World.claim(1024, 0, List.of(), 9, 600, node), World.claim(1024, 0, List.of(), 1, 600, null))) {
            Http.Answer reused = t.post("/v1/claims", other, Map.of(KEY, key));
            assertThat(reused.status()).as(reused.toString()).isEqualTo(422);
            assertThat(reused.isClientProblem()).as(reused.toString()).isTrue();
            assertThat(reused.text("code")).isEqualTo("IDEMPOTENCY_KEY_REUSED");
            assertThat(reused.headers().firstValue(REPLAYED)).isEmpty();
        }
        assertThat(StateSnapshot.take(op, broker.ledger().store())).isEqualTo(before);
        assertThat(World.ids(t.get("/v1/claims"))).containsExactly(first.text("id"));
        assertThat(world.pool("memory@" + node).get("granted").asLong()).isEqualTo(1024);
        // and the key still answers its first request
        Http.Answer retry = t.post("/v1/claims", World.claim(1024, 0, List.of(), 1, 600, node), Map.of(KEY, key));
        assertThat(retry.raw()).isEqualTo(first.raw());
        t.post("/v1/claims/" + first.text("id") + "/release", null);
    }

    @Test
    void twentyConcurrentRetriesClaimOnce() throws Exception {
        String node = World.name("n");
        world.node(node, 16384, 16384);
        String tenantId = World.name("t");
        Http t = world.tenant(tenantId, 16384, 16384);
        String key = World.name("key");
        // the node and the quota could hold the claim four times over: a second effect would show as a grant
        Map<String, Object> body = World.claim(4000, 1000, List.of(), 1, 600, node);

        Http.Answer one = assertOneEffect(race(20, () -> t.post("/v1/claims", body, Map.of(KEY, key))));
        String firstAnswer = one.raw();

        String id = one.text("id");
        assertThat(World.ids(t.get("/v1/claims"))).containsExactly(id);
        assertThat(World.ids(op.get("/v1/claims?tenant=" + tenantId))).containsExactly(id);
        assertThat(world.pool("memory@" + node).get("granted").asLong()).isEqualTo(4000);
        assertThat(world.pool("disk@" + node).get("granted").asLong()).isEqualTo(1000);
        assertThat(world.pool("memory@" + node).get("holders").asInt()).isEqualTo(1);
        assertThat(t.get("/v1/tenants/" + tenantId).body().path("used").path("memory").asLong()).isEqualTo(4000);

        // every later retry gets the one answer
        Http.Answer after = t.post("/v1/claims", body, Map.of(KEY, key));
        assertThat(after.status()).isEqualTo(201);
        assertThat(after.raw()).isEqualTo(firstAnswer);
        t.post("/v1/claims/" + id + "/release", null);
        assertThat(world.pool("memory@" + node).get("granted").asLong()).isZero();
        world.assertAuditClean();
    }

    @Test
    void releaseRenewAndCancelRetriedWithAKeyAnswerTheSame() {
        String node = World.name("n");
        world.node(node, 16384, 16384);
        Http t = world.tenant(World.name("t"), 16384, 16384);
        String id = t.post("/v1/claims", World.claim(1024, 0, List.of(), 1, 600, node)).text("id");

        // renew: a replay must not move the deadline again
        String renewKey = World.name("key");
        Http.Answer renewed = t.post("/v1/claims/" + id + "/renew", Map.of("leaseSeconds", 900), Map.of(KEY, renewKey));
        assertThat(renewed.status()).as(renewed.toString()).isEqualTo(200);
        Instant deadline = Instant.parse(renewed.text("leaseExpiresAt"));
        await().atMost(Duration.ofSeconds(5)).until(() -> Instant.now().isAfter(deadline.minusSeconds(900).plusMillis(20)));
        Http.Answer renewedAgain = t.post("/v1/claims/" + id + "/renew", Map.of("leaseSeconds", 900),
                Map.of(KEY, renewKey));
        assertThat(renewedAgain.status()).isEqualTo(200);
        assertThat(renewedAgain.raw()).isEqualTo(renewed.raw());
        assertThat(renewedAgain.headers().firstValue(REPLAYED)).contains("true");
        assertThat(t.get("/v1/claims/" + id).text("leaseExpiresAt")).isEqualTo(renewed.text("leaseExpiresAt"));
        // whereas a renewal under a new key does move it: the check above could tell
        Http.Answer fresh = t.post("/v1/claims/" + id + "/renew", Map.of("leaseSeconds", 900),
                Map.of(KEY, World.name("key")));
        assertThat(Instant.parse(fresh.text("leaseExpiresAt"))).isAfter(deadline);

        // release
        String releaseKey = World.name("key");
        Http.Answer released = t.post("/v1/claims/" + id + "/release", null, Map.of(KEY, releaseKey));
        assertThat(released.status()).isEqualTo(200);
        assertThat(released.text("state")).isEqualTo("RELEASED");
        assertThat(released.headers().firstValue(REPLAYED)).isEmpty();
        Http.Answer releasedAgain = t.post("/v1/claims/" + id + "/release", null, Map.of(KEY, releaseKey));
        assertThat(releasedAgain.status()).isEqualTo(200);
        assertThat(releasedAgain.raw()).isEqualTo(released.raw());
        assertThat(releasedAgain.headers().firstValue(REPLAYED)).contains("true");
        assertThat(world.pool("memory@" + node).get("granted").asLong()).isZero();
        assertThat(t.get("/v1/tenants/" + t.get("/v1/claims/" + id).text("tenant")).body().path("used")
                .path("memory").asLong()).isZero();

        // cancel
        String other = t.post("/v1/claims", World.claim(2048, 0, List.of(), 1, 600, node)).text("id");
        String cancelKey = World.name("key");
        Http.Answer cancelled = t.send("DELETE", "/v1/claims/" + other, null, Map.of(KEY, cancelKey));
        assertThat(cancelled.status()).isEqualTo(200);
        assertThat(cancelled.text("state")).isEqualTo("CANCELLED");
        Http.Answer cancelledAgain = t.send("DELETE", "/v1/claims/" + other, null, Map.of(KEY, cancelKey));
        assertThat(cancelledAgain.status()).isEqualTo(200);
        assertThat(cancelledAgain.raw()).isEqualTo(cancelled.raw());
        assertThat(cancelledAgain.headers().firstValue(REPLAYED)).contains("true");
        assertThat(world.pool("memory@" + node).get("granted").asLong()).isZero();
        world.assertAuditClean();
    }

    @Test
    void keysArePerCaller() {
        String node = World.name("n");
        world.node(node, 16384, 16384);
        String idA = World.name("a");
        String idB = World.name("b");
        Http a = world.tenant(idA, 8192, 8192);
        Http b = world.tenant(idB, 8192, 8192);
        String key = World.name("key");
        Map<String, Object> body = World.claim(1000, 0, List.of(), 1, 600, node);

        Http.Answer ofA = a.post("/v1/claims", body, Map.of(KEY, key));
        Http.Answer ofB = b.post("/v1/claims", body, Map.of(KEY, key));
        assertThat(ofA.status()).isEqualTo(201);
        assertThat(ofB.status()).as(ofB.toString()).isEqualTo(201);
        assertThat(ofB.headers().firstValue(REPLAYED)).isEmpty();
        assertThat(ofB.text("id")).isNotEqualTo(ofA.text("id"));
        assertThat(ofB.text("tenant")).isEqualTo(idB);
        assertThat(ofA.text("tenant")).isEqualTo(idA);
        assertThat(World.ids(a.get("/v1/claims"))).containsExactly(ofA.text("id"));
        assertThat(World.ids(b.get("/v1/claims"))).containsExactly(ofB.text("id"));
        assertThat(world.pool("memory@" + node).get("granted").asLong()).isEqualTo(2000);

        // each caller's retry answers its own first answer
        assertThat(a.post("/v1/claims", body, Map.of(KEY, key)).raw()).isEqualTo(ofA.raw());
        assertThat(b.post("/v1/claims", body, Map.of(KEY, key)).raw()).isEqualTo(ofB.raw());
        // and the operator's use of the key is its own too: not B's claim, a 403 for the operator
        Http.Answer ofOperator = op.post("/v1/claims", body, Map.of(KEY, key));
        assertThat(ofOperator.status()).as(ofOperator.toString()).isEqualTo(403);
        assertThat(World.ids(op.get("/v1/claims?tenant=" + idA))).hasSize(1);
        assertThat(World.ids(op.get("/v1/claims?tenant=" + idB))).hasSize(1);
        a.post("/v1/claims/" + ofA.text("id") + "/release", null);
        b.post("/v1/claims/" + ofB.text("id") + "/release", null);
        world.assertAuditClean();
    }

    @Test
    void aRetriedTenantCreationAnswersWithoutTheTokenAndCreatesOneTenant() {
        String id = World.name("t");
        String key = World.name("key");
        Map<String, Object> body = Map.of("id", id, "quota", Map.of("memory", 2048));

        Http.Answer first = op.post("/v1/tenants", body, Map.of(KEY, key));
        assertThat(first.status()).as(first.toString()).isEqualTo(201);
        Http.Answer retry = op.post("/v1/tenants", body, Map.of(KEY, key));
        assertThat(retry.status()).as(retry.toString()).isEqualTo(201);
        assertThat(retry.body().has("token")).as("a token is shown once").isFalse();
        assertThat(retry.body().get("tokenIssuedOnce").asBoolean()).isTrue();
        assertThat(retry.text("id")).isEqualTo(first.text("id"));
        assertThat(retry.body().get("quota")).isEqualTo(first.body().get("quota"));
        assertThat(retry.headers().firstValue(REPLAYED)).contains("true");

        List<String> tenants = new ArrayList<>();
        op.get("/v1/tenants").body().get("items").forEach(x -> tenants.add(x.get("id").asText()));
        assertThat(tenants).filteredOn(id::equals).hasSize(1);
        assertThat(principals(Principal.Role.TENANT, id)).isEqualTo(1);
        Http.Answer own = op.as(first.text("token")).get("/v1/tenants/" + id);
        assertThat(own.status()).isEqualTo(200);
        assertThat(own.body().path("quota").path("memory").asLong()).isEqualTo(2048);

        Http.Answer reused = op.post("/v1/tenants", Map.of("id", World.name("t"), "quota", Map.of("memory", 1)),
                Map.of(KEY, key));
        assertThat(reused.status()).as(reused.toString()).isEqualTo(422);
        assertThat(reused.text("code")).isEqualTo("IDEMPOTENCY_KEY_REUSED");
        assertThat(op.get("/v1/tenants").body().get("items")).hasSize(tenants.size());
    }

    @Test
    void aRetriedAgentCreationAnswersWithoutTheTokenAndIssuesOne() {
        String node = World.name("n");
        String key = World.name("key");
        Http.Answer first = op.post("/v1/agents", Map.of("node", node), Map.of(KEY, key));
        assertThat(first.status()).as(first.toString()).isEqualTo(201);
        Http.Answer retry = op.post("/v1/agents", Map.of("node", node), Map.of(KEY, key));
        assertThat(retry.status()).isEqualTo(201);
        assertThat(retry.body().has("token")).as("a token is shown once").isFalse();
        assertThat(retry.body().get("tokenIssuedOnce").asBoolean()).isTrue();
        assertThat(retry.text("node")).isEqualTo(node);
        assertThat(retry.headers().firstValue(REPLAYED)).contains("true");
        assertThat(principals(Principal.Role.AGENT, node)).isEqualTo(1);
        World.report(op.as(first.text("token")), node, 1024, 1024);
    }

    @Test
    void retriedDefinitionsAnswerTheFirstAnswer() {
        String lock = World.name("l");
        String kind = World.name("k");
        String lockKey = World.name("key");
        String kindKey = World.name("key");
        Http.Answer lock1 = op.post("/v1/locks", Map.of("name", lock, "permits", 2), Map.of(KEY, lockKey));
        Http.Answer lock2 = op.post("/v1/locks", Map.of("name", lock, "permits", 2), Map.of(KEY, lockKey));
        assertThat(lock1.status()).isEqualTo(201);
        assertThat(lock2.status()).as("a retry is not a conflict: %s", lock2).isEqualTo(201);
        assertThat(lock2.raw()).isEqualTo(lock1.raw());
        Http.Answer kind1 = op.post("/v1/kinds", Map.of("name", kind), Map.of(KEY, kindKey));
        Http.Answer kind2 = op.post("/v1/kinds", Map.of("name", kind), Map.of(KEY, kindKey));
        assertThat(kind1.status()).isEqualTo(201);
        assertThat(kind2.status()).as("a retry is not a conflict: %s", kind2).isEqualTo(201);
        assertThat(kind2.raw()).isEqualTo(kind1.raw());
        // without the key the second request is a conflict, as it should be
        assertThat(op.post("/v1/locks", Map.of("name", lock, "permits", 2)).status()).isEqualTo(409);
    }

    @Test
    void aRetriedJobSubmissionAnswersTheFirstAnswerAndCreatesOneJobAndOneClaim() {
        String node = World.name("n");
        world.node(node, 16384, 16384);
        Http t = world.tenant(World.name("t"), 16384, 16384);
        String key = World.name("key");
        Map<String, Object> body = World.job(1024, node, 600, List.of("sh", "-c", "exit 0"));

        Http.Answer first = t.post("/v1/jobs", body, Map.of(KEY, key));
        assertThat(first.status()).as(first.toString()).isEqualTo(201);
        assertThat(first.headers().firstValue(REPLAYED)).isEmpty();
        String id = first.text("id");
        Http.Answer retry = t.post("/v1/jobs", body, Map.of(KEY, key));
        assertThat(retry.status()).isEqualTo(201);
        assertThat(retry.raw()).isEqualTo(first.raw());
        assertThat(retry.headers().firstValue(REPLAYED)).contains("true");
        awaitStarting(t, id);
        assertOneJob(t, id, node, 1024);

        // once the job is cancelled, a late retry still answers the first answer and submits nothing again
        assertThat(t.delete("/v1/jobs/" + id).text("state")).isEqualTo("CANCELLED");
        Http.Answer late = t.post("/v1/jobs", body, Map.of(KEY, key));
        assertThat(late.status()).isEqualTo(201);
        assertThat(late.raw()).isEqualTo(first.raw());
        assertThat(late.headers().firstValue(REPLAYED)).contains("true");
        assertThat(World.ids(t.get("/v1/jobs"))).containsExactly(id);
        assertThat(World.ids(t.get("/v1/claims"))).containsExactly(id);
        assertThat(t.get("/v1/jobs/" + id).text("state")).isEqualTo("CANCELLED");
        assertThat(world.pool("memory@" + node).get("granted").asLong()).isZero();
        world.assertAuditClean();
    }

    @Test
    void aJobsKeyWithAnotherBodyIsRefusedAndChangesNothing() {
        String node = World.name("n");
        world.node(node, 16384, 16384);
        Http t = world.tenant(World.name("t"), 16384, 16384);
        String key = World.name("key");
        List<String> command = List.of("sh", "-c", "exit 0");
        Http.Answer first = t.post("/v1/jobs", World.job(1024, node, 600, command), Map.of(KEY, key));
        assertThat(first.status()).as(first.toString()).isEqualTo(201);
        awaitStarting(t, first.text("id"));
        StateSnapshot before = StateSnapshot.take(op, broker.ledger().store());
        JsonNode jobsBefore = op.get("/v1/jobs").body();

        Map<String, Object> withEnv = World.job(1024, node, 600, command);
        withEnv.put("env", Map.of("MODE", "fast"));
        for (Map<String, Object> other : List.of(World.job(2048, node, 600, command),
                World.job(1024, node, 600, List.of("sh", "-c", "exit 1")), World.job(1024, node, 60, command), withEnv)) {
            Http.Answer reused = t.post("/v1/jobs", other, Map.of(KEY, key));
            assertThat(reused.status()).as(reused.toString()).isEqualTo(422);
            assertThat(reused.isClientProblem()).as(reused.toString()).isTrue();
            assertThat(reused.text("code")).isEqualTo("IDEMPOTENCY_KEY_REUSED");
            assertThat(reused.headers().firstValue(REPLAYED)).isEmpty();
        }
        assertThat(StateSnapshot.take(op, broker.ledger().store())).isEqualTo(before);
        assertThat(op.get("/v1/jobs").body()).isEqualTo(jobsBefore);
        assertOneJob(t, first.text("id"), node, 1024);
        // and the key still answers its first request
        Http.Answer retry = t.post("/v1/jobs", World.job(1024, node, 600, command), Map.of(KEY, key));
        assertThat(retry.raw()).isEqualTo(first.raw());
        assertThat(t.delete("/v1/jobs/" + first.text("id")).text("state")).isEqualTo("CANCELLED");
        world.assertAuditClean();
    }

    @Test
    void twentyConcurrentRetriesSubmitOneJob() throws Exception {
        String node = World.name("n");
        world.node(node, 16384, 16384);
        Http t = world.tenant(World.name("t"), 16384, 16384);
        String key = World.name("key");
        // the node and the quota could run the job four times over: a second effect would show as a grant
        Map<String, Object> body = World.job(4000, node, 600, List.of("sh", "-c", "exit 0"));

        Http.Answer one = assertOneEffect(race(20, () -> t.post("/v1/jobs", body, Map.of(KEY, key))));
        String id = one.text("id");
        awaitStarting(t, id);
        assertOneJob(t, id, node, 4000);
        assertThat(World.ids(op.get("/v1/jobs"))).filteredOn(id::equals).hasSize(1);

        // every later retry gets the one answer
        Http.Answer after = t.post("/v1/jobs", body, Map.of(KEY, key));
        assertThat(after.status()).isEqualTo(201);
        assertThat(after.raw()).isEqualTo(one.raw());
        assertThat(t.delete("/v1/jobs/" + id).text("state")).isEqualTo("CANCELLED");
        assertThat(world.pool("memory@" + node).get("granted").asLong()).isZero();
        world.assertAuditClean();
    }

    // ------------------------------------------------------------------ helpers

    /** Sends {@code n} copies of a request at once (released together) and returns every answer. */
    private static List<Http.Answer> race(int n, java.util.concurrent.Callable<Http.Answer> request) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        List<Http.Answer> answers = new ArrayList<>();
        try {
            CountDownLatch ready = new CountDownLatch(n);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Http.Answer>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                futures.add(pool.submit(() -> {
                    ready.countDown();
                    assertThat(go.await(30, TimeUnit.SECONDS)).isTrue();
                    return request.call();
                }));
            }
            assertThat(ready.await(30, TimeUnit.SECONDS)).isTrue();
            go.countDown();
            for (Future<Http.Answer> f : futures) {
                answers.add(f.get(60, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        return answers;
    }

    /**
     * Asserts that racing retries of one request ran it once: every 201 is the same answer and exactly one of them is
     * not a replay; the others were told the first run was still under way (409). Returns that answer.
     */
    private static Http.Answer assertOneEffect(List<Http.Answer> answers) {
        List<Http.Answer> created = answers.stream().filter(a -> a.status() == 201).toList();
        assertThat(created).as("at least one of %s ran", answers).isNotEmpty();
        String firstAnswer = created.get(0).raw();
        for (Http.Answer a : answers) {
            if (a.status() == 201) {
                assertThat(a.raw()).as("every 201 is the same answer").isEqualTo(firstAnswer);
            } else {
                assertThat(a.status()).as(a.toString()).isEqualTo(409);
                assertThat(a.isClientProblem()).as(a.toString()).isTrue();
                assertThat(a.text("code")).isEqualTo("IDEMPOTENCY_IN_PROGRESS");
            }
        }
        assertThat(created.stream().filter(a -> a.headers().firstValue(REPLAYED).isEmpty()).count())
                .as("exactly one answer is not a replay").isEqualTo(1);
        return created.get(0);
    }

    /** Waits until the job's claim is granted and the job handed to its runner. */
    private static void awaitStarting(Http tenant, String job) {
        await().atMost(Duration.ofSeconds(15)).until(() -> "STARTING".equals(tenant.get("/v1/jobs/" + job).text("state")));
    }

    /** Asserts the tenant has one job, {@code id}, whose one claim (of the same id) holds {@code memory} on the node. */
    private static void assertOneJob(Http tenant, String id, String node, long memory) {
        assertThat(World.ids(tenant.get("/v1/jobs"))).containsExactly(id);
        assertThat(World.ids(tenant.get("/v1/claims"))).as("the job's claim has its id").containsExactly(id);
        assertThat(tenant.get("/v1/claims/" + id).text("state")).isEqualTo("GRANTED");
        JsonNode pool = world.pool("memory@" + node);
        assertThat(pool.get("granted").asLong()).isEqualTo(memory);
        assertThat(pool.get("holders").asInt()).isEqualTo(1);
    }

    private static long principals(Principal.Role role, String subject) {
        return TestBrokers.table(broker, "principals").entries().values().stream()
                .filter(v -> v instanceof Principal p && p.role() == role && p.subject().equals(subject)).count();
    }
}
