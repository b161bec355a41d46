package io.ichiba.broker;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Price alerts over real HTTP on two brokers with fixed spot rules ({@link MarketBrokers}: floor 7, ceiling 50, knee
 * 0.9, no smoothing): create, list, read, delete; isolation; retries; bad input (a 4xx problem that changes nothing);
 * and crossings driven by utilisation: a claim of a whole node moves the spot from the floor to the ceiling and
 * back, which an {@code above} and a {@code below} alert report as {@code price.crossed} events to their tenant.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AlertsIT {
    private MarketBrokers cluster;
    private Http op;
    private Http op2;
    private World world;

    @BeforeAll
    void start() throws Exception {
        cluster = new MarketBrokers(MarketBrokers.fixedRules());
        op = TestBrokers.operator(cluster.start());
        op2 = TestBrokers.operator(cluster.start());
        world = new World(op);
    }

    @AfterAll
    void stop() {
        cluster.close();
    }

    private static Map<String, Object> above(String kind, long threshold) {
        return Map.of("kind", kind, "above", threshold);
    }

    private static Map<String, Object> below(String kind, long threshold) {
        return Map.of("kind", kind, "below", threshold);
    }

    @Test
    void aTenantCreatesListsReadsAndDeletesItsAlerts() {
        Http t = world.tenant(World.name("t"), 1000, 0);
        Http.Answer up = t.post("/v1/price-alerts", above("memory", 40));
        assertThat(up.status()).as(up.toString()).isEqualTo(201);
        assertThat(up.text("kind")).isEqualTo("memory");
        assertThat(up.body().get("above").asLong()).isEqualTo(40);
        assertThat(up.body().has("below")).isFalse();
        assertThat(up.text("state")).isEqualTo("ACTIVE");
        assertThat(up.body().has("createdAt")).isTrue();
        Http.Answer down = t.at(op2.base()).post("/v1/price-alerts", below("disk", 3));
        assertThat(down.status()).as(down.toString()).isEqualTo(201);
        assertThat(down.body().get("below").asLong()).isEqualTo(3);

        assertThat(World.ids(t.get("/v1/price-alerts"))).containsExactly(up.text("id"), down.text("id"));
        Http.Answer read = t.at(op2.base()).get("/v1/price-alerts/" + up.text("id"));
        assertThat(read.status()).isEqualTo(200);
        assertThat(read.body().get("above").asLong()).isEqualTo(40);

        Http.Answer deleted = t.delete("/v1/price-alerts/" + up.text("id"));
        assertThat(deleted.status()).as(deleted.toString()).isEqualTo(200);
        assertThat(deleted.text("state")).isEqualTo("DELETED");
        assertThat(t.at(op2.base()).delete("/v1/price-alerts/" + up.text("id")).text("state"))
                .as("twice is harmless").isEqualTo("DELETED");
        assertThat(World.ids(t.get("/v1/price-alerts"))).containsExactly(down.text("id"));
        assertThat(t.get("/v1/price-alerts/" + up.text("id")).text("state")).isEqualTo("DELETED");
    }

    @Test
    void aRetryWithTheSameKeyCreatesOneAlert() {
        Http t = world.tenant(World.name("t"), 1000, 0);
        Map<String, String> key = Map.of("Idempotency-Key", "alert-1");
        Http.Answer first = t.post("/v1/price-alerts", above("memory", 9), key);
        Http.Answer again = t.at(op2.base()).post("/v1/price-alerts", above("memory", 9), key);
        assertThat(first.status()).isEqualTo(201);
        assertThat(again.status()).isEqualTo(201);
        assertThat(again.text("id")).isEqualTo(first.text("id"));
        assertThat(World.ids(t.get("/v1/price-alerts"))).containsExactly(first.text("id"));
        Http other = world.tenant(World.name("t"), 1000, 0);
        Http.Answer sameKeyOtherTenant = other.post("/v1/price-alerts", above("memory", 9), key);
        assertThat(sameKeyOtherTenant.status()).isEqualTo(201);
        assertThat(sameKeyOtherTenant.text("id")).isNotEqualTo(first.text("id"));
    }

    @Test
    void anAlertIsItsTenantsOnly() {
        Http a = world.tenant(World.name("ta"), 1000, 0);
        Http b = world.tenant(World.name("tb"), 1000, 0);
        String id = a.post("/v1/price-alerts", above("memory", 40)).text("id");
        Http.Answer read = b.get("/v1/price-alerts/" + id);
        assertThat(read.status()).isEqualTo(404);
        assertThat(read.headers().firstValue("content-type").orElse("")).startsWith("application/problem+json");
        assertThat(b.delete("/v1/price-alerts/" + id).status()).isEqualTo(404);
        assertThat(b.get("/v1/price-alerts").body().get("items")).isEmpty();
        assertThat(a.get("/v1/price-alerts/" + id).text("state")).as("b's delete changed nothing").isEqualTo("ACTIVE");
        Http agent = world.node(World.name("n"), 1, 1);
        assertThat(agent.get("/v1/price-alerts").status()).isEqualTo(403);
        assertThat(agent.post("/v1/price-alerts", above("memory", 40)).status()).isEqualTo(403);
        assertThat(op.post("/v1/price-alerts", above("memory", 40)).status()).isEqualTo(403);
        assertThat(op.get("/v1/price-alerts/" + id).status()).isEqualTo(403);
        assertThat(op.as(null).get("/v1/price-alerts").status()).isEqualTo(401);
    }

    @Test
    void badInputIsAProblemAndCreatesNothing() {
        Http t = world.tenant(World.name("t"), 1000, 0);
        List<Object[]> cases = new ArrayList<>();
        cases.add(new Object[]{Map.of("kind", "memory", "above", 5, "below", 3), 400, "both above and below"});
        cases.add(new Object[]{Map.of("kind", "memory"), 400, "neither"});
        cases.add(new Object[]{Map.of("kind", "memory", "above", 0), 400, "zero"});
        cases.add(new Object[]{Map.of("kind", "memory", "below", -4), 400, "negative"});
        cases.add(new Object[]{Map.of("kind", "memory", "above", MarketBrokers.PRICE_MAX + 1), 400,
                "above the largest price"});
        cases.add(new Object[]{Map.of("kind", "memory", "above", 10_000_000_000L), 400, "absurd"});
        cases.add(new Object[]{Map.of("kind", "memory", "above", "ten"), 400, "not a number"});
        cases.add(new Object[]{Map.of("kind", "memory", "above", 5, "colour", "red"), 400, "unknown field"});
        cases.add(new Object[]{Map.of("above", 5), 400, "no kind"});
        cases.add(new Object[]{Map.of("kind", "gpu", "above", 5), 422, "unknown kind"});
        for (Object[] c : cases) {
            Http.Answer a = t.post("/v1/price-alerts", c[0]);
            assertThat(a.status()).as(c[2] + ": " + a).isEqualTo(c[1]);
            assertThat(a.headers().firstValue("content-type").orElse("")).as(String.valueOf(c[2]))
                    .startsWith("application/problem+json");
            assertThat(a.body().has("detail")).isTrue();
        }
        assertThat(t.get("/v1/price-alerts").body().get("items")).as("nothing created").isEmpty();
        assertThat(t.get("/v1/price-alerts/no-such-alert").status()).isEqualTo(404);
        assertThat(t.get("/v1/price-alerts/bad%20id").status()).isEqualTo(400);
    }

    @Test
    void aTenantHasAtMostAHundredAlerts() {
        Http t = world.tenant(World.name("t"), 1000, 0);
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= 100; i++) {
            Http.Answer a = t.post("/v1/price-alerts", above("memory", i));
            assertThat(a.status()).as(a.toString()).isEqualTo(201);
            ids.add(a.text("id"));
        }
        Http.Answer over = t.post("/v1/price-alerts", above("memory", 5));
        assertThat(over.status()).as(over.toString()).isEqualTo(409);
        assertThat(over.text("code")).isEqualTo("LIMIT_REACHED");
        assertThat(t.get("/v1/price-alerts").body().get("items")).hasSize(100);
        t.delete("/v1/price-alerts/" + ids.get(0));
        assertThat(t.post("/v1/price-alerts", above("memory", 5)).status()).as("room again").isEqualTo(201);
    }

    /** The price.crossed events {@code caller} sees for {@code alert}. */
    private static List<JsonNode> crossings(Http caller, String alert) {
        Http.Answer page = caller.get("/v1/events?types=price.crossed&limit=1000");
        assertThat(page.status()).as(page.toString()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        page.body().get("items").forEach(e -> {
            if (e.get("subject").asText().equals(alert)) {
                out.add(e);
            }
        });
        return out;
    }

    @Test
    void crossingsDrivenByUtilisationReachTheAlertsTenantOnly() {
        String node = World.name("n");
        world.node(node, 10_000, 10_000);
        String a = World.name("ta");
        Http ta = world.tenant(a, 10_000, 0);
        Http tb = world.tenant(World.name("tb"), 10_000, 0);
        String up = ta.post("/v1/price-alerts", above("memory", 20)).text("id");
        String down = ta.at(op2.base()).post("/v1/price-alerts", below("memory", 10)).text("id");
        String disk = ta.post("/v1/price-alerts", above("disk", 20)).text("id");
        // the first update each alert sees (the floor) only records its side
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            for (String id : List.of(up, down)) {
                JsonNode alert = ta.get("/v1/price-alerts/" + id).body();
                assertThat(alert.path("lastPrice").asLong()).isEqualTo(MarketBrokers.FLOOR);
            }
        });
        assertThat(crossings(ta, up)).isEmpty();
        assertThat(crossings(ta, down)).isEmpty();

        // the whole node's memory granted: utilisation 1, the spot jumps to the ceiling
        Http.Answer claim = ta.post("/v1/claims", World.claim(10_000, 0, List.of(), 1, 600, node));
        assertThat(claim.text("state")).as(claim.toString()).isEqualTo("GRANTED");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(crossings(ta, up)).hasSize(1));
        JsonNode e = crossings(ta.at(op2.base()), up).get(0);
        assertThat(e.get("id").asText()).isEqualTo("alert:" + up + ":0");
        assertThat(e.get("tenant").asText()).isEqualTo(a);
        Map<String, String> payload = new HashMap<>();
        e.get("payload").fields().forEachRemaining(f -> payload.put(f.getKey(), f.getValue().asText()));
        assertThat(payload).containsEntry("alert", up).containsEntry("kind", "memory").containsEntry("threshold", "20")
                .containsEntry("direction", "above").containsEntry("price", String.valueOf(MarketBrokers.CEILING));
        assertThat(ta.get("/v1/price-alerts/" + up).body().get("crossings").asLong()).isEqualTo(1);

        // released: back to the floor, below 10 — the below alert fires, the above one re-arms
        ta.post("/v1/claims/" + claim.text("id") + "/release", null);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(crossings(ta, down)).hasSize(1));
        assertThat(crossings(ta, down).get(0).get("payload").get("price").asText())
                .isEqualTo(String.valueOf(MarketBrokers.FLOOR));
        assertThat(crossings(ta, up)).as("once per crossing").hasSize(1);
        assertThat(crossings(ta, disk)).as("disk's price did not move").isEmpty();
        assertThat(crossings(tb, up)).as("another tenant sees none").isEmpty();
        // counted by the member that relays each alert's events: sum over the members
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            String m1 = new Http(op.base(), null).get("/metrics").raw();
            String m2 = new Http(op2.base(), null).get("/metrics").raw();
            assertThat(sample(m1, "ichiba_price_crossings_total") + sample(m2, "ichiba_price_crossings_total"))
                    .isGreaterThanOrEqualTo(2);
            assertThat(sample(m1, "ichiba_price_alerts")).as("live alerts, cluster-wide").isGreaterThanOrEqualTo(3);
        });
    }

    /** The value of an untagged sample in a Prometheus text, 0 if absent. */
    private static double sample(String metrics, String name) {
        return Http.sample(metrics, name, 0);
    }
}
