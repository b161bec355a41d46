package io.ichiba.api.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.ichiba.api.Model;
import io.ichiba.api.Wire;
import io.ichiba.api.client.StubBroker.Answer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/** The fluent claim and its handle against a local fake broker: submit, await, renew, release, cancel. */
class ClaimHandleTest {
    private static final Model.Bundle BUNDLE = Model.Bundle.builder().memory(4096).disk(1024).lock("db-orders").build();

    private FakeClaimsBroker broker;
    private IchibaClient client;

    @BeforeEach
    void start() throws Exception {
        broker = new FakeClaimsBroker();
        client = IchibaClient.builder(broker.url()).token("ich_secret").build();
    }

    @AfterEach
    void stop() {
        client.close();
        broker.close();
    }

    @Test
    void theBuilderSendsEveryTermItWasGiven() throws Exception {
        try (StubBroker stub = new StubBroker()) {
            stub.answer(Answer.json(201, """
                    {"id":"c-1","tenant":"t","state":"QUEUED","reason":"CAPACITY","bundle":{"memory":1},"priority":7,
                     "leaseSeconds":2,"createdAt":"2025-01-02T03:04:05Z"}"""));
            IchibaClient c = IchibaClient.builder(stub.url()).build();

            ClaimHandle h = c.claim(BUNDLE).priority(7).lease(Duration.ofMillis(1500)).node("node-3")
                    .funding(new Model.Funding("BUY", 10L, null)).idempotencyKey("job-7").submit();

            StubBroker.Seen req = stub.next();
            assertThat(req.method()).isEqualTo("POST");
            assertThat(req.path()).isEqualTo("/v1/claims");
            assertThat(req.header("Idempotency-Key")).isEqualTo("job-7");
            JsonNode body = Wire.JSON.readTree(req.body());
            assertThat(body).isEqualTo(Wire.JSON.readTree("""
                    {"bundle":{"disk":1024,"memory":4096,"locks":["db-orders"]},"priority":7,"leaseSeconds":2,
                     "node":"node-3","funding":{"mode":"BUY","maxPrice":10}}"""));
            assertThat(h.id()).isEqualTo("c-1");
            assertThat(h.state()).isEqualTo(Model.ClaimState.QUEUED);
        }
    }

    @Test
    void theBuilderRefusesWhatTheBrokerWould() {
        ClaimRequest r = client.claim(BUNDLE);
        assertThatThrownBy(() -> r.priority(1001)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> r.lease(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> r.lease(Duration.ofSeconds(86_401))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> r.idempotencyKey("has space")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Model.Bundle.builder().memory(0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Model.Bundle.builder().memory(1).amount("gpu", 2).lock("a").build())
                .isEqualTo(Model.Bundle.of(Map.of("memory", 1L, "gpu", 2L), List.of("a")));
    }

    @Test
    void awaitGrantedReturnsAtOnceForAClaimGrantedOnSubmit() {
        ClaimHandle h = client.claim(BUNDLE).submit();

        Model.Claim c = h.awaitGranted(Duration.ofSeconds(5));

        assertThat(c.state()).isEqualTo(Model.ClaimState.GRANTED);
        assertThat(c.node()).isEqualTo("node-1");
        assertThat(broker.requests()).containsExactly("POST /v1/claims");
    }

    @Test
    void awaitGrantedLongPollsUntilTheGrant() throws Exception {
        broker.grantAtOnce = false;
        ClaimHandle h = client.claim(BUNDLE).lease(Duration.ofSeconds(30)).submit();
        assertThat(h.state()).isEqualTo(Model.ClaimState.QUEUED);

        CompletableFuture<Model.Claim> granted = CompletableFuture.supplyAsync(() -> h.awaitGranted(Duration.ofSeconds(30)));
        await().atMost(Duration.ofSeconds(5)).until(() -> broker.requests().size() >= 2);
        assertThat(granted).isNotDone();
        broker.grant(h.id());

        assertThat(granted.get(5, TimeUnit.SECONDS).state()).isEqualTo(Model.ClaimState.GRANTED);
        assertThat(h.state()).isEqualTo(Model.ClaimState.GRANTED);
        assertThat(broker.requests().get(1)).matches("GET /v1/claims/" + h.id() + "\\?waitSeconds=(29|30)");
    }

    @Test
    void awaitGrantedTimesOutWithTheClaimStillQueued() {
        broker.grantAtOnce = false;
        ClaimHandle h = client.claim(BUNDLE).submit();

        NotGrantedException e = catchThrowableOfType(() -> h.awaitGranted(Duration.ofMillis(1200)),
                NotGrantedException.class);

        assertThat(e.timedOut()).isTrue();
        assertThat(e.claim().state()).isEqualTo(Model.ClaimState.QUEUED);
        assertThat(e).hasMessageContaining("still QUEUED");
        assertThat(broker.claim(h.id()).state()).as("a timed-out wait leaves the claim queued")
                .isEqualTo(Model.ClaimState.QUEUED);
        assertThat(broker.requests()).contains("GET /v1/claims/" + h.id() + "?waitSeconds=1");
    }

    @Test
    void awaitGrantedOfZeroAsksNothing() {
        broker.grantAtOnce = false;
        ClaimHandle h = client.claim(BUNDLE).submit();

        assertThat(catchThrowableOfType(() -> h.awaitGranted(Duration.ZERO), NotGrantedException.class).timedOut())
                .isTrue();
        assertThat(broker.requests()).hasSize(1);
    }

    @Test
    void awaitGrantedEndsWhenTheClaimEndsFirst() throws Exception {
        broker.grantAtOnce = false;
        ClaimHandle h = client.claim(BUNDLE).submit();
        CompletableFuture<Model.Claim> waiting = CompletableFuture.supplyAsync(() -> h.awaitGranted(Duration.ofSeconds(30)));
        await().atMost(Duration.ofSeconds(5)).until(() -> broker.requests().size() >= 2);

        broker.end(h.id(), Model.ClaimState.CANCELLED, "CANCELLED");

        NotGrantedException e = catchThrowableOfType(() -> {
            try {
                waiting.get(5, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException x) {
                throw x.getCause();
            }
        }, NotGrantedException.class);
        assertThat(e.timedOut()).isFalse();
        assertThat(e.claim().state()).isEqualTo(Model.ClaimState.CANCELLED);
        assertThat(h.ended()).isTrue();
    }

    @Test
    void renewReleaseAndCancelCallTheBrokerAndKeepItsAnswer() {
        ClaimHandle h = client.claim(BUNDLE).lease(Duration.ofSeconds(10)).submit();
        var first = h.claim().leaseExpiresAt();

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(h.renew(Duration.ofSeconds(20)).leaseExpiresAt()).isAfter(first.plusSeconds(5)));
        h.renew();
        assertThat(broker.renewals(h.id())).isGreaterThanOrEqualTo(2);

        assertThat(h.release().state()).isEqualTo(Model.ClaimState.RELEASED);
        assertThat(h.release().state()).as("again is harmless").isEqualTo(Model.ClaimState.RELEASED);
        assertThat(h.state()).isEqualTo(Model.ClaimState.RELEASED);
        IchibaException e = catchThrowableOfType(h::renew, IchibaException.class);
        assertThat(e.status()).isEqualTo(409);
        assertThat(h.state()).isEqualTo(Model.ClaimState.RELEASED);

        broker.grantAtOnce = false;
        ClaimHandle queued = client.claim(BUNDLE).submit();
        assertThat(queued.cancel().state()).isEqualTo(Model.ClaimState.CANCELLED);
        assertThat(broker.claim(queued.id()).state()).isEqualTo(Model.ClaimState.CANCELLED);
        assertThat(queued.refresh().state()).isEqualTo(Model.ClaimState.CANCELLED);
    }

    @Test
    void aHandleOfAKnownClaimAsksNothingUntilUsed() {
        ClaimHandle h = client.claim(BUNDLE).submit();
        ClaimHandle again = client.handle(h.claim());
        assertThat(again.id()).isEqualTo(h.id());
        assertThat(again.release().state()).isEqualTo(Model.ClaimState.RELEASED);
    }
}
