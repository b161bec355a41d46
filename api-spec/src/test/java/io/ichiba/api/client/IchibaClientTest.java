package io.ichiba.api.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.ichiba.api.Model;
import io.ichiba.api.Wire;
import io.ichiba.api.client.StubBroker.Answer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class IchibaClientTest {
    private static final String POOLS = """
            {"items":[{"id":"disk@node-1","kind":"disk","node":"node-1","capacity":500000,"granted":0,"free":500000,
                       "overcommitted":false,"measuredFree":420000,"holders":0},
                      {"id":"memory@node-1","kind":"memory","node":"node-1","capacity":16384,"granted":4096,
                       "free":12288,"overcommitted":false,"measuredFree":12000,"holders":1}]}""";
    private static final String CLAIM = """
            {"id":"c-42","tenant":"team-a","state":"GRANTED","node":"node-1",
             "bundle":{"memory":4096,"disk":1024,"locks":["db-orders"]},"priority":5,"leaseSeconds":60,
             "createdAt":"2025-01-02T03:04:05Z","grantedAt":"2025-01-02T03:04:05.5Z",
             "leaseExpiresAt":"2025-01-02T03:05:05.5Z","someFutureField":true}""";
    private static final String NEVER_FITS = """
            {"type":"urn:ichiba:problem:never-fits","title":"Unprocessable Content","status":422,
             "detail":"memory 999999 is larger than every node","code":"NEVER_FITS"}""";

    private StubBroker broker;
    private IchibaClient client;

    @BeforeEach
    void start() throws IOException {
        broker = new StubBroker();
        client = IchibaClient.builder(broker.url()).token("ich_secret").build();
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    @Test
    void reportPutsTheNodeReportWithTheTokenAndReadsThePools() throws Exception {
        broker.answer(Answer.json(200, POOLS));

        List<Model.Pool> pools = client.report("node-1", Map.of("memory", 16384L, "disk", 500000L),
                Map.of("memory", 12000L, "disk", 420000L));

        StubBroker.Seen req = broker.next();
        assertThat(req.method()).isEqualTo("PUT");
        assertThat(req.path()).isEqualTo("/v1/nodes/node-1/report");
        assertThat(req.query()).isNull();
        assertThat(req.header("Authorization")).isEqualTo("Bearer ich_secret");
        assertThat(req.header("Content-Type")).isEqualTo("application/json");
        assertThat(req.header("Idempotency-Key")).isNull();
        JsonNode body = Wire.JSON.readTree(req.body());
        assertThat(body).isEqualTo(Wire.JSON.readTree(
                "{\"allocatable\":{\"memory\":16384,\"disk\":500000},\"free\":{\"memory\":12000,\"disk\":420000}}"));
        assertThat(pools).extracting(Model.Pool::id).containsExactly("disk@node-1", "memory@node-1");
        assertThat(pools.get(1).measuredFree()).isEqualTo(12000L);
        assertThat(pools.get(1).granted()).isEqualTo(4096L);
    }

    @Test
    void poolsGetsEveryPool() throws Exception {
        broker.answer(Answer.json(200, POOLS));

        List<Model.Pool> pools = client.pools();

        StubBroker.Seen req = broker.next();
        assertThat(req.method()).isEqualTo("GET");
        assertThat(req.path()).isEqualTo("/v1/pools");
        assertThat(req.body()).isEmpty();
        assertThat(req.header("Content-Type")).isNull();
        assertThat(req.header("Authorization")).isEqualTo("Bearer ich_secret");
        assertThat(pools).hasSize(2);
        assertThat(pools.get(0).capacity()).isEqualTo(500000L);
    }

    @Test
    void submitClaimPostsTheBundleWithItsIdempotencyKey() throws Exception {
        broker.answer(Answer.json(201, CLAIM));
        Model.Bundle bundle = Model.Bundle.of(Map.of("memory", 4096L, "disk", 1024L), List.of("db-orders"));

        Model.Claim claim = client.submitClaim(new Model.ClaimCreate(bundle, 5, 60L, null), "job-42");

        StubBroker.Seen req = broker.next();
        assertThat(req.method()).isEqualTo("POST");
        assertThat(req.path()).isEqualTo("/v1/claims");
        assertThat(req.header("Idempotency-Key")).isEqualTo("job-42");
        assertThat(Wire.JSON.readTree(req.body())).isEqualTo(Wire.JSON.readTree(
                "{\"bundle\":{\"disk\":1024,\"memory\":4096,\"locks\":[\"db-orders\"]},\"priority\":5,"
                        + "\"leaseSeconds\":60}"));
        assertThat(claim.id()).isEqualTo("c-42");
        assertThat(claim.state()).isEqualTo(Model.ClaimState.GRANTED);
        assertThat(claim.bundle()).isEqualTo(bundle);
        assertThat(claim.leaseExpiresAt()).isEqualTo(Instant.parse("2025-01-02T03:05:05.5Z"));
    }

    @Test
    void submitClaimWithoutKeySendsNoKeyHeader() throws Exception {
        broker.answer(Answer.json(201, CLAIM));

        client.submitClaim(new Model.ClaimCreate(Model.Bundle.of(Map.of("memory", 1L), null), null, null, null), null);

        StubBroker.Seen req = broker.next();
        assertThat(req.header("Idempotency-Key")).isNull();
        assertThat(Wire.JSON.readTree(req.body())).isEqualTo(Wire.JSON.readTree("{\"bundle\":{\"memory\":1}}"));
    }

    @Test
    void claimReadsOneClaimAndLongPollsWithWaitSeconds() throws Exception {
        broker.answer(Answer.json(200, CLAIM)).answer(Answer.json(200, CLAIM));

        client.claim("c-42");
        Model.Claim polled = client.claim("c-42", 30);

        StubBroker.Seen plain = broker.next();
        assertThat(plain.method()).isEqualTo("GET");
        assertThat(plain.path()).isEqualTo("/v1/claims/c-42");
        assertThat(plain.query()).isNull();
        StubBroker.Seen poll = broker.next();
        assertThat(poll.path()).isEqualTo("/v1/claims/c-42");
        assertThat(poll.query()).isEqualTo("waitSeconds=30");
        assertThat(polled.tenant()).isEqualTo("team-a");
        assertThatThrownBy(() -> client.claim("c-42", 61)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0 to 60");
    }

    @Test
    void renewReleaseAndCancelUseTheirPathsAndMethods() throws Exception {
        for (int i = 0; i < 4; i++) {
            broker.answer(Answer.json(200, CLAIM));
        }

        client.renew("c-42");
        client.renew("c-42", 120);
        client.release("c-42");
        client.cancel("c-42");

        StubBroker.Seen renew = broker.next();
        assertThat(renew.method() + " " + renew.path()).isEqualTo("POST /v1/claims/c-42/renew");
        assertThat(renew.body()).isEmpty();
        StubBroker.Seen renewFor = broker.next();
        assertThat(renewFor.method() + " " + renewFor.path()).isEqualTo("POST /v1/claims/c-42/renew");
        assertThat(Wire.JSON.readTree(renewFor.body())).isEqualTo(Wire.JSON.readTree("{\"leaseSeconds\":120}"));
        StubBroker.Seen release = broker.next();
        assertThat(release.method() + " " + release.path()).isEqualTo("POST /v1/claims/c-42/release");
        StubBroker.Seen cancel = broker.next();
        assertThat(cancel.method() + " " + cancel.path()).isEqualTo("DELETE /v1/claims/c-42");
        assertThat(cancel.header("Authorization")).isEqualTo("Bearer ich_secret");
    }

    @Test
    void aProblemAnswerBecomesAnIchibaExceptionWithStatusAndProblem() {
        broker.answer(Answer.problem(422, NEVER_FITS));

        IchibaException e = catchThrowableOfType(IchibaException.class, () -> client.submitClaim(
                new Model.ClaimCreate(Model.Bundle.of(Map.of("memory", 999999L), null), null, null, null), "k"));

        assertThat(e).isNotInstanceOf(IchibaIoException.class);
        assertThat(e.status()).isEqualTo(422);
        assertThat(e.code()).isEqualTo("NEVER_FITS");
        assertThat(e.problem().type()).isEqualTo("urn:ichiba:problem:never-fits");
        assertThat(e.problem().detail()).isEqualTo("memory 999999 is larger than every node");
        assertThat(e.retryable()).isFalse();
        assertThat(e).hasMessageContaining("POST").hasMessageContaining("/v1/claims").hasMessageContaining("422")
                .hasMessageContaining("NEVER_FITS").hasMessageContaining("larger than every node");
    }

    @Test
    void forbiddenAndNotFoundAreNotRetryable() {
        broker.answer(Answer.problem(403, "{\"type\":\"urn:ichiba:problem:forbidden\",\"title\":\"Forbidden\","
                + "\"status\":403,\"detail\":\"only the agent of node node-2 reports for it\",\"code\":\"FORBIDDEN\"}"));
        broker.answer(Answer.problem(404, "{\"type\":\"urn:ichiba:problem:not-found\",\"title\":\"Not Found\","
                + "\"status\":404,\"code\":\"NOT_FOUND\"}"));

        IchibaException forbidden = catchThrowableOfType(IchibaException.class,
                () -> client.report("node-2", Map.of("memory", 1L), Map.of()));
        IchibaException missing = catchThrowableOfType(IchibaException.class, () -> client.release("nope"));

        assertThat(forbidden.status()).isEqualTo(403);
        assertThat(forbidden.retryable()).isFalse();
        assertThat(forbidden).hasMessageContaining("only the agent of node node-2");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.code()).isEqualTo("NOT_FOUND");
        assertThat(missing).hasMessageContaining("Not Found");
    }

    @Test
    void serverErrorsAndAnIdempotencyRaceAreRetryable() {
        broker.answer(Answer.problem(500, "{\"type\":\"urn:ichiba:problem:internal\",\"title\":\"Internal Server "
                + "Error\",\"status\":500,\"code\":\"INTERNAL\"}"));
        broker.answer(Answer.problem(409, "{\"type\":\"urn:ichiba:problem:idempotency-in-progress\","
                + "\"title\":\"Conflict\",\"status\":409,\"code\":\"IDEMPOTENCY_IN_PROGRESS\"}"));
        broker.answer(Answer.problem(409, "{\"type\":\"urn:ichiba:problem:wrong-state\",\"title\":\"Conflict\","
                + "\"status\":409,\"code\":\"WRONG_STATE\"}"));

        assertThat(catchThrowableOfType(IchibaException.class, () -> client.pools()).retryable()).isTrue();
        assertThat(catchThrowableOfType(IchibaException.class, () -> client.renew("c")).retryable()).isTrue();
        assertThat(catchThrowableOfType(IchibaException.class, () -> client.renew("c")).retryable()).isFalse();
    }

    @Test
    void anErrorBodyThatIsNotAProblemKeepsTheStatusAndASnippet() {
        broker.answer(new Answer(502, "text/html", "<html><body>Bad gateway</body></html>", null));
        broker.answer(Answer.json(503, "{\"unrelated\":1}"));
        broker.answer(new Answer(503, "text/plain", "", null));

        IchibaException html = catchThrowableOfType(IchibaException.class, () -> client.pools());
        IchibaException json = catchThrowableOfType(IchibaException.class, () -> client.pools());
        IchibaException empty = catchThrowableOfType(IchibaException.class, () -> client.pools());

        assertThat(html.status()).isEqualTo(502);
        assertThat(html.problem()).isNull();
        assertThat(html.retryable()).isTrue();
        assertThat(html).hasMessageContaining("Bad gateway");
        assertThat(json.problem()).isNull();
        assertThat(empty.status()).isEqualTo(503);
        assertThat(empty).hasMessageEndingWith(": 503");
    }

    @Test
    void aSuccessWithAnUnreadableBodyIsAnError() {
        broker.answer(Answer.json(200, "not json"));

        IchibaException e = catchThrowableOfType(IchibaException.class, () -> client.pools());

        assertThat(e).isNotInstanceOf(IchibaIoException.class);
        assertThat(e.status()).isEqualTo(200);
        assertThat(e.retryable()).isFalse();
        assertThat(e).hasMessageContaining("not json");
    }

    @Test
    void aRefusedConnectionIsAnIoFailureThatMayBeRetried() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        IchibaClient nowhere = IchibaClient.builder("http://127.0.0.1:" + closedPort).token("t")
                .connectTimeout(Duration.ofSeconds(2)).build();

        IchibaIoException e = catchThrowableOfType(IchibaIoException.class, () -> nowhere.pools());

        assertThat(e.status()).isZero();
        assertThat(e.problem()).isNull();
        assertThat(e.retryable()).isTrue();
        assertThat(e.interrupted()).isFalse();
        assertThat(e).hasMessageContaining("GET http://127.0.0.1:" + closedPort + "/v1/pools: no answer: ConnectException");
    }

    @Test
    void aSlowAnswerTimesOutAsAnIoFailure() {
        CountDownLatch hold = new CountDownLatch(1);
        broker.answer(new Answer(200, "application/json", POOLS, hold));
        IchibaClient impatient = IchibaClient.builder(broker.url()).requestTimeout(Duration.ofMillis(200)).build();
        try {
            IchibaIoException e = catchThrowableOfType(IchibaIoException.class, impatient::pools);

            assertThat(e.retryable()).isTrue();
            assertThat(e).hasMessageContaining("timed out");
        } finally {
            hold.countDown();
        }
    }

    @Test
    void anInterruptedCallKeepsTheInterruptFlagAndIsNotRetryable() {
        Thread.currentThread().interrupt();
        try {
            IchibaIoException e = catchThrowableOfType(IchibaIoException.class, () -> client.pools());

            assertThat(e.interrupted()).isTrue();
            assertThat(e.retryable()).isFalse();
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void aBaseUrlWithAPathPrefixKeepsItAndPathSegmentsAreEncoded() throws Exception {
        broker.answer(Answer.json(200, CLAIM));
        IchibaClient prefixed = IchibaClient.builder(broker.url() + "/ichiba/").build();

        prefixed.claim("a b/c");

        StubBroker.Seen req = broker.next();
        assertThat(req.path()).isEqualTo("/ichiba/v1/claims/a%20b%2Fc");
        assertThat(req.header("Authorization")).isNull();
        assertThat(prefixed.baseUrl().toString()).isEqualTo(broker.url() + "/ichiba");
    }

    @Test
    void badSettingsAreRefusedWhenTheClientIsBuilt() {
        assertThatThrownBy(() -> IchibaClient.builder("broker:8080")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("http://");
        assertThatThrownBy(() -> IchibaClient.builder("ftp://broker")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> IchibaClient.builder("http://broker:8080/?x=1"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> IchibaClient.builder("http://broker").token("two words"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> IchibaClient.builder("http://broker").requestTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client.report("", Map.of(), Map.of())).isInstanceOf(IllegalArgumentException.class);
    }
}
