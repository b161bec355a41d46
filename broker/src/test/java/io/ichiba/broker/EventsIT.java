package io.ichiba.broker;

import com.fasterxml.jackson.databind.JsonNode;
import io.ichiba.api.Wire;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The event log over real HTTP on two brokers: each claim's life in order with stable ids, isolation (a tenant sees
 * its own events, node events are the operator's), type filters, resuming a page after a {@code seq}, and the
 * server-sent event stream resumed with {@code Last-Event-ID} after a disconnect, missing nothing and repeating
 * nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EventsIT {
    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    private TestBrokers cluster;
    private Http op;
    private Http op2;
    private World world;

    @BeforeAll
    void start() throws Exception {
        cluster = new TestBrokers();
        op = TestBrokers.operator(cluster.start());
        op2 = TestBrokers.operator(cluster.start());
        world = new World(op);
    }

    @AfterAll
    void stop() {
        cluster.close();
    }

    /** Every event the caller can see, reading pages from the start. */
    private static List<JsonNode> all(Http caller, String query) {
        List<JsonNode> out = new ArrayList<>();
        long after = -1;
        while (true) {
            Http.Answer page = caller.get("/v1/events?limit=1000&after=" + after + (query.isEmpty() ? "" : "&" + query));
            assertThat(page.status()).as(page.toString()).isEqualTo(200);
            page.body().get("items").forEach(out::add);
            long next = page.body().get("next").asLong();
            if (next == after) {
                return out;
            }
            after = next;
        }
    }

    private static List<String> typesOf(List<JsonNode> events, String subject) {
        return events.stream().filter(e -> e.get("subject").asText().equals(subject)).map(e -> e.get("type").asText())
                .toList();
    }

    @Test
    void aClaimsLifeInOrderForItsTenantOnly() {
        String node = World.name("n");
        world.node(node, 10_000, 10_000);
        String a = World.name("ta");
        Http ta = world.tenant(a, 50_000, 0);
        Http tb = world.tenant(World.name("tb"), 50_000, 0);
        String c1 = ta.post("/v1/claims", World.claim(1000, 0, List.of(), 1, 60, node)).text("id");
        Http.Answer waiting = ta.at(op2.base()).post("/v1/claims", World.claim(9500, 0, List.of(), 1, 60, node));
        assertThat(waiting.text("state")).as(waiting.toString()).isEqualTo("QUEUED");
        String c2 = waiting.text("id");
        ta.delete("/v1/claims/" + c2);
        ta.post("/v1/claims/" + c1 + "/release", null);

        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            List<JsonNode> seen = all(ta, "");
            assertThat(typesOf(seen, c1)).containsExactly("claim.queued", "claim.granted", "claim.released");
            assertThat(typesOf(seen, c2)).containsExactly("claim.queued", "claim.cancelled");
        });
        List<JsonNode> seen = all(ta.at(op2.base()), "");
        assertThat(seen).allSatisfy(e -> assertThat(e.get("tenant").asText()).isEqualTo(a));
        List<JsonNode> mine = seen.stream().filter(e -> e.get("subject").asText().equals(c1)).toList();
        assertThat(mine).extracting(e -> e.get("id").asText())
                .containsExactly("claim:" + c1 + ":0", "claim:" + c1 + ":1", "claim:" + c1 + ":2");
        assertThat(mine.get(1).get("payload").get("node").asText()).isEqualTo(node);
        assertThat(mine.get(1).get("payload").get("bundle").asText()).isEqualTo("memory=1000");
        assertThat(mine.get(0).get("seq").asLong()).isLessThan(mine.get(1).get("seq").asLong());

        assertThat(all(tb, "")).as("another tenant sees none of them").isEmpty();
        assertThat(typesOf(all(op, ""), c1)).as("the operator sees everything").hasSize(3);
        assertThat(typesOf(all(ta, "types=claim.granted,claim.cancelled"), c1)).containsExactly("claim.granted");
        assertThat(typesOf(all(ta, "types=claim.granted,claim.cancelled"), c2)).containsExactly("claim.cancelled");
        assertThat(op.as(null).get("/v1/events").status()).isEqualTo(401);
        assertThat(ta.get("/v1/events?limit=0").status()).isEqualTo(400);
        assertThat(ta.get("/v1/events?after=x").status()).isEqualTo(400);
    }

    @Test
    void nodeEventsAreTheOperators() throws Exception {
        String node = World.name("n");
        Http agent = world.node(node, 10_000, 10_000);
        Http ta = world.tenant(World.name("ta"), 50_000, 0);
        String claim = ta.post("/v1/claims", World.claim(6000, 0, List.of(), 1, 60, node)).text("id");
        // granted first (a busy machine may answer the claim QUEUED before the admission loop's pass)
        await().atMost(Duration.ofSeconds(10)).until(() -> "GRANTED".equals(ta.get("/v1/claims/" + claim).text("state")));
        World.report(agent, node, 5000, 5000); // below the 6000 granted
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                assertThat(typesOf(all(op, "types=pool.overcommitted"), node)).containsExactly("pool.overcommitted"));
        assertThat(all(ta, "types=pool.overcommitted")).isEmpty();
        assertThat(world.tenant(World.name("tc"), 1, 0).get("/v1/events?types=node.lost").body().get("items")).isEmpty();
    }

    @Test
    void capacityWithheldIsAnOperatorsEventWhenItAppearsMovesByAStepAndGoesBack() {
        String node = World.name("n");
        Http agent = world.node(node, 10_000, 10_000);
        Http ta = world.tenant(World.name("ta"), 50_000, 0);
        // appears, stays, moves by less than 5 % of capacity (not told), moves by 5 % (told), goes back to 0
        for (long free : new long[] {7000, 7000, 6800, 6500, 10_000}) {
            Http.Answer r = agent.put("/v1/nodes/" + node + "/report", Map.of("allocatable",
                    Map.of("memory", 10_000, "disk", 10_000), "free", Map.of("memory", free, "disk", 10_000)));
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
        }
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                assertThat(typesOf(all(op, "types=pool.withheld"), node)).hasSize(3));
        List<JsonNode> withheld = all(op2, "types=pool.withheld").stream()
                .filter(e -> e.get("subject").asText().equals(node)).toList();
        assertThat(withheld).extracting(e -> e.get("payload").get("withheld").asText()).containsExactly("3000", "3500", "0");
        assertThat(withheld).extracting(e -> e.get("payload").get("previous").asText()).containsExactly("0", "3000", "3500");
        assertThat(withheld).extracting(e -> e.get("payload").get("measuredFree").asText())
                .containsExactly("7000", "6500", "10000");
        assertThat(withheld).allSatisfy(e -> {
            assertThat(e.get("type").asText()).isEqualTo("pool.withheld");
            assertThat(e.hasNonNull("tenant")).as("no tenant: %s", e).isFalse();
            assertThat(e.get("id").asText()).startsWith("node:" + node + ":");
            JsonNode p = e.get("payload");
            assertThat(p.get("pool").asText()).isEqualTo("memory@" + node);
            assertThat(p.get("kind").asText()).isEqualTo("memory");
            assertThat(p.get("node").asText()).isEqualTo(node);
            assertThat(p.get("capacity").asText()).isEqualTo("10000");
            assertThat(p.get("granted").asText()).isEqualTo("0");
        });
        assertThat(all(ta, "types=pool.withheld")).as("a tenant sees no pool's events").isEmpty();
    }

    private static Map<String, Object> job(long memory, String node) {
        return World.job(memory, node, 60, List.of("sh", "-c", "exit 0"));
    }

    /** The job events of {@code job}, in log order. */
    private static List<JsonNode> jobEvents(List<JsonNode> events, String job) {
        return events.stream().filter(e -> e.get("id").asText().startsWith("job:" + job + ":")).toList();
    }

    @Test
    void jobEventsFollowTheRunnerForTheJobsTenantOnly() {
        String node = World.name("n");
        Http agent = world.node(node, 10_000, 10_000);
        String a = World.name("ta");
        Http ta = world.tenant(a, 50_000, 0);
        Http tb = world.tenant(World.name("tb"), 50_000, 0);
        String ok = ta.post("/v1/jobs", job(1000, node)).text("id");
        String failing = ta.at(op2.base()).post("/v1/jobs", job(1000, node)).text("id");
        String cancelled = ta.post("/v1/jobs", job(1000, node)).text("id");
        // the test is the node's runner, which starts a job once it is handed over (STARTING): a busy machine may
        // answer POST /v1/jobs before the admission loop's grant
        for (String job : List.of(ok, failing)) {
            await().atMost(Duration.ofSeconds(15)).until(() -> "STARTING".equals(ta.get("/v1/jobs/" + job).text("state")));
        }
        assertThat(agent.post("/v1/jobs/" + ok + "/start", null).text("state")).isEqualTo("RUNNING");
        assertThat(agent.post("/v1/jobs/" + failing + "/start", null).text("state")).isEqualTo("RUNNING");
        assertThat(agent.post("/v1/jobs/" + ok + "/finish", Map.of("exitCode", 0)).text("state")).isEqualTo("SUCCEEDED");
        assertThat(agent.at(op2.base()).post("/v1/jobs/" + failing + "/finish", Map.of("exitCode", 3)).text("state"))
                .isEqualTo("FAILED");
        assertThat(ta.delete("/v1/jobs/" + cancelled).text("state")).isEqualTo("CANCELLED");

        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            List<JsonNode> seen = all(ta, "types=job.started,job.finished,job.failed,job.cancelled");
            assertThat(jobEvents(seen, ok)).extracting(e -> e.get("type").asText())
                    .containsExactly("job.started", "job.finished");
            assertThat(jobEvents(seen, failing)).extracting(e -> e.get("type").asText())
                    .containsExactly("job.started", "job.failed");
            assertThat(jobEvents(seen, cancelled)).extracting(e -> e.get("type").asText())
                    .containsExactly("job.cancelled");
        });
        List<JsonNode> seen = all(ta.at(op2.base()), "");
        List<JsonNode> okEvents = jobEvents(seen, ok);
        assertThat(okEvents).extracting(e -> e.get("id").asText()).containsExactly("job:" + ok + ":0", "job:" + ok + ":1");
        assertThat(okEvents).allSatisfy(e -> {
            assertThat(e.get("tenant").asText()).isEqualTo(a);
            assertThat(e.get("subject").asText()).isEqualTo(ok);
            assertThat(e.get("payload").get("node").asText()).isEqualTo(node);
        });
        assertThat(okEvents.get(1).get("payload").get("state").asText()).isEqualTo("SUCCEEDED");
        JsonNode failed = jobEvents(seen, failing).get(1);
        assertThat(failed.get("payload").get("reason").asText()).isEqualTo("EXIT_3");
        assertThat(failed.get("payload").get("exitCode").asText()).isEqualTo("3");
        assertThat(all(tb, "types=job.started,job.finished,job.failed,job.cancelled"))
                .as("another tenant sees none of them").isEmpty();
        assertThat(jobEvents(all(op, "types=job.finished"), ok)).as("the operator sees them").hasSize(1);
    }

    @Test
    void aTradeIsSeenByBothSidesEachOnlyItsOwnEvent() {
        String a = World.name("lender");
        String b = World.name("borrower");
        Http lender = world.tenant(a, 50_000, 0);
        Http borrower = world.tenant(b, 1_000, 0);
        Http other = world.tenant(World.name("tc"), 1_000, 0);
        world.mint(b, 1_000_000, null);
        Http.Answer offer = lender.post("/v1/market/offers", World.offer("memory", 8192, 7200, 3));
        assertThat(offer.status()).as(offer.toString()).isEqualTo(201);
        Http.Answer bid = borrower.at(op2.base()).post("/v1/market/bids", World.bid("memory", 4096, 3600, 5));
        assertThat(bid.text("state")).as(bid.toString()).isEqualTo("FILLED");
        String loan = World.ids(borrower.get("/v1/loans")).get(0);

        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            assertThat(all(lender, "types=trade.executed")).hasSize(1);
            assertThat(all(borrower, "types=trade.executed")).hasSize(1);
        });
        JsonNode lent = all(lender.at(op2.base()), "types=trade.executed").get(0);
        JsonNode borrowed = all(borrower, "types=trade.executed").get(0);
        assertThat(lent.get("tenant").asText()).isEqualTo(a);
        assertThat(borrowed.get("tenant").asText()).isEqualTo(b);
        assertThat(lent.get("id").asText()).isNotEqualTo(borrowed.get("id").asText()).startsWith("loan:" + loan + ":");
        assertThat(lent.get("subject").asText()).isEqualTo(loan);
        assertThat(lent.get("payload").get("role").asText()).isEqualTo("lender");
        assertThat(lent.get("payload").get("counterparty").asText()).as("as GET /v1/loans shows it").isEqualTo(b);
        assertThat(borrowed.get("payload").get("role").asText()).isEqualTo("borrower");
        assertThat(borrowed.get("payload").get("counterparty").asText()).isEqualTo(a);
        for (JsonNode e : List.of(lent, borrowed)) {
            JsonNode p = e.get("payload");
            assertThat(p.get("loan").asText()).isEqualTo(loan);
            assertThat(p.get("kind").asText()).isEqualTo("memory");
            assertThat(p.get("amount").asText()).isEqualTo("4096");
            assertThat(p.get("price").asText()).isEqualTo("3");
            assertThat(p.get("cost").asText()).isEqualTo("12288");
        }
        assertThat(all(other, "types=trade.executed")).as("a third tenant sees neither").isEmpty();
        assertThat(all(op, "types=trade.executed").stream().filter(e -> e.get("subject").asText().equals(loan)))
                .as("the operator sees both").hasSize(2);
    }

    /** Reads a server-sent event stream into {@code events} until stopped; returns the connection's body. */
    private static InputStream open(Http caller, String lastEventId, List<JsonNode> events, AtomicReference<String> err)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(caller.base() + "/v1/events"))
                .header("Accept", "text/event-stream").header("Authorization", "Bearer " + caller.token());
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<InputStream> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/event-stream");
        InputStream in = r.body();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                String id = null;
                while ((line = lines.readLine()) != null) {
                    if (line.startsWith("id: ")) {
                        id = line.substring(4);
                    } else if (line.startsWith("data: ")) {
                        JsonNode e = Wire.JSON.readTree(line.substring(6));
                        if (!String.valueOf(e.get("seq").asLong()).equals(id)) {
                            err.set("id line " + id + " is not the seq of " + e);
                        }
                        events.add(e);
                    }
                }
            } catch (Exception closed) {
                // the test closed the stream
            }
        }, "sse-reader");
        reader.setDaemon(true);
        reader.start();
        return in;
    }

    @Test
    void theStreamResumedAfterADisconnectMissesNothingAndRepeatsNothing() throws Exception {
        String node = World.name("n");
        world.node(node, 100_000, 100_000);
        Http ta = world.tenant(World.name("ta"), 500_000, 0);
        List<JsonNode> first = new CopyOnWriteArrayList<>();
        AtomicReference<String> err = new AtomicReference<>();
        InputStream stream = open(ta, null, first, err);
        List<String> claims = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            claims.add(ta.post("/v1/claims", World.claim(100, 0, List.of(), 1, 60, node)).text("id"));
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> first.size() >= 10); // queued + granted each
        stream.close();
        long last = first.get(first.size() - 1).get("seq").asLong();
        // while disconnected, more happens
        for (String c : claims) {
            ta.at(op2.base()).post("/v1/claims/" + c + "/release", null);
        }
        List<JsonNode> second = new CopyOnWriteArrayList<>();
        InputStream resumed = open(ta.at(op2.base()), String.valueOf(last), second, err);
        try {
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                List<JsonNode> both = new ArrayList<>(first);
                both.addAll(second);
                for (String c : claims) {
                    assertThat(typesOf(both, c)).containsExactly("claim.queued", "claim.granted", "claim.released");
                }
            });
        } finally {
            resumed.close();
        }
        assertThat(err.get()).isNull();
        assertThat(second).allSatisfy(e -> assertThat(e.get("seq").asLong()).isGreaterThan(last));
        Set<String> ids = new HashSet<>();
        for (JsonNode e : first) {
            ids.add(e.get("id").asText());
        }
        for (JsonNode e : second) {
            assertThat(ids.add(e.get("id").asText())).as("repeated: " + e).isTrue();
        }
    }
}
