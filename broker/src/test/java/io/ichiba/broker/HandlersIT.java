package io.ichiba.broker;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.ichiba.api.Wire;
import io.ichiba.broker.handlers.HandlerDispatcher;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Handlers over real HTTP on two brokers, against a real webhook server started by the test (each body's
 * {@code Ichiba-Signature} verified with the binding's secret) and a handler on the clustered event bus: delivery,
 * sessions, ack policies seen through the handler's deliveries, retries into dead letters and their replay,
 * disabling at run time, isolation and bad input.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HandlersIT {
    private static final String KEY = "Idempotency-Key";
    private TestBrokers cluster;
    private Broker broker;
    private Http op;
    private World world;
    private HttpServer server;
    private String base;
    /** Path to what it answers: a status; 200s answer {"session":{"n":<count>}}. */
    private final Map<String, Integer> answers = new ConcurrentHashMap<>();
    /** Path to the bodies it received (after checking their signature). */
    private final Map<String, List<JsonNode>> received = new ConcurrentHashMap<>();
    private final Map<String, String> secrets = new ConcurrentHashMap<>();
    private final List<String> badSignatures = new CopyOnWriteArrayList<>();

    @BeforeAll
    void start() throws Exception {
        cluster = new TestBrokers();
        broker = cluster.start();
        op = TestBrokers.operator(broker);
        cluster.start();
        world = new World(op);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.createContext("/", ex -> {
            String path = ex.getRequestURI().getPath();
            byte[] body = ex.getRequestBody().readAllBytes();
            String secret = secrets.get(path);
            String signature = ex.getRequestHeaders().getFirst(HandlerDispatcher.SIGNATURE);
            if (secret == null || !HandlerDispatcher.verify(secret, signature, body,
                    System.currentTimeMillis() / 1000, 300)) {
                badSignatures.add(path + " " + signature);
            }
            List<JsonNode> got = received.computeIfAbsent(path, k -> new CopyOnWriteArrayList<>());
            got.add(Wire.JSON.readTree(body));
            int status = answers.getOrDefault(path, 200);
            if (status == 299) { // a handler slower than its binding's timeout: it answers, too late
                try {
                    // never released: the handler holds the request for 1.5 s, then answers
                    new java.util.concurrent.CountDownLatch(1).await(1500, java.util.concurrent.TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                status = 200;
            }
            byte[] out = status == 200 ? ("{\"session\":{\"n\":" + got.size() + "}}").getBytes(StandardCharsets.UTF_8)
                    : new byte[0];
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(status, out.length == 0 ? -1 : out.length);
            if (out.length > 0) {
                ex.getResponseBody().write(out);
            }
            ex.close();
        });
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterAll
    void stop() {
        server.stop(0);
        cluster.close();
    }

    private String bind(Http who, String path, String policy, int priority, int attempts, int status) {
        answers.put(path, status);
        Map<String, Object> body = new HashMap<>(Map.of("eventType", "claim.granted", "webhook",
                Map.of("url", base + path), "ackPolicy", policy, "priority", priority, "timeoutMs", 2000,
                "retry", Map.of("attempts", attempts, "backoffMs", 50)));
        Http.Answer a = who.post("/v1/handlers", body);
        assertThat(a.status()).as(a.toString()).isEqualTo(201);
        secrets.put(path, a.text("secret"));
        return a.text("id");
    }

    private String grant(Http tenant, String node) {
        Http.Answer c = tenant.post("/v1/claims", World.claim(100, 0, List.of(), 1, 60, node));
        assertThat(c.status()).as(c.toString()).isEqualTo(201);
        String id = c.text("id");
        Http.Answer granted = tenant.get("/v1/claims/" + id + "?waitSeconds=30");
        assertThat(granted.text("state")).as(granted.toString()).isEqualTo("GRANTED");
        return id;
    }

    @Test
    void aWebhookGetsItsTenantsEventsSignedWithItsSessionAndNoOneElses() {
        String node = World.name("n");
        world.node(node, 100_000, 100_000);
        String a = World.name("ta");
        Http ta = world.tenant(a, 100_000, 0);
        Http tb = world.tenant(World.name("tb"), 100_000, 0);
        String path = "/" + World.name("ok");
        String id = bind(ta, path, "ALL", 0, 3, 200);
        String c1 = grant(ta, node);
        grant(tb, node); // not team a's: never delivered to its handler
        String c2 = grant(ta, node);
        await().atMost(Duration.ofSeconds(15)).until(() -> received.getOrDefault(path, List.of()).size() >= 2);
        List<JsonNode> got = received.get(path);
        assertThat(got).extracting(b -> b.get("event").get("subject").asText()).containsExactly(c1, c2);
        assertThat(got.get(0).get("event").get("type").asText()).isEqualTo("claim.granted");
        assertThat(got.get(0).get("event").get("tenant").asText()).isEqualTo(a);
        assertThat(got.get(0).get("binding").asText()).isEqualTo(id);
        assertThat(got.get(0).get("session").isNull()).as("no session yet").isTrue();
        assertThat(got.get(1).get("session").get("n").asInt()).as("the first answer's session").isEqualTo(1);
        assertThat(badSignatures).isEmpty();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode h = ta.get("/v1/handlers/" + id).body();
            assertThat(h.get("deliveries").get("successes").asLong()).isEqualTo(2);
            assertThat(h.get("session").get("n").asInt()).isEqualTo(2);
            assertThat(h.has("secret")).as("shown once").isFalse();
        });
        assertThat(tb.get("/v1/handlers/" + id).status()).as("law 9").isEqualTo(404);
        assertThat(tb.delete("/v1/handlers/" + id).status()).isEqualTo(404);
        assertThat(World.ids(tb.get("/v1/handlers"))).isEmpty();
        assertThat(World.ids(op.get("/v1/handlers"))).contains(id);
    }

    @Test
    void aFailingHandlerIsRetriedThenDeadLetteredAndReplayed() {
        String node = World.name("n");
        world.node(node, 100_000, 100_000);
        Http ta = world.tenant(World.name("ta"), 100_000, 0);
        String path = "/" + World.name("down");
        String id = bind(ta, path, "ALL", 0, 3, 500);
        String c1 = grant(ta, node);
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            JsonNode dead = ta.get("/v1/handlers/" + id + "/dead-letters").body().get("items");
            assertThat(dead).hasSize(1);
            assertThat(dead.get(0).get("attempts").asInt()).isEqualTo(3);
            assertThat(dead.get(0).get("lastError").asText()).isEqualTo("HTTP 500");
            assertThat(dead.get(0).get("event").get("subject").asText()).isEqualTo(c1);
        });
        assertThat(received.get(path)).as("three attempts").hasSize(3)
                .allSatisfy(b -> assertThat(b.get("event").get("id").asText()).isEqualTo("claim:" + c1 + ":1"));
        assertThat(received.get(path)).extracting(b -> b.get("attempt").asInt()).containsExactly(1, 2, 3);
        JsonNode h = ta.get("/v1/handlers/" + id).body();
        assertThat(h.get("deliveries").get("failures").asLong()).isEqualTo(3);
        assertThat(h.get("deliveries").get("deadLetters").asInt()).isEqualTo(1);

        answers.put(path, 200); // the handler is back
        Http.Answer replay = ta.post("/v1/handlers/" + id + "/dead-letters/replay", null);
        assertThat(replay.body().get("replayed").asInt()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(15)).until(() -> received.get(path).size() == 4);
        assertThat(ta.get("/v1/handlers/" + id + "/dead-letters").body().get("items")).isEmpty();
    }

    @Test
    void aHandlerThatAnswersAfterItsTimeoutHasFailed() {
        String node = World.name("n");
        world.node(node, 100_000, 100_000);
        Http ta = world.tenant(World.name("ta"), 100_000, 0);
        String path = "/" + World.name("slow");
        answers.put(path, 299);
        Http.Answer a = ta.post("/v1/handlers", Map.of("eventType", "claim.granted", "webhook",
                Map.of("url", base + path), "timeoutMs", 300, "retry", Map.of("attempts", 1, "backoffMs", 50)));
        assertThat(a.status()).as(a.toString()).isEqualTo(201);
        secrets.put(path, a.text("secret"));
        grant(ta, node);
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            JsonNode dead = ta.get("/v1/handlers/" + a.text("id") + "/dead-letters").body().get("items");
            assertThat(dead).hasSize(1);
            assertThat(dead.get(0).get("lastError").asText()).containsIgnoringCase("timeout");
        });
    }

    @Test
    void anyStopsAtTheFirstSuccessInPriorityOrderAndADisabledHandlerGetsNothing() {
        String node = World.name("n");
        world.node(node, 100_000, 100_000);
        Http ta = world.tenant(World.name("ta"), 100_000, 0);
        String first = "/" + World.name("first");
        String second = "/" + World.name("second");
        String third = "/" + World.name("third");
        bind(ta, first, "ANY", 9, 1, 503);
        String secondId = bind(ta, second, "ANY", 5, 1, 200);
        bind(ta, third, "ANY", 1, 1, 200);
        grant(ta, node);
        await().atMost(Duration.ofSeconds(15)).until(() -> received.getOrDefault(second, List.of()).size() == 1);
        assertThat(received.get(first)).hasSize(1);
        assertThat(received.getOrDefault(third, List.of())).as("not needed after a success").isEmpty();

        Http.Answer off = ta.patch("/v1/handlers/" + secondId, Map.of("enabled", false));
        assertThat(off.body().get("enabled").asBoolean()).isFalse();
        grant(ta, node);
        await().atMost(Duration.ofSeconds(15)).until(() -> received.getOrDefault(third, List.of()).size() == 1);
        assertThat(received.get(second)).as("disabled at run time").hasSize(1);
        assertThat(received.get(first)).hasSize(2);
    }

    @Test
    void anEventBusHandlerInTheClusterIsAnsweredLikeAWebhook() {
        String node = World.name("n");
        world.node(node, 100_000, 100_000);
        Http ta = world.tenant(World.name("ta"), 100_000, 0);
        String address = World.name("ichiba.test.handler");
        List<JsonObject> got = new CopyOnWriteArrayList<>();
        AtomicInteger n = new AtomicInteger();
        // a handler in a JVM of the cluster: here the second broker's Vert.x
        cluster.brokers().get(1).vertx().eventBus().<JsonObject>consumer(address, m -> {
            got.add(m.body());
            m.reply(new JsonObject().put("session", new JsonObject().put("n", n.incrementAndGet())));
        }).completion().toCompletionStage().toCompletableFuture().join();
        Http.Answer a = ta.post("/v1/handlers", Map.of("eventType", "claim.granted", "address", address),
                Map.of(KEY, "bus-1"));
        assertThat(a.status()).as(a.toString()).isEqualTo(201);
        String c = grant(ta, node);
        await().atMost(Duration.ofSeconds(15)).until(() -> got.size() == 1);
        assertThat(got.get(0).getJsonObject("event").getString("subject")).isEqualTo(c);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(ta.get("/v1/handlers/" + a.text("id")).body().get("session").get("n").asInt()).isEqualTo(1));
    }

    @Test
    void badBindingsGetAProblemAndChangeNothing() {
        Http ta = world.tenant(World.name("ta"), 1, 0);
        bind(ta, "/" + World.name("x"), "ALL", 0, 1, 200);
        record Case(Object body, int status) {
        }
        List<Case> cases = List.of(
                new Case(Map.of("eventType", "claim.granted", "webhook", Map.of("url", base + "/y"), "ackPolicy", "ANY"), 409),
                new Case(Map.of("eventType", "claim.nope", "webhook", Map.of("url", base + "/y")), 400),
                new Case(Map.of("eventType", "claim.queued", "webhook", Map.of("url", "ftp://x/")), 400),
                new Case(Map.of("eventType", "claim.queued"), 400),
                new Case(Map.of("eventType", "claim.queued", "address", "a", "webhook", Map.of("url", base)), 400),
                new Case(Map.of("eventType", "claim.queued", "address", "a", "ackPolicy", "SOME"), 400),
                new Case(Map.of("eventType", "claim.queued", "address", "a", "timeoutMs", 1), 400),
                new Case(Map.of("eventType", "claim.queued", "address", "a", "retry", Map.of("attempts", 99)), 400),
                new Case(Map.of("eventType", "claim.queued", "address", "a", "color", "red"), 400));
        for (Case c : cases) {
            Http.Answer a = ta.post("/v1/handlers", c.body());
            assertThat(a.status()).as(c + " -> " + a).isEqualTo(c.status());
            assertThat(a.isClientProblem()).as(a.toString()).isTrue();
        }
        assertThat(World.ids(ta.get("/v1/handlers"))).hasSize(1);
        assertThat(ta.patch("/v1/handlers/nope", Map.of("enabled", false)).status()).isEqualTo(404);
        String id = World.ids(ta.get("/v1/handlers")).get(0);
        assertThat(ta.patch("/v1/handlers/" + id, Map.of()).status()).isEqualTo(400);
        assertThat(ta.patch("/v1/handlers/" + id, Map.of("priority", 5000)).status()).isEqualTo(400);
        Http agent = world.node(World.name("n"), 1, 1);
        assertThat(agent.post("/v1/handlers", Map.of("eventType", "claim.queued", "address", "a")).status())
                .isEqualTo(403);
        assertThat(ta.delete("/v1/handlers/" + id).status()).isEqualTo(204);
        assertThat(World.ids(ta.get("/v1/handlers"))).isEmpty();
    }
}
