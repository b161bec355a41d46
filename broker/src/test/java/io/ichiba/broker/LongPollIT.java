package io.ichiba.broker;

import io.ichiba.api.Wire;
import io.vertx.core.VertxOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Long-polls ({@code GET /v1/claims/{id}?waitSeconds=N}) wait without holding a thread of the broker (issue 2):
 * many more polls than the broker has event-loop and worker threads wait at once, and the broker still answers
 * everything else meanwhile; a claim that is not queued is answered at once, whatever the wait asked.
 *
 * <p>Notes: the polls go over HTTP/1.1, one connection each, so that each is a request of its own on the
 * broker (over HTTP/2 they would share one connection and its stream limit). That they all wait on the broker at
 * the same moment is read from Vert.x's {@code vertx_http_server_active_requests}.
 */
class LongPollIT {
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    /** How long a request that must not wait may take: far below the 60 s the polls ask for. */
    private static final Duration PROMPT = Duration.ofSeconds(10);

    private static TestBrokers cluster;
    private static Broker broker;
    private static Http op;
    private static World world;

    @BeforeAll
    static void start() throws Exception {
        cluster = new TestBrokers();
        // no cap on one token's waiting polls (ICHIBA_HTTP_WAITS_PER_TOKEN, HttpLimitsIT): here they are all one
        // tenant's, and what is shown is that the broker holds no thread for them
        broker = cluster.start(c -> c.withSecurity(c.security().withLimits(0, 0, 0, 0)));
        op = TestBrokers.operator(broker);
        world = new World(op);
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    @Test
    void manyLongPollsWaitWithoutHoldingAThreadWhileOtherRequestsAreAnswered() throws Exception {
        // every thread that could serve a request: Vert.x's event loops and worker pool, and the ledger's workers
        int threads = VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE + VertxOptions.DEFAULT_WORKER_POOL_SIZE
                + broker.config().workerThreads();
        int polls = 3 * threads;
        String full = World.name("full");
        String spare = World.name("spare");
        world.node(full, 1000, 1000);
        world.node(spare, 1000, 1000);
        Http t = world.tenant(World.name("t"), 1_000_000, 1_000_000);
        Http.Answer blocker = t.post("/v1/claims", World.claim(1000, 0, List.of(), 1, 300, full));
        assertThat(blocker.text("state")).as(blocker.toString()).isEqualTo("GRANTED");
        List<String> queued = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            Http.Answer q = t.post("/v1/claims", World.claim(100, 0, List.of(), 1, 300, full));
            assertThat(q.text("state")).as(q.toString()).isEqualTo("QUEUED");
            queued.add(q.text("id"));
        }

        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < polls; i++) {
            answers.add(send(t, "GET", "/v1/claims/" + queued.get(i % queued.size()) + "?waitSeconds=60", null,
                    Duration.ofSeconds(90)));
        }
        await("all " + polls + " polls waiting on the broker at once").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200)).until(() -> activeRequests() >= polls);

        // while they all wait, the broker answers: the event loop (health) and the workers (a claim)
        assertThat(within(() -> new Http(op.base(), null).get("/health")).status()).isEqualTo(200);
        Http.Answer other = within(() -> t.post("/v1/claims", World.claim(500, 0, List.of(), 1, 60, spare)));
        assertThat(other.status()).as(other.toString()).isEqualTo(201);
        assertThat(other.text("state")).isEqualTo("GRANTED");
        assertThat(within(() -> t.get("/v1/claims/" + other.text("id"))).text("state")).isEqualTo("GRANTED");
        assertThat(within(() -> t.post("/v1/claims/" + other.text("id") + "/release", null)).text("state"))
                .isEqualTo("RELEASED");
        assertThat(answers).as("the polls are still waiting").noneMatch(CompletableFuture::isDone);

        // capacity returns: every poll is answered with its claim granted
        assertThat(t.post("/v1/claims/" + blocker.text("id") + "/release", null).text("state")).isEqualTo("RELEASED");
        CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        for (CompletableFuture<HttpResponse<String>> a : answers) {
            HttpResponse<String> r = a.join();
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(Wire.JSON.readTree(r.body()).get("state").asText()).as(r.body()).isEqualTo("GRANTED");
        }
        for (String id : queued) {
            t.post("/v1/claims/" + id + "/release", null);
        }
        world.assertAuditClean();
    }

    @Test
    void aClaimThatIsNotQueuedIsAnsweredAtOnceWhateverTheWait() throws Exception {
        String node = World.name("n");
        world.node(node, 1000, 1000);
        Http t = world.tenant(World.name("t"), 1_000_000, 1_000_000);
        Http.Answer granted = t.post("/v1/claims", World.claim(1000, 0, List.of(), 1, 60, node));
        Http.Answer queued = t.post("/v1/claims", World.claim(1000, 0, List.of(), 1, 60, node));
        assertThat(granted.text("state")).isEqualTo("GRANTED");
        assertThat(queued.text("state")).isEqualTo("QUEUED");
        assertThat(t.delete("/v1/claims/" + queued.text("id")).text("state")).isEqualTo("CANCELLED");

        // each answer must come within PROMPT (the request's timeout), not after the 60 s asked for
        assertThat(stateAfterWaiting(t, granted.text("id"))).isEqualTo("GRANTED");
        assertThat(stateAfterWaiting(t, queued.text("id"))).isEqualTo("CANCELLED");
        t.post("/v1/claims/" + granted.text("id") + "/release", null);
        assertThat(stateAfterWaiting(t, granted.text("id"))).isEqualTo("RELEASED");
        world.assertAuditClean();
    }

    private static String stateAfterWaiting(Http who, String id) throws Exception {
        HttpResponse<String> r = send(who, "GET", "/v1/claims/" + id + "?waitSeconds=60", null, PROMPT).get();
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Wire.JSON.readTree(r.body()).get("state").asText();
    }

    /** Sends a request over its own HTTP/1.1 exchange; it fails if no answer comes within {@code timeout}. */
    private static CompletableFuture<HttpResponse<String>> send(Http who, String method, String path, Object body,
                                                                 Duration timeout) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(who.base() + path)).timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(Wire.JSON.writeValueAsString(body)));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (who.token() != null) {
            b.header("Authorization", "Bearer " + who.token());
        }
        return CLIENT.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Runs a request of the test helper, failing if it is not answered within {@link #PROMPT}. */
    private static Http.Answer within(Supplier<Http.Answer> request) throws Exception {
        return CompletableFuture.supplyAsync(request).get(PROMPT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The requests the broker's HTTP server is serving now (the scrape that reads it included). */
    private static long activeRequests() {
        long n = 0;
        for (String line : new Http(op.base(), null).get("/metrics").raw().split("\n")) {
            if (line.startsWith("vertx_http_server_active_requests")) {
                n += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return n;
    }
}
