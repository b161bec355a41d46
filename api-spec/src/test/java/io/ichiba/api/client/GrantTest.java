package io.ichiba.api.client;

import io.ichiba.api.Model;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/** {@code acquire}: the grant held open, renewed in the background, released on close, and its loss surfaced. */
class GrantTest {
    private static final Model.Bundle BUNDLE = Model.Bundle.builder().memory(512).build();

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
    void renewEveryIsAThirdOfTheLeaseWithAFloor() {
        assertThat(Grant.renewEvery(60)).isEqualTo(Duration.ofSeconds(20));
        assertThat(Grant.renewEvery(1)).isEqualTo(Duration.ofMillis(333).plusNanos(333_333));
        assertThat(Grant.renewEvery(0)).isGreaterThanOrEqualTo(Grant.MIN_RENEW_EVERY);
    }

    @Test
    void acquireRenewsInTheBackgroundAndCloseReleases() {
        Grant g;
        Instant first;
        try (Grant held = client.claim(BUNDLE).lease(Duration.ofSeconds(1)).acquire(Duration.ofSeconds(5))) {
            g = held;
            first = held.leaseExpiresAt();
            assertThat(held.node()).isEqualTo("node-1");
            assertThat(held.claim().state()).isEqualTo(Model.ClaimState.GRANTED);

            await().atMost(Duration.ofSeconds(5)).until(() -> broker.renewals(held.id()) >= 3);
            assertThat(held.leaseExpiresAt()).isAfter(first);
            assertThat(held.isLost()).isFalse();
            assertThat(broker.claim(held.id()).state()).isEqualTo(Model.ClaimState.GRANTED);
        }
        assertThat(broker.claim(g.id()).state()).isEqualTo(Model.ClaimState.RELEASED);
        assertThat(g.isClosed()).isTrue();
        int renewed = broker.renewals(g.id());
        long releases = broker.requests().stream().filter(r -> r.endsWith("/release")).count();

        g.close(); // idempotent
        assertThat(broker.requests().stream().filter(r -> r.endsWith("/release")).count()).isEqualTo(releases);
        // no renewal after close, for two renewal periods
        await().during(Duration.ofMillis(700)).atMost(Duration.ofSeconds(5))
                .until(() -> broker.renewals(g.id()) <= renewed + 1); // one may have been in flight
    }

    @Test
    void acquireWithTheDefaultsTakesABundle() {
        try (Grant g = client.acquire(BUNDLE, Duration.ofSeconds(5))) {
            assertThat(g.claim().leaseSeconds()).isEqualTo(60);
        }
    }

    @Test
    void acquireCancelsAClaimNotGrantedInTime() {
        broker.grantAtOnce = false;

        NotGrantedException e = catchThrowableOfType(() -> client.acquire(BUNDLE, Duration.ofMillis(1100)),
                NotGrantedException.class);

        assertThat(e.timedOut()).isTrue();
        assertThat(broker.claims()).singleElement()
                .satisfies(c -> assertThat(c.state()).isEqualTo(Model.ClaimState.CANCELLED));
    }

    @Test
    void aRenewalRefusedMeansTheGrantIsLost() {
        AtomicInteger called = new AtomicInteger();
        try (Grant g = client.claim(BUNDLE).lease(Duration.ofSeconds(1)).acquire(Duration.ofSeconds(5))) {
            g.onLost(x -> called.incrementAndGet());
            await().atMost(Duration.ofSeconds(5)).until(() -> broker.renewals(g.id()) >= 1);

            broker.end(g.id(), Model.ClaimState.PREEMPTED, "PREEMPTED");

            await().atMost(Duration.ofSeconds(5)).until(() -> called.get() == 1);
            assertThat(g.isLost()).isTrue();
            assertThat(g.claim().state()).as("the final claim, read after the refusal")
                    .isEqualTo(Model.ClaimState.PREEMPTED);
            assertThat(g.lastRenewalFailure().status()).isEqualTo(409);
            AtomicInteger late = new AtomicInteger();
            g.onLost(x -> late.incrementAndGet());
            assertThat(late).as("a callback registered after the loss runs at once").hasValue(1);
        }
        assertThat(broker.requests()).noneMatch(r -> r.endsWith("/release"));
    }

    @Test
    void aTransientRenewalFailureIsRetriedAtTheNextTurn() {
        try (Grant g = client.claim(BUNDLE).lease(Duration.ofSeconds(1)).acquire(Duration.ofSeconds(5))) {
            broker.renewFailures.set(2);
            await().atMost(Duration.ofSeconds(5)).until(() -> broker.renewals(g.id()) >= 2 && g.lastRenewalFailure() != null);
            assertThat(g.lastRenewalFailure().status()).isEqualTo(503);

            await().atMost(Duration.ofSeconds(5)).until(() -> broker.renewFailures.get() == 0
                    && g.lastRenewalFailure() == null);
            assertThat(g.isLost()).isFalse();
        }
    }

    @Test
    void closeOfAGrantWhoseClaimEndedMeanwhileIsQuiet() {
        Grant g = client.claim(BUNDLE).lease(Duration.ofSeconds(30)).acquire(Duration.ofSeconds(5));
        broker.end(g.id(), Model.ClaimState.EXPIRED, "EXPIRED");
        g.close();
        assertThat(broker.claim(g.id()).state()).isEqualTo(Model.ClaimState.EXPIRED);
    }

    @Test
    void aClosedClientStopsRenewalsAndRefusesNewGrants() throws Exception {
        Grant g = client.claim(BUNDLE).lease(Duration.ofSeconds(1)).acquire(Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(5)).until(() -> broker.renewals(g.id()) >= 1);

        client.close();

        int renewed = broker.renewals(g.id());
        await().during(Duration.ofMillis(700)).atMost(Duration.ofSeconds(5))
                .until(() -> broker.renewals(g.id()) <= renewed + 1); // one may have been in flight
        assertThatThrownBy(() -> client.acquire(BUNDLE, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalStateException.class);
        assertThat(broker.claims()).hasSize(1);
        assertThat(CompletableFuture.supplyAsync(() -> client.claim(g.id()).state()).get())
                .as("plain calls still work").isEqualTo(Model.ClaimState.GRANTED);
    }
}
