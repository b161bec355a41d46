package io.ichiba.broker;

import io.ichiba.ledger.LedgerSettings;
import io.ichiba.ledger.tenant.TenantLimits;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Limits per tenant over real HTTP on two brokers (issue 13): a request past a limit is a 429
 * {@code application/problem+json} with code {@code TENANT_LIMIT} that names the limit and its value and changes
 * nothing, on whichever member it arrives; the operator sets one tenant's own limits with {@code PATCH
 * /v1/tenants/{id}}; {@code GET /v1/tenants/{id}} shows the limits and what each counts; refusals are counted in
 * {@code /metrics} by limit.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TenantLimitsIT {
    private static final TenantLimits LIMITS = new TenantLimits(100, 2, 100, 1, 100);
    private TestBrokers cluster;
    private Http op;
    private Http op2;
    private World world;

    @BeforeAll
    void start() throws Exception {
        cluster = new TestBrokers(LedgerSettings.defaults().withNodeGraceMillis(0).withLimits(LIMITS));
        op = TestBrokers.operator(cluster.start());
        op2 = TestBrokers.operator(cluster.start());
        world = new World(op);
        world.node(World.name("n"), 65_536, 65_536);
    }

    @AfterAll
    void stop() {
        cluster.close();
    }

    private static void assertLimit(Http.Answer a, String limit, long max) {
        assertThat(a.status()).as(a.toString()).isEqualTo(429);
        assertThat(a.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(a.text("code")).isEqualTo("TENANT_LIMIT");
        assertThat(a.text("title")).isEqualTo("Too Many Requests");
        assertThat(a.text("type")).isEqualTo("urn:ichiba:problem:tenant-limit");
        assertThat(a.text("limit")).isEqualTo(limit);
        assertThat(a.body().get("max").asLong()).isEqualTo(max);
        assertThat(a.text("detail")).contains(limit);
    }

    @Test
    void aClaimPastTheQueueLimitIsA429ThatChangesNothingOnEveryMember() {
        String lock = World.name("lock");
        world.lock(lock, 1);
        Http holder = world.tenant(World.name("holder"), 1000, 1000);
        assertThat(holder.post("/v1/claims", World.claim(0, 0, List.of(lock), 1, 600, null)).text("state"))
                .isEqualTo("GRANTED");
        String id = World.name("a");
        Http a = world.tenant(id, 1000, 1000);
        for (int i = 0; i < 2; i++) {
            Http.Answer q = a.post("/v1/claims", World.claim(0, 0, List.of(lock), 1, 600, null));
            assertThat(q.status()).as(q.toString()).isEqualTo(201);
            assertThat(q.text("state")).isEqualTo("QUEUED");
        }
        double before = op.metric("ichiba_tenant_limit_refusals_total", "limit", "queuedClaims");

        assertLimit(a.post("/v1/claims", World.claim(0, 0, List.of(lock), 1, 600, null)), "queuedClaims", 2);
        assertLimit(a.at(op2.base()).post("/v1/claims", World.claim(0, 0, List.of(lock), 1, 600, null)),
                "queuedClaims", 2);
        assertThat(a.get("/v1/claims").body().get("items")).as("nothing was queued").hasSize(2);
        assertThat(op.metric("ichiba_tenant_limit_refusals_total", "limit", "queuedClaims")
                + op2.metric("ichiba_tenant_limit_refusals_total", "limit", "queuedClaims"))
                .as("each refusal counted where it was answered")
                .isGreaterThanOrEqualTo(before + 2);
        assertThat(world.tenant(World.name("b"), 1000, 1000)
                .post("/v1/claims", World.claim(0, 0, List.of(lock), 1, 600, null)).status())
                .as("another tenant is not limited by this one's claims").isEqualTo(201);

        Http.Answer shown = a.get("/v1/tenants/" + id);
        assertThat(shown.status()).as(shown.toString()).isEqualTo(200);
        assertThat(shown.body().get("limits").get("queuedClaims").asLong()).isEqualTo(2);
        assertThat(shown.body().get("limitUsage").get("queuedClaims").asLong()).isEqualTo(2);
        assertThat(shown.body().get("limitUsage").get("liveClaims").asLong()).isEqualTo(2);
        assertThat(shown.body().has("ownLimits")).isFalse();
    }

    @Test
    void theOperatorRaisesOneTenantsLimitAndTheTenantSeesIt() {
        String lock = World.name("lock");
        world.lock(lock, 1);
        world.tenant(World.name("holder"), 1000, 1000)
                .post("/v1/claims", World.claim(0, 0, List.of(lock), 1, 600, null));
        String id = World.name("raised");
        Http t = world.tenant(id, 1000, 1000);
        t.post("/v1/claims", World.claim(0, 0, List.of(lock), 1, 600, null));
        t.post("/v1/claims", World.claim(0, 0, List.of(lock), 1, 600, null));
        assertLimit(t.post("/v1/claims", World.claim(0, 0, List.of(lock), 1, 600, null)), "queuedClaims", 2);

        Http.Answer patched = op2.patch("/v1/tenants/" + id, Map.of("limits", Map.of("queuedClaims", 3)));
        assertThat(patched.status()).as(patched.toString()).isEqualTo(200);
        assertThat(t.post("/v1/claims", World.claim(0, 0, List.of(lock), 1, 600, null)).status()).isEqualTo(201);
        assertLimit(t.post("/v1/claims", World.claim(0, 0, List.of(lock), 1, 600, null)), "queuedClaims", 3);
        Http.Answer shown = op.get("/v1/tenants/" + id);
        assertThat(shown.body().get("ownLimits").get("queuedClaims").asLong()).isEqualTo(3);
        assertThat(shown.body().get("limits").get("queuedClaims").asLong()).isEqualTo(3);
        assertThat(shown.body().get("limits").get("openOrders").asLong()).as("the broker's where not its own")
                .isEqualTo(1);
        assertThat(op.get("/v1/tenants").body().get("items").findValues("limits")).isNotEmpty();

        assertThat(op.patch("/v1/tenants/" + id, Map.of("limits", Map.of())).status()).isEqualTo(200);
        assertThat(op.get("/v1/tenants/" + id).body().get("limits").get("queuedClaims").asLong())
                .as("{} gives the tenant the broker's limits again").isEqualTo(2);
    }

    @Test
    void badLimitsAreA400ThatChangesNothing() {
        String id = World.name("bad");
        world.tenant(id, 1000, 1000);
        for (Object bad : List.of(Map.of("claims", 5), Map.of("queuedClaims", -1), Map.of("queuedClaims", "many"))) {
            Http.Answer a = op.patch("/v1/tenants/" + id, Map.of("creditLimit", 10, "limits", bad));
            assertThat(a.status()).as(a.toString()).isEqualTo(400);
            assertThat(a.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        }
        assertThat(op.get("/v1/tenants/" + id).body().has("ownLimits")).isFalse();
        assertThat(world.account(id).get("creditLimit").asLong()).as("nothing else changed either").isZero();
        Http tenant = op.as("nobody");
        assertThat(tenant.patch("/v1/tenants/" + id, Map.of("limits", Map.of("queuedClaims", 5))).status())
                .isEqualTo(401);
    }

    @Test
    void anOrderPastTheOpenOrdersLimitIsA429WithNothingHeld() {
        String id = World.name("trader");
        Http t = world.tenant(id, 8192, 0);
        world.mint(id, 100_000, null);
        Http.Answer offer = t.post("/v1/market/offers", World.offer("memory", 1024, 3600, 5));
        assertThat(offer.status()).as(offer.toString()).isEqualTo(201);
        long available = world.account(id).get("available").asLong();
        Map<String, String> key = Map.of("Idempotency-Key", World.name("bid"));
        assertLimit(t.at(op2.base()).post("/v1/market/bids", World.bid("memory", 1024, 3600, 3), key),
                "openOrders", 1);
        assertThat(world.account(id).get("available").asLong()).as("nothing put in escrow").isEqualTo(available);
        assertThat(t.delete("/v1/market/offers/" + offer.text("id")).status()).isEqualTo(200);
        Http.Answer retried = t.post("/v1/market/bids", World.bid("memory", 1024, 3600, 3), key);
        assertThat(retried.status()).as("a 429 is not kept as the key's answer: the retry runs " + retried)
                .isEqualTo(201);
        world.assertAuditClean();
    }
}
