package io.ichiba.broker;

import com.fasterxml.jackson.databind.JsonNode;
import io.ichiba.api.Model;
import io.ichiba.api.client.IchibaClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Placement hints and claim explanations over real HTTP on one real broker: ranking, plans, quota, isolation, bad
 * input, metrics. Each test defines a kind of its own that only its nodes have, so the nodes of the other tests rank
 * after them (too small) and place nothing.
 */
class PlacementIT {
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

    /** Defines a kind that only this test's nodes will have. */
    private static String kind() {
        String k = World.name("slot");
        assertThat(op.post("/v1/kinds", Map.of("name", k, "unit", "slots")).status()).isEqualTo(201);
        return k;
    }

    /** Creates a node with {@code memory} MiB and {@code slots} of {@code kind}. */
    private static String node(String kind, long memory, long slots) {
        String node = World.name("n");
        Http agent = world.node(node, memory, 100_000);
        Map<String, Long> alloc = Map.of("memory", memory, "disk", 100_000L, kind, slots);
        Http.Answer r = agent.put("/v1/nodes/" + node + "/report", Map.of("allocatable", alloc, "free", alloc));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return node;
    }

    private static Http tenant(String kind, long slots) {
        Http.Answer a = op.post("/v1/tenants", Map.of("id", World.name("t"),
                "quota", Map.of("memory", 1_000_000, "disk", 1_000_000, kind, slots)));
        assertThat(a.status()).as(a.toString()).isEqualTo(201);
        return op.as(a.text("token"));
    }

    private static Map<String, Object> stage(long tasks, String kind, long memory, Map<String, Object> extra) {
        Map<String, Object> s = new HashMap<>(Map.of("tasks", tasks, "bundle", Map.of("memory", memory, kind, 1)));
        s.putAll(extra);
        return s;
    }

    private static JsonNode nodeHint(JsonNode stage, String node) {
        for (JsonNode n : stage.get("nodes")) {
            if (n.get("node").asText().equals(node)) {
                return n;
            }
        }
        throw new AssertionError(node + " not in " + stage);
    }

    private static List<String> ranked(JsonNode stage) {
        List<String> out = new ArrayList<>();
        stage.get("nodes").forEach(n -> out.add(n.get("node").asText()));
        return out;
    }

    @Test
    void aStageIsRankedDataLocalThenRoomThenWaitAndNothingChanges() {
        String k = kind();
        String a = node(k, 16384, 4);
        String b = node(k, 8192, 2);
        String c = node(k, 16384, 4);
        Http t = tenant(k, 100);
        Http other = tenant(k, 100);
        Http.Answer held = other.post("/v1/claims", Map.of("bundle", Map.of("memory", 12288, k, 1), "node", a,
                "leaseSeconds", 600));
        assertThat(held.text("state")).isEqualTo("GRANTED");
        List<JsonNode> poolsBefore = world.pools();

        Instant deadline = Instant.now().plus(Duration.ofHours(1));
        Http.Answer r = t.post("/v1/placement/hints", Map.of("stage", stage(6, k, 4096, Map.of()),
                "prefer", Map.of("nodes", List.of(c)), "deadline", deadline.toString()));

        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.text("mode")).isEqualTo("stage");
        assertThat(r.text("funding")).isEqualTo("QUOTA");
        JsonNode s = r.body().get("stage");
        assertThat(ranked(s).subList(0, 3)).containsExactly(c, b, a);
        assertThat(nodeHint(s, c).get("rank").asInt()).isEqualTo(1);
        assertThat(nodeHint(s, c).get("fitsNow").asLong()).isEqualTo(4);
        assertThat(nodeHint(s, c).get("reason").asText()).isEqualTo("data-local, fits 4 now");
        assertThat(nodeHint(s, b).get("fitsNow").asLong()).isEqualTo(2);
        JsonNode onA = nodeHint(s, a);
        assertThat(onA.get("fitsNow").asLong()).isEqualTo(1);
        assertThat(onA.get("fitsByDeadline").asLong()).as("the grant's lease ends within the hour").isEqualTo(4);
        long price = s.get("pricePerTaskHour").asLong();
        assertThat(price).isPositive();
        assertThat(onA.get("pricePerTaskHour").asLong()).isEqualTo(price);
        assertThat(s.get("startNow").asLong()).isEqualTo(6);
        assertThat(s.get("placement").get(c).asLong()).isEqualTo(4);
        assertThat(s.get("placement").get(b).asLong()).isEqualTo(2);
        // every node of the other tests lacks the kind: ranked after, with nothing to place
        for (JsonNode n : s.get("nodes")) {
            if (!List.of(a, b, c).contains(n.get("node").asText())) {
                assertThat(n.get("rank").asInt()).isGreaterThan(3);
                assertThat(n.get("fitsNow").asLong()).isZero();
            }
        }
        // it reserved nothing and changed nothing
        assertThat(world.pools()).isEqualTo(poolsBefore);
        assertThat(World.ids(t.get("/v1/claims"))).isEmpty();

        // the Java client reads the same answer
        Model.PlacementHints viaClient = IchibaClient.builder(op.base()).token(t.token()).build().placementHints(
                new Model.HintsRequest(new Model.HintStage(null, 6, Map.of("memory", 4096L, k, 1L), null,
                        new Model.HintPrefer(List.of(c)), null), null, null, null, null));
        assertThat(viaClient.stage().nodes().get(0).node()).isEqualTo(c);
        assertThat(viaClient.stage().startNow()).isEqualTo(6);

        other.post("/v1/claims/" + held.text("id") + "/release", null);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(new Http(op.base(), null)
                .get("/metrics").raw()).containsPattern("ichiba_placement_hints_total\\{mode=\"stage\"} [1-9]"));
    }

    @Test
    void aPlanStartsReadyStagesNowAndSaysWhenTheirDependantsCould() {
        String k = kind();
        String n = node(k, 16384, 4);
        Http t = tenant(k, 100);
        Map<String, Object> body = Map.of("stages", List.of(
                stage(4, k, 4096, Map.of("name", "extract", "leaseSeconds", 300)),
                stage(2, k, 4096, Map.of("name", "join", "after", List.of("extract")))));
        Http.Answer r = t.post("/v1/placement/hints", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.text("mode")).isEqualTo("plan");
        JsonNode extract = r.body().get("plan").get(0);
        JsonNode join = r.body().get("plan").get(1);
        assertThat(extract.get("startNow").asBoolean()).isTrue();
        assertThat(extract.get("placement").get(n).asLong()).isEqualTo(4);
        assertThat(extract.get("reason").asText()).isEqualTo("starts now");
        Instant at = Instant.parse(r.text("at"));
        assertThat(Instant.parse(extract.get("endsAt").asText())).isEqualTo(at.plusSeconds(300));
        assertThat(join.get("startNow").asBoolean()).isFalse();
        assertThat(Instant.parse(join.get("startsAt").asText())).isEqualTo(at.plusSeconds(300));
        assertThat(join.get("waitSeconds").asLong()).isEqualTo(300);
        assertThat(join.get("placement").get(n).asLong()).isEqualTo(2);
        assertThat(join.get("reason").asText()).contains("after extract");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(new Http(op.base(), null)
                .get("/metrics").raw()).containsPattern("ichiba_placement_hints_total\\{mode=\"plan\"} [1-9]"));
    }

    @Test
    void aStageFundedByQuotaStartsNoMoreThanTheQuotaAllowsAndOneThatBuysIsNotLimited() {
        String k = kind();
        node(k, 65536, 16);
        Http t = tenant(k, 3);
        Http.Answer quota = t.post("/v1/placement/hints", Map.of("stage", stage(10, k, 1024, Map.of())));
        assertThat(quota.body().get("stage").get("quotaTasks").asLong()).isEqualTo(3);
        assertThat(quota.body().get("stage").get("startNow").asLong()).isEqualTo(3);
        Http.Answer buy = t.post("/v1/placement/hints", Map.of("stage", stage(10, k, 1024, Map.of()), "funding", "BUY"));
        assertThat(buy.text("funding")).isEqualTo("BUY");
        assertThat(buy.body().get("stage").has("quotaTasks")).isFalse();
        assertThat(buy.body().get("stage").get("startNow").asLong()).isEqualTo(10);
    }

    @Test
    void aWaitingClaimIsExplainedToItsTenantOnlyAndAnEndedOneSaysHowItEnded() {
        String k = kind();
        String n = node(k, 8192, 4);
        Http mine = tenant(k, 100);
        Http other = tenant(k, 100);
        Http.Answer theirs = other.post("/v1/claims", Map.of("bundle", Map.of("memory", 6000), "node", n,
                "leaseSeconds", 600));
        Http.Answer own = mine.post("/v1/claims", Map.of("bundle", Map.of("memory", 1000), "node", n,
                "leaseSeconds", 300));
        Http.Answer waiting = mine.post("/v1/claims", Map.of("bundle", Map.of("memory", 4000), "node", n,
                "leaseSeconds", 120));
        assertThat(theirs.text("state")).isEqualTo("GRANTED");
        assertThat(own.text("state")).isEqualTo("GRANTED");
        assertThat(waiting.text("state")).isEqualTo("QUEUED");

        Http.Answer e = mine.get("/v1/claims/" + waiting.text("id") + "/explain");
        assertThat(e.status()).as(e.toString()).isEqualTo(200);
        assertThat(e.body().get("claim").get("state").asText()).isEqualTo("QUEUED");
        assertThat(e.body().get("queue").get("position").asInt()).isGreaterThanOrEqualTo(1);
        JsonNode gap = e.body().get("nodes").get(0);
        assertThat(gap.get("node").asText()).isEqualTo(n);
        JsonNode memory = gap.get("kinds").get(0);
        assertThat(memory.get("kind").asText()).isEqualTo("memory");
        assertThat(memory.get("asked").asLong()).isEqualTo(4000);
        assertThat(memory.get("free").asLong()).isEqualTo(8192 - 7000);
        assertThat(memory.get("missing").asLong()).isEqualTo(4000 - 1192);
        // its own hold by id, the other tenant's only counted
        assertThat(gap.get("holders").get("own").get(0).get("claim").asText()).isEqualTo(own.text("id"));
        assertThat(gap.get("holders").get("others").asInt()).isEqualTo(1);
        assertThat(gap.get("holders").get("otherAmounts").get("memory").asLong()).isEqualTo(6000);
        assertThat(e.raw()).doesNotContain(theirs.text("id"));
        assertThat(gap.get("releases")).hasSize(2);
        assertThat(Instant.parse(gap.get("fitsAt").asText())).isEqualTo(Instant.parse(theirs.text("leaseExpiresAt")));
        assertThat(e.body().get("purchase").get("leaseSeconds").asLong()).isEqualTo(120);
        assertThat(e.body().get("purchase").get("urgentCost").asLong()).isPositive();

        // another tenant's claim is not found, as for GET; the operator may not ask
        assertThat(other.get("/v1/claims/" + waiting.text("id") + "/explain").status()).isEqualTo(404);
        assertThat(other.get("/v1/claims/" + waiting.text("id")).status()).isEqualTo(404);
        assertThat(op.get("/v1/claims/" + waiting.text("id") + "/explain").status()).isEqualTo(403);
        assertThat(mine.get("/v1/claims/no-such-claim/explain").status()).isEqualTo(404);

        // granted: where; ended: how and when
        Model.ClaimExplanation granted = IchibaClient.builder(op.base()).token(mine.token()).build()
                .explain(own.text("id"));
        assertThat(granted.claim().node()).isEqualTo(n);
        assertThat(granted.queue()).isNull();
        mine.post("/v1/claims/" + own.text("id") + "/release", null);
        Http.Answer ended = mine.get("/v1/claims/" + own.text("id") + "/explain");
        assertThat(ended.body().get("claim").get("state").asText()).isEqualTo("RELEASED");
        assertThat(ended.body().get("claim").get("reason").asText()).isEqualTo("RELEASED");
        assertThat(ended.body().get("claim").get("endedAt").asText()).isNotNull();
        assertThat(ended.body().has("nodes")).isFalse();

        mine.delete("/v1/claims/" + waiting.text("id"));
        other.post("/v1/claims/" + theirs.text("id") + "/release", null);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(new Http(op.base(), null)
                .get("/metrics").raw()).containsPattern("ichiba_claim_explains_total [1-9]"));
        world.assertAuditClean();
    }

    @Test
    void badHintRequestsAreClientProblemsThatSayWhatWasWrong() {
        String k = kind();
        String n = node(k, 8192, 4);
        Http t = tenant(k, 100);
        Map<String, Object> ok = stage(1, k, 1024, Map.of());
        record Bad(String what, Object body, int status, String says) {
        }
        List<Bad> table = List.of(
                new Bad("no tasks", Map.of("stage", Map.of("tasks", 0, "bundle", Map.of("memory", 1))), 400, "tasks"),
                new Bad("absurd tasks", Map.of("stage", Map.of("tasks", 5_000_000, "bundle", Map.of("memory", 1))), 400,
                        "tasks"),
                new Bad("empty bundle", Map.of("stage", Map.of("tasks", 1, "bundle", Map.of())), 400, "bundle"),
                new Bad("locks in the bundle", Map.of("stage", Map.of("tasks", 1, "bundle",
                        Map.of("memory", 1, "locks", List.of("db")))), 400, "locks"),
                new Bad("unknown kind", Map.of("stage", Map.of("tasks", 1, "bundle", Map.of("nokind", 1))), 422,
                        "nokind"),
                new Bad("unknown node", Map.of("stage", ok, "prefer", Map.of("nodes", List.of("no-node"))), 422,
                        "no-node"),
                new Bad("past deadline", Map.of("stage", ok, "deadline", "2020-01-01T00:00:00Z"), 400, "deadline"),
                new Bad("bad deadline", Map.of("stage", ok, "deadline", "tomorrow"), 400, "deadline"),
                new Bad("both", Map.of("stage", ok, "stages", List.of(ok)), 400, "exactly one"),
                new Bad("neither", Map.of("deadline", "2099-01-01T00:00:00Z"), 400, "exactly one"),
                new Bad("unnamed plan stage", Map.of("stages", List.of(ok)), 400, "name"),
                new Bad("after unknown", Map.of("stages", List.of(stage(1, k, 1, Map.of("name", "a",
                        "after", List.of("zz"))))), 400, "unknown stage zz"),
                new Bad("cycle", Map.of("stages", List.of(stage(1, k, 1, Map.of("name", "a", "after", List.of("b"))),
                        stage(1, k, 1, Map.of("name", "b", "after", List.of("a"))))), 400, "cycle"),
                new Bad("long lease", Map.of("stage", stage(1, k, 1, Map.of("leaseSeconds", 999_999))), 400,
                        "leaseSeconds"),
                new Bad("unknown field", Map.of("stage", ok, "colour", "red"), 400, "colour"),
                new Bad("not JSON", "{", 400, ""));
        for (Bad b : table) {
            Http.Answer r = t.post("/v1/placement/hints", b.body());
            assertThat(r.status()).as(b.what() + ": " + r).isEqualTo(b.status());
            assertThat(r.isClientProblem()).as(b.what() + ": " + r).isTrue();
            assertThat(r.raw()).as(b.what()).contains(b.says());
        }
        assertThat(op.post("/v1/placement/hints", Map.of("stage", ok)).status()).isEqualTo(403);
        assertThat(new Http(op.base(), null).post("/v1/placement/hints", Map.of("stage", ok)).status()).isEqualTo(401);
        // and a good one next to them still works
        Http.Answer good = t.post("/v1/placement/hints", Map.of("stage", ok, "prefer", Map.of("nodes", List.of(n))));
        assertThat(good.status()).as(good.toString()).isEqualTo(200);
        assertThat(good.body().get("stage").get("nodes").get(0).get("node").asText()).isEqualTo(n);
    }
}
