package io.ichiba.broker;

import com.fasterxml.jackson.databind.JsonNode;
import io.ichiba.ledger.credit.Account;
import io.ichiba.ledger.credit.JournalEntry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Law 8 over real HTTP on one real broker: every malformed, out-of-range or conflicting request gets a 4xx
 * {@code application/problem+json} answer with {@code type}, {@code title} and {@code detail}, and changes
 * nothing — the pools, the claims, the tenants, the kinds and the size of every replicated map are the same
 * after it as before.
 *
 * <p>The world the bad requests run against: node {@code n} (16384 MiB memory, 500000 MiB disk) with its
 * agent; lock {@code l} (1 permit); kind {@code k}; tenant {@code t} (quota 65536 memory, 1048576 disk) and
 * tenant {@code s} (quota 1024 each); claim {@code g} of {@code t} GRANTED (memory + lock, a day's lease),
 * claim {@code q} QUEUED behind it on the lock, claim {@code r} RELEASED. A bad request that slipped through
 * would show in the snapshot: a renewal moves {@code g}'s lease, a release or a grant moves a pool, a
 * creation adds a tenant, lock, kind, principal or claim. Tenant {@code t} also has a credit account (10000
 * minted, a credit limit of 5000, a debt of 2000 after a purchase): a mint or limit that slipped through would
 * show in {@code GET /v1/accounts} and in the size of the journal.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputIT {
    private static final long MAX_AMOUNT = 1L << 40;

    private TestBrokers cluster;
    private Broker broker;
    private Http op;
    private World world;

    private String node;
    private String lock;
    private String kind;
    private String tenantId;
    private Http tenant;
    private Http small;
    private Http agent;
    private String granted;
    private String queued;
    private String released;

    /** Who sends a bad request. */
    enum Who { OPERATOR, TENANT, SMALL_TENANT, AGENT }

    /**
     * One bad request and what it must get.
     *
     * @param name    what is wrong with it
     * @param who     who sends it
     * @param method  HTTP method
     * @param path    path and query
     * @param body    a raw string (sent as is), an object (sent as JSON), or null (no body)
     * @param headers extra headers
     * @param status  the expected status
     * @param code    the expected problem code, or null if any
     * @param pointer the JSON pointer that {@code errors} must name, or null if none is required
     */
    record Bad(String name, Who who, String method, String path, Object body, Map<String, String> headers,
               int status, String code, String pointer) {
        Bad pointer(String p) {
            return new Bad(name, who, method, path, body, headers, status, code, p);
        }

        Bad code(String c) {
            return new Bad(name, who, method, path, body, headers, status, c, pointer);
        }

        Bad with(String header, String value) {
            Map<String, String> h = new HashMap<>(headers);
            h.put(header, value);
            return new Bad(name, who, method, path, body, h, status, code, pointer);
        }

        @Override
        public String toString() {
            return name + " -> " + status + (code == null ? "" : " " + code);
        }
    }

    @BeforeAll
    void start() throws Exception {
        cluster = new TestBrokers();
        broker = cluster.start();
        op = TestBrokers.operator(broker);
        world = new World(op);

        node = World.name("n");
        lock = World.name("l");
        kind = World.name("k");
        agent = world.node(node, 16384, 500000);
        world.lock(lock, 1);
        assertThat(op.post("/v1/kinds", Map.of("name", kind, "unit", "widgets")).status()).isEqualTo(201);
        tenantId = World.name("t");
        tenant = world.tenant(tenantId, 65536, 1048576);
        small = world.tenant(World.name("s"), 1024, 1024);

        Http.Answer g = tenant.post("/v1/claims", World.claim(1024, 0, List.of(lock), 5, 86400, node));
        assertThat(g.text("state")).as(g.toString()).isEqualTo("GRANTED");
        granted = g.text("id");
        Http.Answer q = tenant.post("/v1/claims", World.claim(1024, 0, List.of(lock), 5, 86400, node));
        assertThat(q.status()).as(q.toString()).isEqualTo(201);
        queued = q.text("id");
        await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(tenant.get("/v1/claims/" + queued).text("reason")).isEqualTo("LOCK_HELD"));
        Http.Answer r = tenant.post("/v1/claims", World.claim(512, 0, List.of(), 1, 60, node));
        assertThat(r.text("state")).as(r.toString()).isEqualTo("GRANTED");
        released = r.text("id");
        assertThat(tenant.post("/v1/claims/" + released + "/release", null).text("state")).isEqualTo("RELEASED");

        // credits: t was minted 10000, may owe 5000, and owes 2000 after a purchase (as the market will post it)
        assertThat(op.post("/v1/tenants/" + tenantId + "/credits", Map.of("amount", 10_000)).status()).isEqualTo(201);
        assertThat(op.patch("/v1/tenants/" + tenantId, Map.of("creditLimit", 5000)).status()).isEqualTo(200);
        var bought = broker.ledger().accounts().post(JournalEntry.transfer(World.name("purchase"),
                System.currentTimeMillis(), JournalEntry.Reason.PURCHASE, "capacity bought (test)", null, null,
                Account.ofTenant(tenantId), Account.HOUSE, 12_000));
        assertThat(bought.ok()).as(String.valueOf(bought.rejection())).isTrue();
    }

    @AfterAll
    void stop() {
        cluster.close();
    }

    // ------------------------------------------------------------------ the table

    Stream<Bad> badRequests() {
        List<Bad> all = new ArrayList<>();
        String claims = "/v1/claims";
        String report = "/v1/nodes/" + node + "/report";

        // the body is not a JSON object, or not there, or not JSON
        all.add(bad("malformed JSON", Who.TENANT, "POST", claims, "{\"bundle\": {\"memory\": 1", 400));
        all.add(bad("malformed JSON in a tenant", Who.OPERATOR, "POST", "/v1/tenants", "{\"id\": \"x\",}", 400));
        all.add(bad("body is an array", Who.TENANT, "POST", claims, "[{\"bundle\": {\"memory\": 1}}]", 400));
        all.add(bad("body is a string", Who.TENANT, "POST", claims, "\"claim\"", 400));
        all.add(bad("body is a number", Who.OPERATOR, "POST", "/v1/locks", "42", 400));
        all.add(bad("body is null", Who.OPERATOR, "POST", "/v1/tenants", "null", 400));
        all.add(bad("JSON followed by trailing garbage", Who.TENANT, "POST", claims,
                "{\"bundle\":{\"memory\":1},\"leaseSeconds\":60} {\"bundle\":{\"memory\":2}}", 400));
        all.add(bad("JSON nested 20000 deep", Who.TENANT, "POST", claims,
                "{\"bundle\":" + "[".repeat(20000) + "]".repeat(20000) + "}", 400));
        all.add(bad("missing body", Who.TENANT, "POST", claims, null, 400));
        all.add(bad("missing body in a report", Who.AGENT, "PUT", report, null, 400));
        all.add(bad("empty body", Who.OPERATOR, "POST", "/v1/locks", "", 400));
        // the contract answers a body it cannot read with 400 (it lists no 415); the body itself is valid JSON,
        // so a broker that ignored the content type would create the claim and the tenant
        all.add(bad("wrong content type (text/plain)", Who.TENANT, "POST", claims,
                json(claim(Map.of("memory", 1))), 400).with("Content-Type", "text/plain"));
        all.add(bad("wrong content type on a tenant (text/plain)", Who.OPERATOR, "POST", "/v1/tenants",
                json(Map.of("id", World.name("ct"))), 400).with("Content-Type", "text/plain"));

        // unknown fields
        all.add(bad("unknown field in a claim", Who.TENANT, "POST", claims,
                with(claim(Map.of("memory", 1)), "colour", "red"), 400).pointer("/colour"));
        all.add(bad("unknown field in a tenant", Who.OPERATOR, "POST", "/v1/tenants",
                Map.of("id", World.name("x"), "quota", Map.of("memory", 1), "admin", true), 400).pointer("/admin"));
        all.add(bad("unknown field in a lock", Who.OPERATOR, "POST", "/v1/locks",
                Map.of("name", World.name("x"), "permits", 1, "owner", "me"), 400).pointer("/owner"));
        all.add(bad("unknown field in an agent", Who.OPERATOR, "POST", "/v1/agents",
                Map.of("node", World.name("x"), "role", "OPERATOR"), 400).pointer("/role"));
        all.add(bad("unknown field in a kind", Who.OPERATOR, "POST", "/v1/kinds",
                Map.of("name", World.name("x"), "nodeLocal", false), 400).pointer("/nodeLocal"));
        all.add(bad("unknown field in a report", Who.AGENT, "PUT", report,
                Map.of("allocatable", Map.of("memory", 1), "reserved", Map.of("memory", 1)), 400).pointer("/reserved"));
        all.add(bad("unknown field in a renewal", Who.TENANT, "POST", "/v1/claims/" + granted + "/renew",
                Map.of("leaseSeconds", 30, "forever", true), 400).pointer("/forever"));

        // amounts out of range or of the wrong type
        all.add(bad("negative amount", Who.TENANT, "POST", claims, claim(Map.of("memory", -1)), 400)
                .pointer("/bundle/memory"));
        all.add(bad("zero amount", Who.TENANT, "POST", claims, claim(Map.of("memory", 0, "disk", 1)), 400)
                .pointer("/bundle/memory"));
        all.add(bad("amount 2^40+1", Who.TENANT, "POST", claims, claim(Map.of("memory", MAX_AMOUNT + 1)), 400)
                .pointer("/bundle/memory"));
        all.add(bad("amount 2^63 (beyond a long)", Who.TENANT, "POST", claims,
                "{\"bundle\":{\"memory\":9223372036854775808},\"leaseSeconds\":60}", 400).pointer("/bundle/memory"));
        all.add(bad("amount as a string", Who.TENANT, "POST", claims, claim(Map.of("memory", "4096")), 400)
                .pointer("/bundle/memory"));
        all.add(bad("amount as a float", Who.TENANT, "POST", claims, claim(Map.of("memory", 1.5)), 400)
                .pointer("/bundle/memory"));
        all.add(bad("negative quota", Who.OPERATOR, "POST", "/v1/tenants",
                Map.of("id", World.name("x"), "quota", Map.of("memory", -5)), 400).pointer("/quota/memory"));
        all.add(bad("quota 2^63 (beyond a long)", Who.OPERATOR, "POST", "/v1/tenants",
                "{\"id\":\"" + World.name("x") + "\",\"quota\":{\"memory\":9223372036854775808}}", 400)
                .pointer("/quota/memory"));
        all.add(bad("report of a negative capacity", Who.AGENT, "PUT", report,
                Map.of("allocatable", Map.of("memory", -1)), 400).pointer("/allocatable/memory"));
        all.add(bad("lock with 0 permits", Who.OPERATOR, "POST", "/v1/locks",
                Map.of("name", World.name("x"), "permits", 0), 400).pointer("/permits"));

        // bundles that are not bundles
        all.add(bad("empty bundle {}", Who.TENANT, "POST", claims, claim(Map.of()), 400).pointer("/bundle"));
        all.add(bad("bundle with an empty lock list", Who.TENANT, "POST", claims,
                claim(Map.of("locks", List.of())), 400));
        all.add(bad("duplicate lock names", Who.TENANT, "POST", claims,
                claim(Map.of("locks", List.of(lock, lock))), 400).pointer("/bundle/locks"));
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 33; i++) {
            many.add(lock + "-" + i);
        }
        all.add(bad("33 locks in a bundle", Who.TENANT, "POST", claims, claim(Map.of("locks", many)), 400)
                .pointer("/bundle/locks"));
        all.add(bad("missing bundle", Who.TENANT, "POST", claims, Map.of("priority", 1), 400));
        all.add(bad("bundle is an array", Who.TENANT, "POST", claims, claimOf(List.of(Map.of("memory", 1))), 400)
                .pointer("/bundle"));
        all.add(bad("bundle is null", Who.TENANT, "POST", claims, "{\"bundle\":null,\"leaseSeconds\":60}", 400)
                .pointer("/bundle"));
        all.add(bad("locks is a string", Who.TENANT, "POST", claims, claim(Map.of("locks", lock)), 400)
                .pointer("/bundle/locks"));
        all.add(bad("locks holds a number", Who.TENANT, "POST", claims, claim(Map.of("locks", List.of(7))), 400)
                .pointer("/bundle/locks/0"));
        all.add(bad("quota over 2^40", Who.OPERATOR, "POST", "/v1/tenants",
                Map.of("id", World.name("x"), "quota", Map.of("memory", MAX_AMOUNT + 1)), 400).pointer("/quota/memory"));
        all.add(bad("quota names a kind with a space", Who.OPERATOR, "POST", "/v1/tenants",
                Map.of("id", World.name("x"), "quota", Map.of("big gpu", 1)), 400));


        // numbers out of range
        all.add(bad("priority -1", Who.TENANT, "POST", claims, with(claim(Map.of("memory", 1)), "priority", -1), 400)
                .pointer("/priority"));
        all.add(bad("priority 1001", Who.TENANT, "POST", claims,
                with(claim(Map.of("memory", 1)), "priority", 1001), 400).pointer("/priority"));
        all.add(bad("leaseSeconds 0", Who.TENANT, "POST", claims,
                with(claim(Map.of("memory", 1)), "leaseSeconds", 0), 400).pointer("/leaseSeconds"));
        all.add(bad("leaseSeconds 86401", Who.TENANT, "POST", claims,
                with(claim(Map.of("memory", 1)), "leaseSeconds", 86401), 400).pointer("/leaseSeconds"));
        all.add(bad("priority as a string", Who.TENANT, "POST", claims,
                with(claim(Map.of("memory", 1)), "priority", "5"), 400).pointer("/priority"));
        all.add(bad("priority null", Who.TENANT, "POST", claims,
                "{\"bundle\":{\"memory\":1},\"priority\":null,\"leaseSeconds\":60}", 400).pointer("/priority"));
        all.add(bad("leaseSeconds as a float", Who.TENANT, "POST", claims,
                with(claim(Map.of("memory", 1)), "leaseSeconds", 60.5), 400).pointer("/leaseSeconds"));
        all.add(bad("node as a number", Who.TENANT, "POST", claims,
                with(claim(Map.of("memory", 1)), "node", 7), 400).pointer("/node"));
        all.add(bad("renewal by 86401 seconds", Who.TENANT, "POST", "/v1/claims/" + granted + "/renew",
                Map.of("leaseSeconds", 86401), 400).pointer("/leaseSeconds"));
        all.add(bad("renewal by 0 seconds", Who.TENANT, "POST", "/v1/claims/" + granted + "/renew",
                Map.of("leaseSeconds", 0), 400).pointer("/leaseSeconds"));

        // bad names
        all.add(bad("tenant name with '/'", Who.OPERATOR, "POST", "/v1/tenants", Map.of("id", "team/a"), 400)
                .pointer("/id"));
        all.add(bad("tenant name with '@'", Who.OPERATOR, "POST", "/v1/tenants", Map.of("id", "team@a"), 400)
                .pointer("/id"));
        all.add(bad("tenant name with a space", Who.OPERATOR, "POST", "/v1/tenants", Map.of("id", "team a"), 400)
                .pointer("/id"));
        all.add(bad("tenant name of 64 characters", Who.OPERATOR, "POST", "/v1/tenants",
                Map.of("id", "t".repeat(64)), 400).pointer("/id"));
        all.add(bad("tenant name starting with '-'", Who.OPERATOR, "POST", "/v1/tenants", Map.of("id", "-team"), 400)
                .pointer("/id"));
        all.add(bad("lock name with '/'", Who.OPERATOR, "POST", "/v1/locks", Map.of("name", "db/orders"), 400)
                .pointer("/name"));
        all.add(bad("kind name with a space", Who.OPERATOR, "POST", "/v1/kinds", Map.of("name", "big gpu"), 400)
                .pointer("/name"));
        all.add(bad("kind unit of 33 characters", Who.OPERATOR, "POST", "/v1/kinds",
                Map.of("name", World.name("x"), "unit", "u".repeat(33)), 400).pointer("/unit"));
        all.add(bad("agent node with '@'", Who.OPERATOR, "POST", "/v1/agents", Map.of("node", "n@x"), 400)
                .pointer("/node"));
        all.add(bad("claim node with a space", Who.TENANT, "POST", claims,
                with(claim(Map.of("memory", 1)), "node", "node 1"), 400).pointer("/node"));
        all.add(bad("kind in a bundle with '@'", Who.TENANT, "POST", claims, claim(Map.of("memory@" + node, 1)), 400));
        all.add(bad("lock in a bundle with '/'", Who.TENANT, "POST", claims, claim(Map.of("locks", List.of("a/b"))),
                400));
        all.add(bad("claim id with '_'", Who.TENANT, "GET", "/v1/claims/abc_def", null, 400));
        all.add(bad("pool id starting with '-'", Who.OPERATOR, "GET", "/v1/pools/-memory", null, 400));
        all.add(bad("report path with a bad node", Who.AGENT, "PUT", "/v1/nodes/a%40b/report",
                Map.of("allocatable", Map.of("memory", 1)), 400));
        all.add(bad("Idempotency-Key with a space", Who.TENANT, "POST", claims, claim(Map.of("memory", 1)), 400)
                .with("Idempotency-Key", "two words"));
        all.add(bad("Idempotency-Key of 201 characters", Who.TENANT, "POST", claims, claim(Map.of("memory", 1)), 400)
                .with("Idempotency-Key", "k".repeat(201)));

        // query parameters
        all.add(bad("waitSeconds=61", Who.TENANT, "GET", "/v1/claims/" + queued + "?waitSeconds=61", null, 400));
        all.add(bad("waitSeconds=abc", Who.TENANT, "GET", "/v1/claims/" + queued + "?waitSeconds=abc", null, 400));
        all.add(bad("waitSeconds=-1", Who.TENANT, "GET", "/v1/claims/" + queued + "?waitSeconds=-1", null, 400));
        all.add(bad("waitSeconds=1.5", Who.TENANT, "GET", "/v1/claims/" + queued + "?waitSeconds=1.5", null, 400));
        all.add(bad("state=BOGUS", Who.TENANT, "GET", "/v1/claims?state=BOGUS", null, 400));
        all.add(bad("tenant=a/b", Who.OPERATOR, "GET", "/v1/claims?tenant=a%2Fb", null, 400));

        // well-formed but impossible (422)
        all.add(bad("unknown kind in a bundle", Who.TENANT, "POST", claims,
                claim(Map.of("memory", 1, "warp-drive", 1)), 422).code("UNKNOWN_KIND"));
        all.add(bad("unknown lock", Who.TENANT, "POST", claims, claim(Map.of("locks", List.of(World.name("nolock")))),
                422).code("NO_SUCH_LOCK"));
        all.add(bad("unknown node", Who.TENANT, "POST", claims,
                with(claim(Map.of("memory", 1)), "node", World.name("nonode")), 422).code("NO_SUCH_NODE"));
        all.add(bad("claim larger than every node", Who.TENANT, "POST", claims, claim(Map.of("memory", 20000)), 422)
                .code("NEVER_FITS"));
        all.add(bad("claim larger than the node asked for", Who.TENANT, "POST", claims,
                with(claim(Map.of("disk", 600000)), "node", node), 422).code("NEVER_FITS"));
        all.add(bad("claim larger than the tenant's quota", Who.SMALL_TENANT, "POST", claims,
                claim(Map.of("memory", 2048)), 422).code("NEVER_FITS"));
        all.add(bad("claim of a kind the tenant has no quota of", Who.SMALL_TENANT, "POST", claims,
                claim(Map.of(kind, 1)), 422).code("NEVER_FITS"));
        all.add(bad("unknown kind in a report", Who.AGENT, "PUT", report,
                Map.of("allocatable", Map.of("memory", 16384, "warp-drive", 4)), 422).code("UNKNOWN_KIND"));
        all.add(bad("unknown kind in a report's free", Who.AGENT, "PUT", report,
                Map.of("allocatable", Map.of("memory", 16384), "free", Map.of("warp-drive", 4)), 422)
                .code("UNKNOWN_KIND"));
        all.add(bad("unknown kind in a quota", Who.OPERATOR, "POST", "/v1/tenants",
                Map.of("id", World.name("x"), "quota", Map.of("warp-drive", 4)), 422).code("UNKNOWN_KIND"));

        // no such thing (404), no such method (405)
        all.add(bad("unknown claim id", Who.TENANT, "GET", "/v1/claims/" + World.name("nope"), null, 404)
                .code("NOT_FOUND"));
        all.add(bad("renew an unknown claim", Who.TENANT, "POST", "/v1/claims/" + World.name("nope") + "/renew",
                null, 404).code("NOT_FOUND"));
        all.add(bad("release an unknown claim", Who.TENANT, "POST", "/v1/claims/" + World.name("nope") + "/release",
                null, 404).code("NOT_FOUND"));
        all.add(bad("cancel an unknown claim", Who.TENANT, "DELETE", "/v1/claims/" + World.name("nope"), null, 404)
                .code("NOT_FOUND"));
        all.add(bad("unknown tenant", Who.OPERATOR, "GET", "/v1/tenants/" + World.name("nobody"), null, 404));
        all.add(bad("unknown pool", Who.OPERATOR, "GET", "/v1/pools/memory@" + World.name("nowhere"), null, 404));
        all.add(bad("a path that does not exist", Who.TENANT, "GET", "/v1/nonsense", null, 404));
        all.add(bad("a POST to a path that does not exist", Who.OPERATOR, "POST", "/v1/pools/" + lock + "/drain",
                Map.of(), 404));
        all.add(bad("DELETE on the pools", Who.OPERATOR, "DELETE", "/v1/pools", null, 405));
        all.add(bad("PUT on the claims", Who.TENANT, "PUT", claims, claim(Map.of("memory", 1)), 405));
        all.add(bad("DELETE a tenant", Who.OPERATOR, "DELETE", "/v1/tenants/" + tenantId, null, 405));

        // conflicts (409)
        all.add(bad("create an existing tenant", Who.OPERATOR, "POST", "/v1/tenants",
                Map.of("id", tenantId, "quota", Map.of("memory", 1)), 409).code("ALREADY_EXISTS"));
        all.add(bad("create an existing lock", Who.OPERATOR, "POST", "/v1/locks", Map.of("name", lock, "permits", 5),
                409).code("ALREADY_EXISTS"));
        all.add(bad("define an existing kind", Who.OPERATOR, "POST", "/v1/kinds", Map.of("name", kind), 409)
                .code("ALREADY_EXISTS"));
        all.add(bad("define a built-in kind", Who.OPERATOR, "POST", "/v1/kinds", Map.of("name", "memory"), 409)
                .code("ALREADY_EXISTS"));
        // the contract lists 409 for createAgent: a second POST must not issue a second, never-revoked token
        all.add(bad("create the agent of a node that has one", Who.OPERATOR, "POST", "/v1/agents",
                Map.of("node", node), 409));
        all.add(bad("release a QUEUED claim", Who.TENANT, "POST", "/v1/claims/" + queued + "/release", null, 409)
                .code("WRONG_STATE"));
        all.add(bad("renew a QUEUED claim", Who.TENANT, "POST", "/v1/claims/" + queued + "/renew", null, 409)
                .code("WRONG_STATE"));
        all.add(bad("renew a RELEASED claim", Who.TENANT, "POST", "/v1/claims/" + released + "/renew",
                Map.of("leaseSeconds", 60), 409).code("WRONG_STATE"));

        // credits: mint, credit limit, statement
        String credits = "/v1/tenants/" + tenantId + "/credits";
        String statement = "/v1/tenants/" + tenantId + "/statement";
        all.add(bad("mint a negative amount", Who.OPERATOR, "POST", credits, Map.of("amount", -1), 400)
                .pointer("/amount"));
        all.add(bad("mint zero", Who.OPERATOR, "POST", credits, Map.of("amount", 0), 400).pointer("/amount"));
        all.add(bad("mint 10^15 + 1", Who.OPERATOR, "POST", credits, Map.of("amount", 1_000_000_000_000_001L), 400)
                .pointer("/amount"));
        all.add(bad("mint 2^63 (beyond a long)", Who.OPERATOR, "POST", credits, "{\"amount\":9223372036854775808}", 400)
                .pointer("/amount"));
        all.add(bad("mint an amount as a string", Who.OPERATOR, "POST", credits, Map.of("amount", "100"), 400)
                .pointer("/amount"));
        all.add(bad("mint 1.5", Who.OPERATOR, "POST", credits, Map.of("amount", 1.5), 400).pointer("/amount"));
        all.add(bad("unknown field in a mint", Who.OPERATOR, "POST", credits, Map.of("amount", 1, "colour", "red"), 400)
                .pointer("/colour"));
        all.add(bad("mint memo of 501 characters", Who.OPERATOR, "POST", credits,
                Map.of("amount", 1, "memo", "m".repeat(501)), 400).pointer("/memo"));
        all.add(bad("mint for an unknown tenant", Who.OPERATOR, "POST", "/v1/tenants/" + World.name("nobody") + "/credits",
                Map.of("amount", 1), 404).code("NOT_FOUND"));
        all.add(bad("negative credit limit", Who.OPERATOR, "PATCH", "/v1/tenants/" + tenantId, Map.of("creditLimit", -1),
                400).pointer("/creditLimit"));
        all.add(bad("credit limit as a string", Who.OPERATOR, "PATCH", "/v1/tenants/" + tenantId,
                Map.of("creditLimit", "5"), 400).pointer("/creditLimit"));
        all.add(bad("empty tenant patch", Who.OPERATOR, "PATCH", "/v1/tenants/" + tenantId, Map.of(), 400));
        all.add(bad("unknown field in a tenant patch", Who.OPERATOR, "PATCH", "/v1/tenants/" + tenantId,
                Map.of("creditLimit", 1, "admin", true), 400).pointer("/admin"));
        all.add(bad("credit limit of an unknown tenant", Who.OPERATOR, "PATCH", "/v1/tenants/" + World.name("nobody"),
                Map.of("creditLimit", 1), 404).code("NOT_FOUND"));
        all.add(bad("credit limit below the debt", Who.OPERATOR, "PATCH", "/v1/tenants/" + tenantId,
                Map.of("creditLimit", 1000), 409).code("INSUFFICIENT_CREDIT"));
        all.add(bad("statement from=yesterday", Who.TENANT, "GET", statement + "?from=yesterday", null, 400));
        all.add(bad("statement to without an offset", Who.TENANT, "GET", statement + "?to=2025-01-01T00:00:00", null, 400));
        all.add(bad("statement from after to", Who.TENANT, "GET",
                statement + "?from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z", null, 400));
        all.add(bad("statement limit=0", Who.TENANT, "GET", statement + "?limit=0", null, 400));
        all.add(bad("statement limit=1001", Who.TENANT, "GET", statement + "?limit=1001", null, 400));
        all.add(bad("statement cursor no broker gave", Who.TENANT, "GET", statement + "?cursor=aGVsbG8", null, 400));
        all.add(bad("account of an unknown tenant", Who.OPERATOR, "GET", "/v1/tenants/" + World.name("nobody")
                + "/account", null, 404).code("NOT_FOUND"));

        // the market: offers, bids, cancels, recalls, views, lending limits, claims' funding (MarketBadInputIT has
        // the full table, and checks the books, the loans and the tenants' market views too)
        String offers = "/v1/market/offers";
        String bids = "/v1/market/bids";
        all.add(bad("offer of -1", Who.TENANT, "POST", offers, World.offer("memory", -1, 3600, 5), 400)
                .pointer("/amount"));
        all.add(bad("offer at price 0", Who.TENANT, "POST", offers, World.offer("memory", 1, 3600, 0), 400)
                .pointer("/minPrice"));
        all.add(bad("offer for 0 s", Who.TENANT, "POST", offers, World.offer("memory", 1, 0, 5), 400)
                .pointer("/durationSeconds"));
        all.add(bad("offer for 30 days + 1 s", Who.TENANT, "POST", offers, World.offer("memory", 1, 2_592_001, 5), 400)
                .pointer("/durationSeconds"));
        all.add(bad("offer of an unknown kind", Who.TENANT, "POST", offers, World.offer("warp-drive", 1, 3600, 5), 422)
                .code("UNKNOWN_KIND"));
        all.add(bad("offer good until a minute ago", Who.TENANT, "POST", offers,
                with(World.offer("memory", 1, 3600, 5), "goodUntil", java.time.Instant.now().minusSeconds(60)
                        .truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString()), 400).code("INVALID"));
        all.add(bad("offer good until 'soon'", Who.TENANT, "POST", offers,
                with(World.offer("memory", 1, 3600, 5), "goodUntil", "soon"), 400).pointer("/goodUntil"));
        all.add(bad("unknown field in an offer", Who.TENANT, "POST", offers,
                with(World.offer("memory", 1, 3600, 5), "colour", "red"), 400).pointer("/colour"));
        all.add(bad("offer of more than the quota", Who.SMALL_TENANT, "POST", offers,
                World.offer("memory", 2048, 3600, 5), 409).code("NOT_LENDABLE"));
        all.add(bad("offer by the operator", Who.OPERATOR, "POST", offers, World.offer("memory", 1, 3600, 5), 403));
        all.add(bad("bid by an agent", Who.AGENT, "POST", bids, World.bid("memory", 1, 3600, 5), 403));
        all.add(bad("bid at 10^9 + 1", Who.TENANT, "POST", bids, World.bid("memory", 1, 3600, 1_000_000_001), 400)
                .pointer("/maxPrice"));
        all.add(bad("bid amount as a string", Who.TENANT, "POST", bids, with(World.bid("memory", 1, 3600, 5), "amount",
                "1"), 400).pointer("/amount"));
        all.add(bad("bid whose hold is past any balance", Who.TENANT, "POST", bids,
                World.bid("memory", MAX_AMOUNT, 2_592_000, 1_000_000_000), 400).code("INVALID"));
        all.add(bad("bid beyond the credit", Who.TENANT, "POST", bids, World.bid("memory", 1000, 3600, 10), 409)
                .code("INSUFFICIENT_CREDIT"));
        all.add(bad("cancel an unknown offer", Who.TENANT, "DELETE", offers + "/" + World.name("nope"), null, 404)
                .code("NOT_FOUND"));
        all.add(bad("read an unknown bid", Who.TENANT, "GET", bids + "/" + World.name("nope"), null, 404)
                .code("NOT_FOUND"));
        all.add(bad("recall an unknown loan", Who.TENANT, "POST", "/v1/loans/memory:999999/recall", Map.of(), 404));
        all.add(bad("recall with notice -1", Who.TENANT, "POST", "/v1/loans/memory:1/recall",
                Map.of("noticeSeconds", -1), 400).pointer("/noticeSeconds"));
        all.add(bad("loans of an agent", Who.AGENT, "GET", "/v1/loans", null, 403));
        all.add(bad("market of an unknown kind", Who.TENANT, "GET", "/v1/market/" + World.name("nokind"), null, 404));
        all.add(bad("history step=0", Who.TENANT, "GET", "/v1/market/memory/history?step=0", null, 400));
        all.add(bad("history from after to", Who.TENANT, "GET",
                "/v1/market/memory/history?from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z", null, 400));
        all.add(bad("negative lending limit", Who.OPERATOR, "PATCH", "/v1/tenants/" + tenantId,
                Map.of("lendingLimit", Map.of("memory", -1)), 400).pointer("/lendingLimit/memory"));
        all.add(bad("lending limit of an unknown kind", Who.OPERATOR, "PATCH", "/v1/tenants/" + tenantId,
                Map.of("lendingLimit", Map.of("warp-drive", 1)), 422).code("UNKNOWN_KIND"));
        all.add(bad("funding urgent with mode QUOTA", Who.TENANT, "POST", claims,
                World.fundedClaim(1, 0, 60, null, "QUOTA", 0, true), 400).code("INVALID_FUNDING"));
        all.add(bad("funding BORROW without maxPrice", Who.TENANT, "POST", claims,
                World.fundedClaim(1, 0, 60, null, "BORROW", 0, false), 400).code("INVALID_FUNDING"));
        all.add(bad("funding mode STEAL", Who.TENANT, "POST", claims,
                World.fundedClaim(1, 0, 60, null, "STEAL", 0, false), 400).pointer("/funding/mode"));
        all.add(bad("urgent claim beyond the credit", Who.TENANT, "POST", claims,
                World.fundedClaim(1024, 0, 86_400, node, "BUY", 0, true), 409).code("INSUFFICIENT_CREDIT"));

        // too large (413)
        Map<String, Object> huge = with(claim(Map.of("memory", 1)), "padding", "x".repeat(70 * 1024));
        all.add(bad("body over 64 KiB", Who.TENANT, "POST", claims, huge, 413));
        Map<String, Object> hugeQuota = new LinkedHashMap<>();
        for (int i = 0; i < 6000; i++) {
            hugeQuota.put("kind-" + i, 1);
        }
        assertThat(json(hugeQuota).length()).isGreaterThan(64 * 1024);
        all.add(bad("tenant body over 64 KiB", Who.OPERATOR, "POST", "/v1/tenants",
                Map.of("id", World.name("x"), "quota", hugeQuota), 413));
        return all.stream();
    }

    @Test
    void theTableCoversEveryKindOfBadInput() {
        List<Bad> all = badRequests().toList();
        assertThat(all).hasSizeGreaterThanOrEqualTo(25);
        assertThat(all).extracting(Bad::status).contains(400, 404, 405, 409, 413, 422);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void badRequestGetsAClearProblemAndChangesNothing(Bad bad) {
        StateSnapshot before = StateSnapshot.take(op, broker.ledger().store());
        JsonNode accountsBefore = op.get("/v1/accounts").body();
        int journalBefore = TestBrokers.table(broker, "journal").entries().size();

        Http.Answer a = caller(bad.who()).send(bad.method(), bad.path(), bad.body(), bad.headers());
        String what = bad.name() + ": " + bad.method() + " " + bad.path() + " -> " + a;

        assertThat(a.isClientProblem()).as("a 4xx problem+json with type, title, detail; %s", what).isTrue();
        assertThat(a.status()).as(what).isEqualTo(bad.status());
        assertThat(a.body().path("status").asInt()).as("the problem's status; %s", what).isEqualTo(bad.status());
        assertThat(a.text("type")).as(what).startsWith("urn:ichiba:problem:");
        if (bad.code() != null) {
            assertThat(a.text("code")).as(what).isEqualTo(bad.code());
        }
        if (bad.pointer() != null) {
            JsonNode errors = a.body().path("errors");
            assertThat(errors.isArray()).as("a schema violation names its fields in errors[]; %s", what).isTrue();
            List<String> pointers = new ArrayList<>();
            errors.forEach(e -> pointers.add(e.path("pointer").asText()));
            assertThat(pointers).as("errors[].pointer; %s", what).contains(bad.pointer());
        }

        StateSnapshot after = StateSnapshot.take(op, broker.ledger().store());
        assertThat(after).as("the state after %s", what).isEqualTo(before);
        assertThat(op.get("/v1/accounts").body()).as("the accounts after %s", what).isEqualTo(accountsBefore);
        assertThat(TestBrokers.table(broker, "journal").entries().size()).as(what).isEqualTo(journalBefore);
        assertThat(tenant.get("/v1/claims/" + granted).text("state")).isEqualTo("GRANTED");
    }

    @Test
    void theWorldIsStillWorkingAfterAllTheBadInput() {
        badRequests().forEach(b -> caller(b.who()).send(b.method(), b.path(), b.body(), b.headers()));
        assertThat(tenant.get("/v1/claims/" + granted).text("state")).isEqualTo("GRANTED");
        assertThat(tenant.get("/v1/claims/" + queued).text("state")).isEqualTo("QUEUED");
        assertThat(world.pool("memory@" + node).get("granted").asLong()).isEqualTo(1024);
        assertThat(world.pool("memory@" + node).get("capacity").asLong()).isEqualTo(16384);
        assertThat(world.pool("lock:" + lock).get("capacity").asLong()).isEqualTo(1);
        world.assertAuditClean();
        world.assertNoOverGrant();
    }

    // ------------------------------------------------------------------ helpers

    private Http caller(Who who) {
        return switch (who) {
            case OPERATOR -> op;
            case TENANT -> tenant;
            case SMALL_TENANT -> small;
            case AGENT -> agent;
        };
    }

    private static Bad bad(String name, Who who, String method, String path, Object body, int status) {
        return new Bad(name, who, method, path, body, Map.of(), status, null, null);
    }

    private static Map<String, Object> claim(Map<String, ?> bundle) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("bundle", bundle);
        body.put("leaseSeconds", 60);
        return body;
    }

    private static Map<String, Object> claimOf(Object bundle) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("bundle", bundle);
        body.put("leaseSeconds", 60);
        return body;
    }

    private static Map<String, Object> with(Map<String, Object> body, String field, Object value) {
        Map<String, Object> out = new LinkedHashMap<>(body);
        out.put(field, value);
        return out;
    }

    private static String json(Object o) {
        try {
            return io.ichiba.api.Wire.JSON.writeValueAsString(o);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
