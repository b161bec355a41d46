package io.ichiba.broker;

import com.fasterxml.jackson.databind.JsonNode;
import io.ichiba.ledger.LedgerSettings;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.store.Store;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Laws 1, 2 and 3 under concurrency: 20 clients make 200 claims over HTTP, spread over two broker members,
 * against small pools with overlapping bundles (memory + disk + locks), while a sampler checks the pools.
 */
class ConcurrencyIT {
    private static final int CLIENTS = 20;
    private static final int CLAIMS_PER_CLIENT = 10;

    private static TestBrokers cluster;
    private static List<Broker> brokers;

    @BeforeAll
    static void start() throws Exception {
        // a short starvation bound, so that the anti-starvation rule also runs under this load
        cluster = new TestBrokers(new LedgerSettings(2_000, 5_000, 3_600_000, 86_400));
        cluster.start();
        cluster.start();
        brokers = cluster.brokers();
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    @Test
    void twoHundredClaimsFromTwentyClientsNeverOverGrantAndAllTokensReturn() throws Exception {
        Http op = TestBrokers.operator(brokers.get(0));
        World world = new World(op);
        List<String> nodes = List.of(World.name("n"), World.name("n"));
        for (String n : nodes) {
            world.node(n, 8192, 8192);
        }
        String db = World.name("db");
        String cache = World.name("cache");
        world.lock(db, 1);
        world.lock(cache, 2);
        List<Http> tenants = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Http t = world.tenant(World.name("t"), 10_000, 10_000);
            // spread the tenants' clients over both members
            tenants.add(t.at(TestBrokers.operator(brokers.get(i % 2)).base()));
        }

        AtomicBoolean running = new AtomicBoolean(true);
        List<String> violations = new CopyOnWriteArrayList<>();
        AtomicInteger samples = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS + 1);
        Future<?> sampler = pool.submit(() -> {
            while (running.get()) {
                for (JsonNode p : world.pools()) {
                    if (p.get("granted").asLong() > p.get("capacity").asLong()) {
                        violations.add("over-grant " + p);
                    }
                }
                samples.incrementAndGet();
            }
        });

        Map<String, String> finalStates = new ConcurrentHashMap<>();
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            Http tenant = tenants.get(c % tenants.size());
            Random random = new Random(c);
            clients.add(pool.submit(() -> {
                go.await();
                for (int i = 0; i < CLAIMS_PER_CLIENT; i++) {
                    String id = oneClaim(tenant, random, List.of(db, cache), violations);
                    finalStates.put(id, tenant.get("/v1/claims/" + id).text("state"));
                }
                return null;
            }));
        }
        go.countDown();
        for (Future<?> f : clients) {
            f.get(180, TimeUnit.SECONDS);
        }
        running.set(false);
        sampler.get(30, TimeUnit.SECONDS);
        pool.shutdown();

        assertThat(violations).isEmpty();
        assertThat(samples.get()).isGreaterThan(10);
        assertThat(finalStates).hasSize(CLIENTS * CLAIMS_PER_CLIENT);
        assertThat(finalStates.values()).allMatch(s -> s.equals("RELEASED") || s.equals("CANCELLED"));
        assertThat(finalStates.values()).filteredOn("RELEASED"::equals).hasSizeGreaterThan(CLIENTS * CLAIMS_PER_CLIENT / 2);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            for (JsonNode p : world.pools()) {
                if (nodes.contains(p.path("node").asText()) || p.get("id").asText().contains(db)
                        || p.get("id").asText().contains(cache)) {
                    assertThat(p.get("granted").asLong()).as(p.toString()).isZero();
                }
            }
        });
        for (Http t : tenants) {
            Http.Answer me = t.get("/v1/claims?state=QUEUED");
            assertThat(me.body().get("items")).isEmpty();
        }
        world.assertAuditClean();
    }

    /** Claims, waits for the grant (or cancels while queued), checks all-or-nothing, renews, releases. */
    private static String oneClaim(Http tenant, Random random, List<String> locks, List<String> violations) {
        List<String> want = new ArrayList<>();
        for (String l : locks) {
            if (random.nextInt(3) == 0) {
                want.add(l);
            }
        }
        Map<String, Object> body = World.claim(1024 + random.nextInt(3072), 512 + random.nextInt(3584), want,
                random.nextInt(5), 60, null);
        Http.Answer a = tenant.post("/v1/claims", body);
        assertThat(a.status()).as(a.toString()).isEqualTo(201);
        String id = a.text("id");
        String state = a.text("state");
        boolean cancelWhileQueued = random.nextInt(10) == 0;
        long deadline = System.currentTimeMillis() + 120_000;
        while (state.equals("QUEUED") && !cancelWhileQueued && System.currentTimeMillis() < deadline) {
            state = tenant.get("/v1/claims/" + id + "?waitSeconds=10").text("state");
        }
        if (state.equals("QUEUED")) {
            assertThat(cancelWhileQueued).as("claim " + id + " still queued after 120 s").isTrue();
            tenant.delete("/v1/claims/" + id);
            return id;
        }
        assertThat(state).isEqualTo("GRANTED");
        checkHoldsEverything(id, violations);
        Http.Answer renewed = tenant.post("/v1/claims/" + id + "/renew", null);
        assertThat(renewed.text("state")).isEqualTo("GRANTED");
        if (random.nextInt(10) == 0) {
            assertThat(tenant.delete("/v1/claims/" + id).text("state")).isEqualTo("CANCELLED");
        } else {
            assertThat(tenant.post("/v1/claims/" + id + "/release", null).text("state")).isEqualTo("RELEASED");
        }
        return id;
    }

    /** Law 2: a claim a client sees as GRANTED holds every token of its bundle, in the replicated state. */
    private static void checkHoldsEverything(String id, List<String> violations) {
        Store store = brokers.get(0).ledger().store();
        Claim c = store.claims().get(id);
        if (c == null || !c.bundle().amounts().equals(
                store.nodes().get(c.node()).holdings().holders().get(id).amounts())) {
            violations.add("granted claim " + id + " does not hold its node-local tokens");
            return;
        }
        if (store.tenants().get(c.tenant()).holdings().holders().get(id) == null) {
            violations.add("granted claim " + id + " does not hold its quota");
        }
        for (String lock : c.bundle().locks()) {
            if (!store.locks().get(lock).holdings().holds(id)) {
                violations.add("granted claim " + id + " does not hold lock " + lock);
            }
        }
    }
}
