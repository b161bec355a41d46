package io.ichiba.broker;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 14's audit trail over real HTTP: the operator's and agents' changes of what the ledger grants from are in
 * {@code GET /v1/audit/actions}, in order, with who, what, when, before and after, never a token; the operator alone
 * reads it, page by page; a keyed retry and an unchanged report add nothing.
 */
class ActionTrailIT {
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
    void theOperatorsAndAgentsChangesAreTrailedInOrderWithBeforeAndAfterAndNoToken() {
        String since = last();
        String tenant = World.name("t");
        Http.Answer created = op.post("/v1/tenants", Map.of("id", tenant, "quota", Map.of("memory", 1024)));
        Http t = op.as(created.text("token"));
        Map<String, String> key = Map.of("Idempotency-Key", World.name("k"));
        assertThat(op.post("/v1/tenants/" + tenant + "/credits", Map.of("amount", 100), key).status()).isEqualTo(201);
        assertThat(op.post("/v1/tenants/" + tenant + "/credits", Map.of("amount", 100), key).status())
                .as("a keyed retry").isEqualTo(201);
        assertThat(op.send("PATCH", "/v1/tenants/" + tenant, Map.of("creditLimit", 50), Map.of()).status())
                .isEqualTo(200);
        String kind = World.name("k").toLowerCase(java.util.Locale.ROOT).replace("-", "");
        assertThat(op.post("/v1/kinds", Map.of("name", kind, "unit", "cards")).status()).isEqualTo(201);
        assertThat(op.post("/v1/locks", Map.of("name", World.name("l"), "permits", 2)).status()).isEqualTo(201);
        String node = World.name("n");
        Http.Answer agentMade = op.post("/v1/agents", Map.of("node", node));
        Http agent = op.as(agentMade.text("token"));
        World.report(agent, node, 4096, 4096);
        World.report(agent, node, 4096, 4096); // the same capacity: not an action
        World.report(agent, node, 8192, 4096);
        assertThat(t.post("/v1/tenants/" + tenant + "/rotate-token", null).status()).as("the tenant's own")
                .isEqualTo(200);
        Http.Answer rotated = op.post("/v1/agents/" + node + "/rotate-token", null);
        assertThat(rotated.status()).isEqualTo(200);

        List<JsonNode> trail = after(since);
        assertThat(trail).extracting(a -> a.get("operation").asText()).containsExactly("createTenant", "mintCredits",
                "updateTenant", "defineKind", "createLock", "createAgent", "reportNode", "reportNode",
                "rotateAgentToken");
        assertThat(trail).extracting(a -> a.get("actor").asText()).containsExactly("operator", "operator", "operator",
                "operator", "operator", "operator", "agent:" + node, "agent:" + node, "operator");
        JsonNode mint = trail.get(1);
        assertThat(mint.get("target").asText()).isEqualTo("/v1/tenants/" + tenant + "/credits");
        assertThat(mint.get("before").get("balance").asLong()).isZero();
        assertThat(mint.get("after").get("balance").asLong()).isEqualTo(100);
        JsonNode update = trail.get(2);
        assertThat(update.get("before").get("creditLimit").asLong()).isZero();
        assertThat(update.get("after").get("creditLimit").asLong()).isEqualTo(50);
        assertThat(trail.get(6).has("before")).as("a node's first report: nothing before").isFalse();
        assertThat(trail.get(7).get("before").get("allocatable").get("memory").asLong()).isEqualTo(4096);
        assertThat(trail.get(0).get("after").get("id").asText()).isEqualTo(tenant);
        assertThat(trail.get(0).get("at").asText()).isNotBlank();
        String all = trail.toString();
        for (String secret : List.of(created.text("token"), agentMade.text("token"), rotated.text("token"))) {
            assertThat(all).doesNotContain(secret);
        }
        assertThat(all).doesNotContain("\"token\"");
    }

    @Test
    void onlyTheOperatorReadsTheTrailAndItComesInPages() {
        String since = last();
        for (int i = 0; i < 5; i++) {
            assertThat(op.post("/v1/locks", Map.of("name", World.name("l"), "permits", 1)).status()).isEqualTo(201);
        }
        Http.Answer first = op.get("/v1/audit/actions?limit=2&after=" + since);
        assertThat(first.body().get("items")).hasSize(2);
        String next = first.text("next");
        Http.Answer second = op.get("/v1/audit/actions?limit=2&after=" + next);
        assertThat(second.body().get("items")).hasSize(2);
        assertThat(second.body().get("items").get(0).get("id").asText()).isGreaterThan(next);
        assertThat(after(since)).hasSize(5);

        Http t = world.tenant(World.name("t"), 1, 1);
        assertThat(t.get("/v1/audit/actions").status()).isEqualTo(403);
        Http agent = world.node(World.name("n"), 1, 1);
        assertThat(agent.get("/v1/audit/actions").status()).isEqualTo(403);
        assertThat(new Http(op.base(), null).get("/v1/audit/actions").status()).isEqualTo(401);
    }

    /** The id of the trail's last action so far ("" if none). */
    private static String last() {
        List<JsonNode> all = after("");
        return all.isEmpty() ? "" : all.get(all.size() - 1).get("id").asText();
    }

    /** Every action after the id {@code since}, read page by page. */
    private static List<JsonNode> after(String since) {
        List<JsonNode> out = new ArrayList<>();
        String cursor = since;
        while (true) {
            Http.Answer page = op.get("/v1/audit/actions?limit=3" + (cursor.isEmpty() ? "" : "&after=" + cursor));
            assertThat(page.status()).as(page.toString()).isEqualTo(200);
            page.body().get("items").forEach(out::add);
            if (!page.body().hasNonNull("next")) {
                return out;
            }
            cursor = page.text("next");
        }
    }
}
