package io.ichiba.broker;

import com.fasterxml.jackson.databind.JsonNode;
import com.hazelcast.map.IMap;
import io.ichiba.ledger.hazelcast.HazelcastJournal;
import io.ichiba.ledger.tenant.Principal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Law 9 and the roles over real HTTP on one real broker: who may call at all (401), what each role may do
 * (403), and that a tenant neither sees nor changes another tenant's claims (404, as if they did not exist)
 * — checked by comparing what the broker holds before and after every refused attempt. Also that bearer
 * tokens are stored only as hashes.
 */
class SecurityIT {
    private static TestBrokers cluster;
    private static Broker broker;
    private static Http op;
    private static Http anonymous;
    private static World world;

    @BeforeAll
    static void start() throws Exception {
        cluster = new TestBrokers();
        broker = cluster.start();
        op = TestBrokers.operator(broker);
        anonymous = new Http(op.base(), null);
        world = new World(op);
    }

    @AfterAll
    static void stop() {
        receivers.forEach(r -> r.stop(0));
        cluster.close();
    }

    // ------------------------------------------------------------------ 401

    @Test
    void protectedPathsNeedAKnownBearerToken() {
        String node = World.name("n");
        world.node(node, 4096, 4096);
        Http t = world.tenant(World.name("t"), 4096, 4096);
        StateSnapshot before = StateSnapshot.take(op, broker.ledger().store());
        Map<String, Object> claim = World.claim(100, 0, List.of(), 1, 60, node);

        List<Http.Answer> refused = new ArrayList<>();
        refused.add(anonymous.get("/v1/pools"));
        refused.add(anonymous.post("/v1/claims", claim));
        refused.add(anonymous.post("/v1/tenants", Map.of("id", World.name("x"))));
        refused.add(anonymous.get("/v1/audit"));
        for (String header : List.of("Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer    ", "Token " + TestBrokers.OPERATOR,
                TestBrokers.OPERATOR, "Bearer" + TestBrokers.OPERATOR)) {
            refused.add(anonymous.send("GET", "/v1/pools", null, Map.of("Authorization", header)));
            refused.add(anonymous.send("POST", "/v1/claims", claim, Map.of("Authorization", header)));
        }
        refused.add(op.as("ich_not-a-token-anyone-was-given").get("/v1/pools"));
        refused.add(op.as("ich_not-a-token-anyone-was-given").post("/v1/claims", claim));
        refused.add(op.as(TestBrokers.OPERATOR + "x").post("/v1/locks", Map.of("name", World.name("l"))));
        refused.add(op.as(TestBrokers.OPERATOR + "x").get("/v1/tenants"));

        for (Http.Answer a : refused) {
            assertThat(a.status()).as(a.toString()).isEqualTo(401);
            assertThat(a.isClientProblem()).as(a.toString()).isTrue();
        }
        assertThat(StateSnapshot.take(op, broker.ledger().store())).isEqualTo(before);
        // the same requests with good tokens work, so the 401s were about the tokens
        assertThat(t.get("/v1/pools").status()).isEqualTo(200);
        Http.Answer ok = t.post("/v1/claims", claim);
        assertThat(ok.status()).as(ok.toString()).isEqualTo(201);
        t.post("/v1/claims/" + ok.text("id") + "/release", null);
    }

    @Test
    void healthReadyAndMetricsNeedNoToken() {
        assertThat(anonymous.get("/health").status()).isEqualTo(200);
        assertThat(anonymous.get("/ready").status()).isEqualTo(200);
        Http.Answer m = anonymous.get("/metrics");
        assertThat(m.status()).isEqualTo(200);
        assertThat(m.raw()).contains("jvm_");
        // and a bad token does not spoil them either
        assertThat(anonymous.send("GET", "/health", null, Map.of("Authorization", "Bearer nonsense")).status())
                .isEqualTo(200);
    }

    /**
     * Issue 14: a GET, HEAD or DELETE with a body is a 400 problem that says so, with a token or without, on any
     * path; it was a 500 with a stack trace in the log (a form body made the body handler throw). Nothing changes.
     */
    @Test
    void aBodyOnARequestThatTakesNoneIsABadRequest() {
        String node = World.name("n");
        world.node(node, 4096, 4096);
        Http t = world.tenant(World.name("t"), 4096, 4096);
        Http.Answer claim = t.post("/v1/claims", World.claim(100, 0, List.of(), 1, 60, node));
        assertThat(claim.status()).as(claim.toString()).isEqualTo(201);
        StateSnapshot before = StateSnapshot.take(op, broker.ledger().store());
        Map<String, String> form = Map.of("Content-Type", "application/x-www-form-urlencoded");
        List<Http.Answer> refused = new ArrayList<>();
        refused.add(anonymous.send("GET", "/v1/claims", "a=b", form));
        refused.add(t.send("GET", "/v1/claims", "a=b", form));
        refused.add(op.send("GET", "/v1/tenants", "{}", Map.of()));
        refused.add(anonymous.send("GET", "/health", "a=b", form));
        refused.add(anonymous.send("GET", "/no/such/path", "a=b", form));
        refused.add(t.send("DELETE", "/v1/claims/" + claim.text("id"), "a=b", form));
        refused.add(t.send("DELETE", "/v1/claims/" + claim.text("id"), "{\"why\":1}", Map.of()));
        for (Http.Answer a : refused) {
            assertThat(a.status()).as(a.toString()).isEqualTo(400);
            assertThat(a.isClientProblem()).as(a.toString()).isTrue();
            assertThat(a.text("detail")).as(a.toString()).contains("takes no request body");
        }
        assertThat(StateSnapshot.take(op, broker.ledger().store())).isEqualTo(before);
        // without the body, the same requests are served
        assertThat(t.get("/v1/claims").status()).isEqualTo(200);
        assertThat(t.send("DELETE", "/v1/claims/" + claim.text("id"), null, Map.of()).status()).isEqualTo(200);
    }

    /**
     * Issue 14: over HTTP/1.1 (curl's, most clients'), a request line over 4 KiB is a 414 problem and headers over
     * 8 KiB a 431 problem (they were bare answers), and the broker goes on serving.
     */
    @Test
    void aRequestLineOrHeadersTooLongAreProblemsAndTheBrokerGoesOn() throws Exception {
        java.net.http.HttpClient http11 = java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
        java.net.http.HttpResponse<String> uri = http11.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(op.base() + "/v1/pools?x=" + "a".repeat(5_000))).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(uri.statusCode()).as(uri.body()).isEqualTo(414);
        assertThat(uri.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(io.ichiba.api.Wire.JSON.readTree(uri.body()).path("code").asText()).isEqualTo("URI_TOO_LONG");
        java.net.http.HttpResponse<String> headers = http11.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(op.base() + "/v1/pools")).header("X-Padding", "a".repeat(9_000)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(headers.statusCode()).as(headers.body()).isEqualTo(431);
        assertThat(headers.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(io.ichiba.api.Wire.JSON.readTree(headers.body()).path("code").asText())
                .isEqualTo("HEADERS_TOO_LARGE");
        assertThat(op.get("/v1/pools").status()).isEqualTo(200);
    }

    /**
     * Issue 14: a tenant may not take a reserved name (the house, the ledger's accounts, the operator, words a client
     * could take for no tenant), in any case: 400, and nothing is created.
     */
    @Test
    void aTenantCannotTakeAReservedName() {
        StateSnapshot before = StateSnapshot.take(op, broker.ledger().store());
        for (String id : List.of("null", "NULL", "operator", "house", "Escrow", "issue", "system", "agent", "none",
                "undefined")) {
            Http.Answer a = op.post("/v1/tenants", Map.of("id", id));
            assertThat(a.status()).as(a.toString()).isEqualTo(400);
            assertThat(a.isClientProblem()).as(a.toString()).isTrue();
            assertThat(a.text("detail")).as(a.toString()).contains("is reserved");
            assertThat(op.get("/v1/tenants/" + id).status()).isEqualTo(404);
        }
        assertThat(StateSnapshot.take(op, broker.ledger().store())).isEqualTo(before);
        String fine = "nullable-" + World.name("t");
        assertThat(op.post("/v1/tenants", Map.of("id", fine)).status()).isEqualTo(201);
    }

    // ------------------------------------------------------------------ 403: roles

    @Test
    void aTenantCannotDoTheOperatorsWork() {
        Http t = world.tenant(World.name("t"), 4096, 4096);
        String node = World.name("n");
        world.node(node, 4096, 4096);
        String newTenant = World.name("t");
        String newNode = World.name("n");
        String newLock = World.name("l");
        String newKind = World.name("k");
        StateSnapshot before = StateSnapshot.take(op, broker.ledger().store());

        List<Http.Answer> refused = List.of(
                t.post("/v1/tenants", Map.of("id", newTenant, "quota", Map.of("memory", 1_000_000))),
                t.post("/v1/agents", Map.of("node", newNode)),
                t.post("/v1/locks", Map.of("name", newLock, "permits", 1)),
                t.post("/v1/kinds", Map.of("name", newKind)),
                t.get("/v1/audit"),
                t.get("/v1/tenants"),
                t.put("/v1/nodes/" + node + "/report", Map.of("allocatable", Map.of("memory", 1))),
                t.put("/v1/nodes/" + newNode + "/report", Map.of("allocatable", Map.of("memory", 1_000_000))));
        for (Http.Answer a : refused) {
            assertThat(a.status()).as(a.toString()).isEqualTo(403);
            assertThat(a.isClientProblem()).as(a.toString()).isTrue();
        }

        assertThat(StateSnapshot.take(op, broker.ledger().store())).isEqualTo(before);
        assertThat(op.get("/v1/tenants/" + newTenant).status()).isEqualTo(404);
        assertThat(op.get("/v1/pools/lock:" + newLock).status()).isEqualTo(404);
        assertThat(op.get("/v1/pools/memory@" + newNode).status()).isEqualTo(404);
        assertThat(op.get("/v1/kinds").raw()).doesNotContain(newKind);
        assertThat(subjects(Principal.Role.AGENT)).doesNotContain(newNode);
    }

    @Test
    void anAgentReportsOnlyForItsOwnNodeAndClaimsNothing() {
        String mine = World.name("n");
        String theirs = World.name("n");
        Http agent = world.node(mine, 4096, 4096);
        world.node(theirs, 8192, 8192);
        world.tenant(World.name("t"), 4096, 4096);
        StateSnapshot before = StateSnapshot.take(op, broker.ledger().store());

        List<Http.Answer> refused = List.of(
                agent.put("/v1/nodes/" + theirs + "/report", Map.of("allocatable", Map.of("memory", 1, "disk", 1))),
                agent.put("/v1/nodes/" + World.name("n") + "/report", Map.of("allocatable", Map.of("memory", 1))),
                agent.post("/v1/claims", World.claim(100, 0, List.of(), 1, 60, mine)),
                agent.post("/v1/tenants", Map.of("id", World.name("t"))),
                agent.post("/v1/agents", Map.of("node", theirs)),
                agent.post("/v1/locks", Map.of("name", World.name("l"))),
                agent.get("/v1/audit"));
        for (Http.Answer a : refused) {
            assertThat(a.status()).as(a.toString()).isEqualTo(403);
            assertThat(a.isClientProblem()).as(a.toString()).isTrue();
        }
        assertThat(StateSnapshot.take(op, broker.ledger().store())).isEqualTo(before);
        assertThat(world.pool("memory@" + theirs).get("capacity").asLong()).isEqualTo(8192);
        // its own node it may report for
        World.report(agent, mine, 2048, 2048);
        assertThat(world.pool("memory@" + mine).get("capacity").asLong()).isEqualTo(2048);
    }

    @Test
    void theOperatorNeitherClaimsNorReports() {
        String node = World.name("n");
        world.node(node, 4096, 4096);
        StateSnapshot before = StateSnapshot.take(op, broker.ledger().store());

        List<Http.Answer> refused = List.of(
                op.post("/v1/claims", World.claim(100, 0, List.of(), 1, 60, node)),
                op.put("/v1/nodes/" + node + "/report", Map.of("allocatable", Map.of("memory", 1, "disk", 1))),
                op.put("/v1/nodes/" + World.name("n") + "/report", Map.of("allocatable", Map.of("memory", 1))));
        for (Http.Answer a : refused) {
            assertThat(a.status()).as(a.toString()).isEqualTo(403);
            assertThat(a.isClientProblem()).as(a.toString()).isTrue();
        }
        assertThat(StateSnapshot.take(op, broker.ledger().store())).isEqualTo(before);
    }

    // ------------------------------------------------------------------ tenants are isolated

    @Test
    void aTenantNeitherSeesNorChangesAnothersClaims() {
        String node = World.name("n");
        Http agent = world.node(node, 16384, 16384);
        String idA = World.name("a");
        String idB = World.name("b");
        Http a = world.tenant(idA, 8192, 8192);
        Http b = world.tenant(idB, 8192, 8192);
        Http.Answer claimA = a.post("/v1/claims", World.claim(2048, 512, List.of(), 3, 600, node));
        assertThat(claimA.text("state")).as(claimA.toString()).isEqualTo("GRANTED");
        String id = claimA.text("id");
        Http.Answer claimB = b.post("/v1/claims", World.claim(1024, 0, List.of(), 1, 600, node));
        assertThat(claimB.text("state")).as(claimB.toString()).isEqualTo("GRANTED");

        JsonNode aSees = a.get("/v1/claims/" + id).body();
        StateSnapshot before = StateSnapshot.take(op, broker.ledger().store());

        Http.Answer seen = b.get("/v1/claims/" + id);
        Http.Answer polled = b.get("/v1/claims/" + id + "?waitSeconds=1");
        Http.Answer renewed = b.post("/v1/claims/" + id + "/renew", Map.of("leaseSeconds", 86400));
        Http.Answer renewedBare = b.post("/v1/claims/" + id + "/renew", null);
        Http.Answer released = b.post("/v1/claims/" + id + "/release", null);
        Http.Answer cancelled = b.delete("/v1/claims/" + id);
        Http.Answer unknown = b.get("/v1/claims/" + World.name("nope"));
        Http.Answer seenByAgent = agent.get("/v1/claims/" + id);
        Http.Answer releasedByAgent = agent.post("/v1/claims/" + id + "/release", null);
        for (Http.Answer x : List.of(seen, polled, renewed, renewedBare, released, cancelled, seenByAgent,
                releasedByAgent)) {
            assertThat(x.status()).as(x.toString()).isEqualTo(404);
            assertThat(x.isClientProblem()).as(x.toString()).isTrue();
            assertThat(x.raw()).as("a 404 for another's claim leaks nothing of it").doesNotContain(idA);
        }
        // indistinguishable from a claim that does not exist, but for the id itself
        assertThat(seen.text("code")).isEqualTo(unknown.text("code"));
        assertThat(seen.text("title")).isEqualTo(unknown.text("title"));

        Http.Answer listB = b.get("/v1/claims");
        assertThat(listB.status()).isEqualTo(200);
        assertThat(World.ids(listB)).containsExactly(claimB.text("id"));
        Http.Answer grantedB = b.get("/v1/claims?state=GRANTED");
        assertThat(World.ids(grantedB)).containsExactly(claimB.text("id"));
        Http.Answer listOfA = b.get("/v1/claims?tenant=" + idA);
        assertThat(listOfA.status()).as(listOfA.toString()).isEqualTo(403);
        assertThat(listOfA.isClientProblem()).isTrue();
        assertThat(listOfA.raw()).doesNotContain(id);
        assertThat(World.ids(b.get("/v1/claims?tenant=" + idB))).containsExactly(claimB.text("id"));
        assertThat(agent.get("/v1/claims").status()).isEqualTo(403);

        // nothing changed: A's claim as A sees it, and everything the operator sees
        assertThat(a.get("/v1/claims/" + id).body()).isEqualTo(aSees);
        assertThat(StateSnapshot.take(op, broker.ledger().store())).isEqualTo(before);
        assertThat(World.ids(a.get("/v1/claims"))).containsExactly(id);
        assertThat(World.ids(op.get("/v1/claims?tenant=" + idA))).containsExactly(id);
        assertThat(world.pool("memory@" + node).get("granted").asLong()).isEqualTo(2048 + 1024);

        a.post("/v1/claims/" + id + "/release", null);
        b.post("/v1/claims/" + claimB.text("id") + "/release", null);
        world.assertAuditClean();
    }

    @Test
    void aTenantReadsOnlyItsOwnAccount() {
        String node = World.name("n");
        world.node(node, 16384, 16384);
        String idA = World.name("a");
        String idB = World.name("b");
        Http a = world.tenant(idA, 8192, 4096);
        Http b = world.tenant(idB, 1024, 1024);
        Http.Answer claim = a.post("/v1/claims", World.claim(3000, 100, List.of(), 1, 600, node));
        assertThat(claim.text("state")).isEqualTo("GRANTED");

        Http.Answer byB = b.get("/v1/tenants/" + idA);
        assertThat(byB.status()).as(byB.toString()).isEqualTo(404);
        assertThat(byB.isClientProblem()).isTrue();
        assertThat(byB.raw()).doesNotContain("8192");
        Http.Answer byAgent = world.node(World.name("n"), 1024, 1024).get("/v1/tenants/" + idA);
        assertThat(byAgent.status()).as(byAgent.toString()).isEqualTo(404);

        Http.Answer byA = a.get("/v1/tenants/" + idA);
        assertThat(byA.status()).as(byA.toString()).isEqualTo(200);
        assertThat(byA.text("id")).isEqualTo(idA);
        assertThat(byA.body().path("quota").path("memory").asLong()).isEqualTo(8192);
        assertThat(byA.body().path("quota").path("disk").asLong()).isEqualTo(4096);
        assertThat(byA.body().path("used").path("memory").asLong()).isEqualTo(3000);
        assertThat(byA.body().path("used").path("disk").asLong()).isEqualTo(100);
        assertThat(byA.raw()).doesNotContain(idB);
        assertThat(op.get("/v1/tenants/" + idA).body()).isEqualTo(byA.body());
        a.post("/v1/claims/" + claim.text("id") + "/release", null);
    }

    // ------------------------------------------------------------------ tokens at rest

    @Test
    void tokensAreStoredOnlyAsHashes() {
        String tenantId = World.name("t");
        // with idempotency keys, so that the answers (which carry the tokens) are kept for retries
        Map<String, String> key = Map.of("Idempotency-Key", World.name("k"));
        Http.Answer created = op.post("/v1/tenants", Map.of("id", tenantId, "quota", Map.of("memory", 1024)), key);
        assertThat(created.status()).isEqualTo(201);
        String token = created.text("token");
        assertThat(token).isNotBlank();
        String node = World.name("n");
        Http.Answer agent = op.post("/v1/agents", Map.of("node", node), Map.of("Idempotency-Key", World.name("k")));
        assertThat(agent.status()).isEqualTo(201);
        String agentToken = agent.text("token");
        // a retry is answered without the token: it is nowhere to be read back
        Http.Answer retried = op.post("/v1/tenants", Map.of("id", tenantId, "quota", Map.of("memory", 1024)), key);
        assertThat(retried.body().has("token")).isFalse();
        assertThat(retried.body().get("tokenIssuedOnce").asBoolean()).isTrue();
        // the tokens work
        assertThat(op.as(token).get("/v1/tenants/" + tenantId).status()).isEqualTo(200);
        World.report(op.as(agentToken), node, 1024, 1024);

        assertThat(subjects(Principal.Role.TENANT)).as("the map holds the tenant's principal").contains(tenantId);
        assertThat(subjects(Principal.Role.AGENT)).as("the map holds the agent's principal").contains(node);
        assertThat(TestBrokers.table(broker, "idempotency").entries().size()).as("the answers were kept").isPositive();
        // what the engine holds, what it writes behind into the members' maps, and its journal's batches
        for (String table : List.of("principals", "agents", "idempotency", "tenants")) {
            List<Map.Entry<?, ?>> entries = new ArrayList<>(TestBrokers.table(broker, table).entries().entrySet());
            IMap<Object, Object> m = broker.hazelcast().getMap(HazelcastJournal.STATE_PREFIX + table);
            entries.addAll(m.entrySet());
            broker.hazelcast().getMap(HazelcastJournal.MAP).values()
                    .forEach(head -> entries.add(Map.entry("journal head", head)));
            for (Map.Entry<?, ?> e : entries) {
                Object value = e.getValue() instanceof HazelcastJournal.Versioned v ? v.value() : e.getValue();
                for (String secret : List.of(token, agentToken, TestBrokers.OPERATOR)) {
                    assertThat(String.valueOf(e.getKey())).as(table).doesNotContain(secret);
                    assertThat(String.valueOf(value)).as(table).doesNotContain(secret);
                    assertThat(fields(value)).as(table).noneMatch(f -> f.contains(secret));
                }
            }
        }
    }

    // ------------------------------------------------------------------ the member network

    @Test
    void aHazelcastClientThatKnowsTheClusterNameCannotConnectToAMember() {
        com.hazelcast.client.config.ClientConfig cc = new com.hazelcast.client.config.ClientConfig();
        cc.setClusterName(broker.hazelcast().getConfig().getClusterName());
        cc.setProperty("hazelcast.phone.home.enabled", "false");
        cc.setProperty("hazelcast.logging.type", "slf4j");
        int port = broker.hazelcast().getCluster().getLocalMember().getAddress().getPort();
        cc.getNetworkConfig().addAddress("127.0.0.1:" + port).setSmartRouting(false);
        cc.getConnectionStrategyConfig().getConnectionRetryConfig().setClusterConnectTimeoutMillis(3_000);
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> com.hazelcast.client.HazelcastClient.newHazelcastClient(cc).shutdown())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("Unable to connect");
        assertThat(op.get("/health").status()).as("the member serves on").isEqualTo(200);
    }

    @Test
    void aMemberRefusesToBuildAnObjectOfAClassOutsideTheAllowList() {
        var s = ((com.hazelcast.spi.impl.SerializationServiceSupport) broker.hazelcast()).getSerializationService();
        var data = s.toData(new javax.management.BadAttributeValueExpException("x"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.toObject(data))
                .hasStackTraceContaining("BadAttributeValueExpException");
        Principal p = new Principal(Principal.Role.TENANT, "t", 1);
        assertThat((Object) s.toObject(s.toData(p))).isEqualTo(p);
    }

    @Test
    void anUnsignedRevocationOnTheEventBusRevokesNothing() throws Exception {
        String id = World.name("t");
        Http t = world.tenant(id, 1024, 1024);
        assertThat(t.get("/v1/tenants/" + id).status()).isEqualTo(200);
        String address = io.ichiba.broker.http.TokenRevocations.PREFIX
                + broker.hazelcast().getCluster().getLocalMember().getUuid();
        // what a stranger on the event-bus port can send: a frame of a codec of its choosing, not signed
        var answer = broker.vertx().eventBus().request(address, new io.vertx.core.json.JsonArray()
                .add(io.ichiba.broker.Tokens.hash(t.token()))).toCompletionStage().toCompletableFuture();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> answer.get(10, java.util.concurrent.TimeUnit.SECONDS))
                .hasMessageContaining("not a signed revocation");
        assertThat(t.get("/v1/tenants/" + id).status()).isEqualTo(200);
    }

    // ------------------------------------------------------------------ tokens rotate

    @Test
    void aRotatedTokenIsRefusedAtOnceOnEveryMemberOfTwoAndTheNewOneWorks() throws Exception {
        try (TestBrokers two = new TestBrokers()) {
            Broker first = two.start();
            Broker second = two.start();
            Http op1 = TestBrokers.operator(first);
            Http op2 = TestBrokers.operator(second);
            World w = new World(op1);
            String id = World.name("t");
            Http.Answer created = op1.post("/v1/tenants", Map.of("id", id, "quota", Map.of("memory", 1024)));
            String old = created.text("token");
            String node = World.name("n");
            String oldAgent = op1.post("/v1/agents", Map.of("node", node)).text("token");
            World.report(op1.as(oldAgent), node, 4096, 4096);
            // both members know (and cache) both tokens
            for (Http m : List.of(op1, op2)) {
                assertThat(m.as(old).get("/v1/tenants/" + id).status()).isEqualTo(200);
                assertThat(m.as(oldAgent).get("/v1/pools").status()).isNotEqualTo(401);
            }

            // the tenant rotates its own token on the first member
            Http.Answer rotated = op1.as(old).post("/v1/tenants/" + id + "/rotate-token", null);
            assertThat(rotated.status()).as(rotated.toString()).isEqualTo(200);
            String fresh = rotated.text("token");
            assertThat(fresh).startsWith("ich_").isNotEqualTo(old);
            assertThat(rotated.text("subject")).isEqualTo(id);
            // the operator rotates the agent's on the second
            Http.Answer agentRotated = op2.post("/v1/agents/" + node + "/rotate-token", null);
            assertThat(agentRotated.status()).as(agentRotated.toString()).isEqualTo(200);
            String freshAgent = agentRotated.text("token");

            for (Http m : List.of(op1, op2)) {
                assertThat(m.as(old).get("/v1/tenants/" + id).status()).as("the old tenant token").isEqualTo(401);
                assertThat(m.as(oldAgent).get("/v1/pools").status()).as("the old agent token").isEqualTo(401);
                assertThat(m.as(fresh).get("/v1/tenants/" + id).status()).isEqualTo(200);
                assertThat(m.as(freshAgent).get("/v1/pools").status()).isNotEqualTo(401);
            }
            World.report(op2.as(freshAgent), node, 4096, 4096);
            w.assertAuditClean();
        }
    }

    /**
     * Under load: four clients use a tenant's token on both members of two while it is rotated. The history of
     * requests (when each was sent, what it got) must show no 200 for the old token from a request sent after the
     * rotation answered, and every request before it answered 200 (the token was good until then).
     */
    @Test
    void whileClientsUseATokenOnTwoMembersItsRotationRefusesItEverywhereFromTheAnswerOn() throws Exception {
        try (TestBrokers two = new TestBrokers()) {
            // no per-token rate limit: the clients send as fast as they can, which is the point
            Http op1 = TestBrokers.operator(two.start(c -> c.withSecurity(c.security().withLimits(0, 0, 0, 0))));
            Http op2 = TestBrokers.operator(two.start(c -> c.withSecurity(c.security().withLimits(0, 0, 0, 0))));
            String id = World.name("t");
            String old = op1.post("/v1/tenants", Map.of("id", id, "quota", Map.of("memory", 1024))).text("token");
            record Sent(long at, int status) {
            }
            List<List<Sent>> histories = new ArrayList<>();
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicLong answeredAt = new java.util.concurrent.atomic.AtomicLong(Long.MAX_VALUE);
            java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(4);
            List<java.util.concurrent.Future<?>> running = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                Http member = (c % 2 == 0 ? op1 : op2).as(old);
                List<Sent> history = new java.util.concurrent.CopyOnWriteArrayList<>();
                histories.add(history);
                running.add(clients.submit(() -> {
                    while (!stop.get()) {
                        long at = System.nanoTime();
                        history.add(new Sent(at, member.get("/v1/tenants/" + id).status()));
                    }
                }));
            }
            try {
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                        .until(() -> histories.stream().allMatch(h -> h.size() >= 5));
                Http.Answer rotated = op2.as(old).post("/v1/tenants/" + id + "/rotate-token", null);
                answeredAt.set(System.nanoTime());
                assertThat(rotated.status()).as(rotated.toString()).isEqualTo(200);
                // every client sends a few more after the answer
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> histories.stream().allMatch(h ->
                        h.stream().filter(x -> x.at() > answeredAt.get()).count() >= 5));
            } finally {
                stop.set(true);
                for (java.util.concurrent.Future<?> f : running) {
                    f.get(30, java.util.concurrent.TimeUnit.SECONDS);
                }
                clients.shutdownNow();
            }
            long answered = answeredAt.get();
            for (List<Sent> h : histories) {
                assertThat(h).filteredOn(x -> x.at() > answered).as("sent after the rotation answered")
                        .isNotEmpty().allSatisfy(x -> assertThat(x.status()).isEqualTo(401));
                assertThat(h).filteredOn(x -> x.at() < answered).allSatisfy(x ->
                        assertThat(x.status()).isIn(200, 401)); // those in flight may see either
                assertThat(h.get(0).status()).as("the token was good before").isEqualTo(200);
            }
        }
    }

    @Test
    void aKeyedRetryOfARotationAnswersWithoutTheTokenAndDoesNotRotateAgain() {
        String id = World.name("t");
        Http t = world.tenant(id, 1024, 1024);
        Map<String, String> key = Map.of("Idempotency-Key", World.name("k"));
        Http.Answer first = t.post("/v1/tenants/" + id + "/rotate-token", null, key);
        assertThat(first.status()).as(first.toString()).isEqualTo(200);
        Http fresh = t.as(first.text("token"));
        Http.Answer retry = fresh.post("/v1/tenants/" + id + "/rotate-token", null, key);
        assertThat(retry.status()).as(retry.toString()).isEqualTo(200);
        assertThat(retry.body().has("token")).isFalse();
        assertThat(retry.body().get("tokenIssuedOnce").asBoolean()).isTrue();
        assertThat(fresh.get("/v1/tenants/" + id).status()).as("the first answer's token still works").isEqualTo(200);
    }

    @Test
    void onlyTheTenantItselfOrTheOperatorRotatesATenantsTokenAndOnlyTheOperatorAnAgents() {
        String ida = World.name("ta");
        Http a = world.tenant(ida, 1024, 1024);
        Http b = world.tenant(World.name("tb"), 1024, 1024);
        String node = World.name("n");
        String agentToken = op.post("/v1/agents", Map.of("node", node)).text("token");
        Http agent = op.as(agentToken);
        StateSnapshot before = StateSnapshot.take(op, broker.ledger().store());
        assertThat(b.post("/v1/tenants/" + ida + "/rotate-token", null).status()).isEqualTo(404);
        assertThat(agent.post("/v1/tenants/" + ida + "/rotate-token", null).status()).isEqualTo(404);
        assertThat(a.post("/v1/agents/" + node + "/rotate-token", null).status()).isEqualTo(403);
        assertThat(agent.post("/v1/agents/" + node + "/rotate-token", null).status()).isEqualTo(403);
        assertThat(op.post("/v1/tenants/nobody-" + World.name("x") + "/rotate-token", null).status()).isEqualTo(404);
        assertThat(op.post("/v1/agents/" + World.name("nowhere") + "/rotate-token", null).status()).isEqualTo(404);
        assertThat(StateSnapshot.take(op, broker.ledger().store())).isEqualTo(before);
        assertThat(a.get("/v1/tenants/" + ida).status()).isEqualTo(200);
        assertThat(agent.get("/v1/pools").status()).isNotEqualTo(401);
    }

    // ------------------------------------------------------------------ webhooks

    @Test
    void aWebhookToAnInternalAddressIsRefusedAtCreationAndNothingIsBound() {
        Http t = world.tenant(World.name("t"), 4096, 4096);
        int before = t.get("/v1/handlers").body().get("items").size();
        // 127.0.0.1 is allowed to these tests' brokers (ICHIBA_WEBHOOK_ALLOW); the rest of loopback is not
        for (String url : List.of("http://127.0.0.2:5701/", "http://169.254.169.254/latest/meta-data/",
                "http://localhost:8080/v1/tenants", "http://[::1]/", "http://10.0.0.1/hook", "http://192.168.1.1/",
                "http://[::ffff:a9fe:a9fe]/")) {
            Http.Answer a = t.post("/v1/handlers", Map.of("eventType", "claim.granted", "webhook", Map.of("url", url)));
            assertThat(a.status()).as(url + " " + a).isEqualTo(400);
            assertThat(a.text("code")).as(url).isEqualTo("WEBHOOK_REFUSED");
        }
        assertThat(t.get("/v1/handlers").body().get("items")).hasSize(before);
    }

    @Test
    void aWebhookWhoseNameResolvesToAnInternalAddressIsRefusedAtDeliveryAndNeverCalled() throws Exception {
        // the machine's own name resolves to one of its addresses (loopback or private); a broker that allows none
        String host = java.net.InetAddress.getLocalHost().getHostName();
        org.junit.jupiter.api.Assumptions.assumeTrue(java.util.Arrays.stream(java.net.InetAddress.getAllByName(host))
                .allMatch(a -> a.isLoopbackAddress() || a.isSiteLocalAddress()), "this machine's name is public");
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        com.sun.net.httpserver.HttpServer anywhere = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("0.0.0.0", 0), 0);
        anywhere.createContext("/", ex -> {
            calls.incrementAndGet();
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        anywhere.start();
        try (TestBrokers strict = new TestBrokers()) {
            Broker b = strict.start(c -> c.withSecurity(c.security().withWebhookAllow(List.of())));
            Bound bound = bindAndGrant(new World(TestBrokers.operator(b)),
                    "http://" + host + ":" + anywhere.getAddress().getPort() + "/hook", 2000);
            assertThat(bound.lastError()).isEqualTo("refused");
            assertThat(calls).hasValue(0);
        } finally {
            anywhere.stop(0);
        }
    }

    @Test
    void aWebhookAnsweringAHundredMegabytesFailsAtSixtyFourKibibytesAndTheBrokerServesOn() throws Exception {
        java.util.concurrent.atomic.AtomicLong written = new java.util.concurrent.atomic.AtomicLong();
        String url = receive(ex -> {
            long size = 100L << 20;
            ex.sendResponseHeaders(200, size);
            byte[] chunk = new byte[64 << 10];
            java.util.Arrays.fill(chunk, (byte) ' ');
            try (var out = ex.getResponseBody()) {
                for (long sent = 0; sent < size; sent += chunk.length) {
                    out.write(chunk);
                    written.addAndGet(chunk.length);
                }
            } catch (java.io.IOException closedByTheBroker) {
                // what should happen
            }
        });
        Bound b = bindAndGrant(url, 30_000);
        assertThat(b.lastError()).isEqualTo("answer over 65536 bytes");
        assertThat(op.get("/health").status()).isEqualTo(200);
        assertThat(written.get()).as("the broker stopped reading").isLessThan(100L << 20);
    }

    @Test
    void aWebhookThatDripsItsAnswerFailsAtItsDeadline() throws Exception {
        java.util.concurrent.CountDownLatch never = new java.util.concurrent.CountDownLatch(1);
        String url = receive(ex -> {
            ex.sendResponseHeaders(200, 0); // chunked: one byte now and then, never silent for the idle timeout
            try (var out = ex.getResponseBody()) {
                for (int i = 0; i < 100; i++) {
                    out.write('{');
                    out.flush();
                    if (never.await(200, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                        return;
                    }
                }
            } catch (java.io.IOException | InterruptedException closedByTheBroker) {
                // what should happen
            }
        });
        long start = System.nanoTime();
        Bound b = bindAndGrant(url, 1000);
        assertThat(b.lastError()).isEqualTo("timeout");
        assertThat(java.time.Duration.ofNanos(System.nanoTime() - start)).as("failed at its deadline, not after the "
                + "answer's 20 s").isLessThan(java.time.Duration.ofSeconds(15));
    }

    @Test
    void aWebhookSignatureCarriesItsTimeAndAnOldOneIsRefusedByTheReceiver() {
        byte[] body = "{\"delivery\":\"d\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String header = io.ichiba.broker.handlers.HandlerDispatcher.sign("whsec_x", 1_000_000, body);
        assertThat(header).matches("t=1000000,v1=[0-9a-f]{64}");
        assertThat(io.ichiba.broker.handlers.HandlerDispatcher.verify("whsec_x", header, body, 1_000_100, 300)).isTrue();
        assertThat(io.ichiba.broker.handlers.HandlerDispatcher.verify("whsec_x", header, body, 1_000_400, 300))
                .as("replayed 400 s later").isFalse();
        assertThat(io.ichiba.broker.handlers.HandlerDispatcher.verify("whsec_y", header, body, 1_000_000, 300)).isFalse();
        assertThat(io.ichiba.broker.handlers.HandlerDispatcher.verify("whsec_x",
                header.replace("t=1000000", "t=1000350"), body, 1_000_350, 300)).as("a time changed").isFalse();
    }

    /** What a binding's one delivery attempt ended as. */
    private record Bound(String id, String lastError) {
    }

    /** Binds a webhook to {@code url} with one attempt, grants a claim, and waits for its dead letter. */
    private static Bound bindAndGrant(String url, int timeoutMs) {
        return bindAndGrant(world, url, timeoutMs);
    }

    private static Bound bindAndGrant(World world, String url, int timeoutMs) {
        String node = World.name("n");
        world.node(node, 4096, 4096);
        Http t = world.tenant(World.name("t"), 4096, 4096);
        Http.Answer h = t.post("/v1/handlers", Map.of("eventType", "claim.granted", "webhook", Map.of("url", url),
                "ackPolicy", "BEFORE", "timeoutMs", timeoutMs, "retry", Map.of("attempts", 1, "backoffMs", 10)));
        assertThat(h.status()).as(h.toString()).isEqualTo(201);
        Http.Answer c = t.post("/v1/claims", World.claim(100, 0, List.of(), 1, 60, node));
        assertThat(c.status()).as(c.toString()).isEqualTo(201);
        String[] lastError = new String[1];
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).untilAsserted(() -> {
            JsonNode dead = t.get("/v1/handlers/" + h.text("id") + "/dead-letters").body().get("items");
            assertThat(dead).hasSize(1);
            lastError[0] = dead.get(0).get("lastError").asText();
        });
        return new Bound(h.text("id"), lastError[0]);
    }

    /** Serves {@code handler} on 127.0.0.1 (allowed to these brokers) until the class ends; answers its URL. */
    private static String receive(com.sun.net.httpserver.HttpHandler handler) throws java.io.IOException {
        com.sun.net.httpserver.HttpServer s = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        s.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        s.createContext("/", handler);
        s.start();
        receivers.add(s);
        return "http://127.0.0.1:" + s.getAddress().getPort() + "/hook";
    }

    private static final List<com.sun.net.httpserver.HttpServer> receivers = new java.util.concurrent.CopyOnWriteArrayList<>();

    // ------------------------------------------------------------------ helpers

    private static List<String> subjects(Principal.Role role) {
        List<String> out = new ArrayList<>();
        TestBrokers.table(broker, "principals").entries().values().forEach(v -> {
            if (v instanceof Principal p && p.role() == role) {
                out.add(p.subject());
            }
        });
        return out;
    }

    /** The string forms of a stored value's record components (a value may hide a field from toString). */
    private static List<String> fields(Object value) {
        List<String> out = new ArrayList<>();
        if (value instanceof Record r) {
            for (var c : r.getClass().getRecordComponents()) {
                try {
                    out.add(String.valueOf(c.getAccessor().invoke(r)));
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return out;
    }
}
