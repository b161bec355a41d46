package io.ichiba.broker;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A request to a member that does not run the engine, over real HTTP on two brokers: its operation is sent to the
 * engine's member over the event bus and answered from there, the same answer as the engine's member gives — a claim
 * that fits is {@code GRANTED} by its {@code POST}, a release is one forward, a claim the caller may not see is a 404,
 * a bad claim the same problem — and each forward is counted in {@code /metrics}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ForwardingIT {
    private TestBrokers cluster;
    private Http engine;
    private Http other;
    private World world;

    @BeforeAll
    void start() throws Exception {
        cluster = new TestBrokers();
        Http a = TestBrokers.operator(cluster.start());
        Http b = TestBrokers.operator(cluster.start());
        engine = a.get("/ready").body().get("engine").asBoolean() ? a : b;
        other = engine == a ? b : a;
        assertThat(other.get("/ready").body().get("engine").asBoolean()).isFalse();
        world = new World(engine);
        world.node(World.name("n"), 65_536, 65_536);
    }

    @AfterAll
    void stop() {
        cluster.close();
    }

    @Test
    void aClaimSentToAnotherMemberIsGrantedByItsPostAndReleasedThereEachInOneForward() {
        Http tenant = world.tenant(World.name("fwd"), 1000, 1000).at(other.base());
        double before = other.metric("ichiba_engine_forwarded_total", "outcome", "answered");

        Http.Answer claim = tenant.post("/v1/claims", World.claim(100, 0, List.of(), 1, 600, null));
        assertThat(claim.status()).as(claim.toString()).isEqualTo(201);
        assertThat(claim.text("state")).as("granted by its own POST, on a member without the engine")
                .isEqualTo("GRANTED");
        String id = claim.text("id");

        Http stranger = world.tenant(World.name("stranger"), 1000, 1000).at(other.base());
        assertThat(stranger.post("/v1/claims/" + id + "/release", null).status())
                .as("a claim the caller may not see").isEqualTo(404);
        Http.Answer released = tenant.post("/v1/claims/" + id + "/release", null);
        assertThat(released.status()).as(released.toString()).isEqualTo(200);
        assertThat(released.text("state")).isEqualTo("RELEASED");

        assertThat(other.metric("ichiba_engine_forwarded_total", "outcome", "answered"))
                .as("the claim, the stranger's release and the release: three forwards answered")
                .isGreaterThanOrEqualTo(before + 3);
        world.assertAuditClean();
    }

    @Test
    void aClaimRefusedByTheEngineIsTheSameProblemOnEitherMember() {
        Http tenant = world.tenant(World.name("bad"), 1000, 1000);
        Http.Answer here = tenant.post("/v1/claims", World.claim(100, 0, List.of("no-such-lock"), 1, 600, null));
        Http.Answer there = tenant.at(other.base())
                .post("/v1/claims", World.claim(100, 0, List.of("no-such-lock"), 1, 600, null));
        assertThat(there.status()).as(there.toString()).isEqualTo(here.status());
        assertThat(there.text("code")).isEqualTo(here.text("code"));
        assertThat(there.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    }

    @Test
    void aLongPollOnAnotherMemberWakesWhenTheEnginesMemberGrantsTheClaim() throws Exception {
        String lock = World.name("lock");
        world.lock(lock, 1);
        Http holder = world.tenant(World.name("holder"), 1000, 1000);
        String held = holder.post("/v1/claims", World.claim(0, 0, List.of(lock), 1, 600, null)).text("id");
        Http waiter = world.tenant(World.name("waiter"), 1000, 1000).at(other.base());
        Http.Answer queued = waiter.post("/v1/claims", World.claim(0, 0, List.of(lock), 1, 600, null));
        assertThat(queued.text("state")).isEqualTo("QUEUED");

        // what the other member hears on the change feed
        Broker there = cluster.brokers().stream().filter(b -> other.base().endsWith(":" + b.httpPort())).findFirst()
                .orElseThrow();
        java.util.Set<String> heard = java.util.concurrent.ConcurrentHashMap.newKeySet();
        there.vertx().eventBus().<List<String>>consumer(
                io.ichiba.broker.admission.ChangeFeed.ADDRESS, m -> heard.addAll(m.body()))
                .completion().toCompletionStage().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);

        java.util.concurrent.CompletableFuture<Http.Answer> poll = java.util.concurrent.CompletableFuture
                .supplyAsync(() -> waiter.get("/v1/claims/" + queued.text("id") + "?waitSeconds=60"));
        long t0 = System.nanoTime();
        assertThat(holder.post("/v1/claims/" + held + "/release", null).text("state")).isEqualTo("RELEASED");
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                .until(() -> heard.contains(queued.text("id")));
        Http.Answer woken = poll.get(90, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(woken.text("state")).isEqualTo("GRANTED");
        assertThat(java.time.Duration.ofNanos(System.nanoTime() - t0))
                .as("woken by the change feed, not answered at its 60 s deadline")
                .isLessThan(java.time.Duration.ofSeconds(30));
    }
}
