package io.ichiba.broker;

import com.hazelcast.cluster.Member;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Laws 6 and 7 with a member killed: three members; claims granted through one member; the member that owns
 * both the node's pools and the admission loop is terminated (as by kill -9) while clients keep working; on
 * the survivors the grants, the queue and the leases are intact and the queue keeps moving.
 */
class ClusterIT {
    private TestBrokers cluster;

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void killingTheMemberThatOwnsTheDataAndTheLoopLosesNothing() throws Exception {
        List<Broker> brokers = startThree();
        // one backup survives one member's death only once every partition has its backup: wait for the
        // migrations that the third member's join started (a kill in the middle of one can lose its data)
        awaitSafe(brokers);
        Broker victim = loopOwner(brokers);
        List<Broker> survivors = new ArrayList<>(brokers);
        survivors.remove(victim);
        Broker entry = survivors.get(0);

        // a node whose pools live on the victim's member, like the admission loop
        String node = ownedBy(victim);
        String spare = World.name("spare");
        World world = new World(TestBrokers.operator(entry));
        world.node(node, 8192, 8192);
        world.node(spare, 8192, 8192);
        String lock = World.name("l");
        world.lock(lock, 1);
        String tenantId = World.name("t");
        Http tenant = world.tenant(tenantId, 65536, 65536);

        Http.Answer held = tenant.post("/v1/claims", World.claim(2048, 1024, List.of(lock), 5, 60, node));
        Http.Answer queued = tenant.post("/v1/claims", World.claim(2048, 1024, List.of(lock), 5, 60, node));
        assertThat(held.text("state")).isEqualTo("GRANTED");
        assertThat(queued.text("state")).isEqualTo("QUEUED");
        // claims whose keys the victim owns: only its reaper sweeps their leases until it dies
        List<String> lapsing = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Http.Answer a = claimOwnedBy(victim, tenant, tenantId, World.claim(1024, 0, List.of(), 5, 60, node));
            assertThat(a.text("state")).isEqualTo("GRANTED");
            lapsing.add(a.text("id"));
        }

        // clients keep claiming on the spare node through the survivors while the member dies
        AtomicBoolean running = new AtomicBoolean(true);
        List<String> violations = new CopyOnWriteArrayList<>();
        List<String> trail = new CopyOnWriteArrayList<>();
        AtomicInteger cycles = new AtomicInteger();
        ExecutorService load = Executors.newFixedThreadPool(4);
        List<Future<?>> workers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Http client = tenant.at(TestBrokers.operator(survivors.get(i % 2)).base());
            workers.add(load.submit(() -> churn(client, spare, running, cycles, violations, trail)));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> cycles.get() >= 8);

        awaitSafe(brokers);
        // their leases are cut short, to lapse some seconds after the victim is gone: the survivors' reaper must
        // take them over (15 s: a loaded CI machine once took 7 s from the renewals to the end of the crash)
        Instant deadline = Instant.MAX;
        for (String id : lapsing) {
            Http.Answer r = tenant.post("/v1/claims/" + id + "/renew", Map.of("leaseSeconds", 15));
            assertThat(r.text("state")).as(r.toString()).isEqualTo("GRANTED");
            assertThat(ownerOf(victim, id)).isEqualTo(victim.hazelcast().getCluster().getLocalMember());
            Instant expires = Instant.parse(r.text("leaseExpiresAt"));
            deadline = expires.isBefore(deadline) ? expires : deadline;
        }
        Instant crashing = Instant.now();
        victim.crash();
        assertThat(Instant.now()).as("the victim died before the leases it swept lapsed (crash began at %s)", crashing)
                .isBefore(deadline);

        for (Broker b : survivors) {
            await().atMost(Duration.ofSeconds(30)).until(() -> b.hazelcast().getCluster().getMembers().size() == 2);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> survivors.stream().filter(Broker::runsAdmission).count() == 1);
        int before = cycles.get();
        await().atMost(Duration.ofSeconds(30)).until(() -> cycles.get() >= before + 8);
        running.set(false);
        for (Future<?> w : workers) {
            w.get(60, TimeUnit.SECONDS);
        }
        load.shutdown();
        assertThat(violations).isEmpty();
        // the survivor that does not run the engine sent its clients' operations, whole, to the one that does
        Broker engineMember = loopOwner(survivors);
        assertThat(TestBrokers.operator(engineMember).metric("ichiba_engine_operations_served_total", "outcome", "run"))
                .isPositive();

        for (Broker b : survivors) {
            Http t = tenant.at(TestBrokers.operator(b).base());
            World w = new World(TestBrokers.operator(b));
            // the grant and the queue are intact on every survivor
            assertThat(t.get("/v1/claims/" + held.text("id")).text("state")).isEqualTo("GRANTED");
            assertThat(t.get("/v1/claims/" + queued.text("id")).text("state")).isEqualTo("QUEUED");
            assertThat(w.pool("lock:" + lock).get("granted").asLong()).isEqualTo(1);
        }
        // the leases granted before the crash, on claims the victim owned, end on the survivors
        await().atMost(Duration.ofSeconds(45)).untilAsserted(() -> {
            for (String id : lapsing) {
                assertThat(tenant.get("/v1/claims/" + id).text("state")).as(id).isEqualTo("EXPIRED");
            }
        });
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(world.pool("memory@" + node).get("granted").asLong()).isEqualTo(2048));

        // the queue keeps moving: a release on a survivor lets the queued claim in
        assertThat(tenant.post("/v1/claims/" + held.text("id") + "/release", null).text("state")).isEqualTo("RELEASED");
        Http other = tenant.at(TestBrokers.operator(survivors.get(1)).base());
        assertThat(other.get("/v1/claims/" + queued.text("id") + "?waitSeconds=20").text("state")).isEqualTo("GRANTED");
        assertThat(other.post("/v1/claims/" + queued.text("id") + "/release", null).text("state")).isEqualTo("RELEASED");

        for (JsonNode p : world.pools()) {
            assertThat(p.get("granted").asLong()).as(() -> p + "\n" + stillHeld(tenant, trail)).isZero();
        }
        world.assertAuditClean();
        new World(TestBrokers.operator(survivors.get(1))).assertAuditClean();
        assertThat(victim.hazelcast().getLifecycleService().isRunning()).isFalse();
    }

    /**
     * A reservation booked on a node whose pools, like the admission loop, live on the member that is then killed:
     * its window still opens on the survivors (its copies granted), never over-promising the pool, and closes.
     */
    @Test
    void aReservationOpensAndClosesAfterTheMemberThatOwnedItDied() throws Exception {
        List<Broker> brokers = startThree();
        Broker victim = loopOwner(brokers);
        List<Broker> survivors = new ArrayList<>(brokers);
        survivors.remove(victim);
        String node = ownedBy(victim);
        World world = new World(TestBrokers.operator(survivors.get(0)));
        world.node(node, 8192, 8192);
        Http tenant = world.tenant(World.name("t"), 65536, 65536);
        java.time.Instant start = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS)
                .plusSeconds(15);
        java.time.Instant end = start.plusSeconds(6);
        Http.Answer booked = tenant.post("/v1/reservations", java.util.Map.of("bundle", java.util.Map.of("memory", 3000),
                "count", 2, "start", start.toString(), "end", end.toString(), "node", node, "leaseSeconds", 6));
        assertThat(booked.status()).as(booked.toString()).isEqualTo(201);
        String id = booked.text("id");
        Http.Answer full = tenant.post("/v1/reservations", java.util.Map.of("bundle", java.util.Map.of("memory", 3000),
                "start", start.toString(), "end", end.toString(), "node", node));
        assertThat(full.status()).as("the node has room for two copies only").isEqualTo(409);

        awaitSafe(brokers);
        victim.crash();
        for (Broker b : survivors) {
            await().atMost(Duration.ofSeconds(30)).until(() -> b.hazelcast().getCluster().getMembers().size() == 2);
        }
        Http other = tenant.at(TestBrokers.operator(survivors.get(1)).base());
        await().atMost(Duration.ofSeconds(40)).untilAsserted(() ->
                assertThat(other.get("/v1/reservations/" + id).text("state")).isEqualTo("ACTIVE"));
        JsonNode active = other.get("/v1/reservations/" + id).body();
        assertThat(active.get("claims")).hasSize(2);
        for (JsonNode c : active.get("claims")) {
            JsonNode claim = other.get("/v1/claims/" + c.asText()).body();
            assertThat(claim.get("state").asText()).isIn("GRANTED", "EXPIRED");
            assertThat(java.time.Instant.parse(claim.get("grantedAt").asText())).isAfterOrEqualTo(start);
        }
        assertThat(world.pool("memory@" + node).get("granted").asLong()).isLessThanOrEqualTo(8192);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(other.get("/v1/reservations/" + id).text("state")).isEqualTo("ENDED"));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(world.pool("memory@" + node).get("granted").asLong()).isZero());
        world.assertAuditClean();
    }

    /**
     * Events survive a member's death: claims whose records live on the member that is killed at once after their
     * last change still have every event of their lives in the log on the survivors, in order once duplicates are
     * dropped by id (at least once, law 7); and the log itself (a ring buffer with a backup) loses nothing.
     */
    @Test
    void everyEventIsLoggedAtLeastOnceWhenTheMemberOwningItsClaimDies() throws Exception {
        List<Broker> brokers = startThree();
        awaitSafe(brokers);
        Broker owner = loopOwner(brokers);
        Broker victim = brokers.stream().filter(b -> b != owner).findFirst().orElseThrow();
        List<Broker> survivors = new ArrayList<>(brokers);
        survivors.remove(victim);
        World world = new World(TestBrokers.operator(survivors.get(0)));
        String node = World.name("n");
        world.node(node, 1_000_000, 1_000_000);
        String tenantId = World.name("t");
        Http tenant = world.tenant(tenantId, 1_000_000, 1_000_000);
        List<String> claims = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            claims.add(claimOwnedBy(victim, tenant, tenantId, World.claim(100, 0, List.of(), 1, 60, node)).text("id"));
        }
        for (String id : claims) {
            tenant.post("/v1/claims/" + id + "/release", null);
        }
        victim.crash();
        Http other = tenant.at(TestBrokers.operator(survivors.get(1)).base());
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            java.util.Map<String, List<String>> lives = new java.util.HashMap<>();
            java.util.Set<String> seen = new java.util.HashSet<>();
            long after = -1;
            while (true) {
                Http.Answer page = other.get("/v1/events?limit=1000&after=" + after);
                assertThat(page.status()).isEqualTo(200);
                for (JsonNode e : page.body().get("items")) {
                    if (seen.add(e.get("id").asText())) {
                        lives.computeIfAbsent(e.get("subject").asText(), k -> new ArrayList<>()).add(e.get("type").asText());
                    }
                }
                long next = page.body().get("next").asLong();
                if (next == after) {
                    break;
                }
                after = next;
            }
            for (String id : claims) {
                assertThat(lives.get(id)).as(id).containsExactly("claim.queued", "claim.granted", "claim.released");
            }
        });
    }

    /**
     * Handler deliveries survive the dispatcher's death: a webhook that does not answer while the member running
     * the dispatcher (with the admission loop) is killed receives again, from the member that takes the loop over,
     * every event it had not answered: at least once, the duplicates carrying the same event id.
     */
    @Test
    void handlerDeliveriesPendingWhenTheDispatcherDiesAreDeliveredByTheNextOne() throws Exception {
        java.util.concurrent.CountDownLatch hold = new java.util.concurrent.CountDownLatch(1);
        java.util.Set<String> received = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.Set<String> redelivered = java.util.concurrent.ConcurrentHashMap.newKeySet();
        AtomicBoolean crashed = new AtomicBoolean();
        com.sun.net.httpserver.HttpServer hook = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        hook.setExecutor(Executors.newCachedThreadPool());
        hook.createContext("/", ex -> {
            JsonNode body = io.ichiba.api.Wire.JSON.readTree(ex.getRequestBody().readAllBytes());
            received.add(body.get("event").get("id").asText());
            if (crashed.get()) {
                redelivered.add(body.get("event").get("id").asText());
            }
            try {
                hold.await(60, TimeUnit.SECONDS); // the handler is stuck until the test lets it answer
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        hook.start();
        try {
            List<Broker> brokers = startThree();
            awaitSafe(brokers);
            Broker victim = loopOwner(brokers);
            List<Broker> survivors = new ArrayList<>(brokers);
            survivors.remove(victim);
            World world = new World(TestBrokers.operator(survivors.get(0)));
            String node = World.name("n");
            world.node(node, 1_000_000, 1_000_000);
            Http tenant = world.tenant(World.name("t"), 1_000_000, 1_000_000);
            Http.Answer bound = tenant.post("/v1/handlers", java.util.Map.of("eventType", "claim.granted",
                    "webhook", java.util.Map.of("url", "http://127.0.0.1:" + hook.getAddress().getPort() + "/h"),
                    "ackPolicy", "BEFORE", "timeoutMs", 60_000, "retry", java.util.Map.of("attempts", 20,
                            "backoffMs", 100)));
            assertThat(bound.status()).as(bound.toString()).isEqualTo(201);
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                String id = tenant.post("/v1/claims", World.claim(100, 0, List.of(), 1, 600, node)).text("id");
                assertThat(tenant.get("/v1/claims/" + id + "?waitSeconds=30").text("state")).isEqualTo("GRANTED");
                expected.add("claim:" + id + ":1");
            }
            // the dispatcher has a delivery in flight to the stuck handler
            await().atMost(Duration.ofSeconds(30)).until(() -> !received.isEmpty());
            crashed.set(true);
            victim.crash();
            for (Broker b : survivors) {
                await().atMost(Duration.ofSeconds(30)).until(() -> b.hazelcast().getCluster().getMembers().size() == 2);
            }
            hold.countDown();
            // none was settled (the handler answered nothing): the next dispatcher delivers every one again
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                    assertThat(redelivered).containsAll(expected));
        } finally {
            hold.countDown();
            hook.stop(0);
        }
    }

    /** Waits until every partition has its backup (a kill mid-migration could lose data the test relies on). */
    /**
     * The broker that runs the admission loop, once exactly one does: the loop follows the engine, which may still
     * move while the last partitions migrate after the cluster looked settled.
     */
    private static Broker loopOwner(List<Broker> brokers) {
        await().atMost(Duration.ofSeconds(30)).until(() -> brokers.stream().filter(Broker::runsAdmission).count() == 1);
        return brokers.stream().filter(Broker::runsAdmission).findFirst().orElseThrow();
    }

    private static void awaitSafe(List<Broker> brokers) {
        await().atMost(Duration.ofSeconds(60)).until(() -> brokers.stream()
                .allMatch(b -> b.hazelcast().getPartitionService().isClusterSafe()));
    }

    /** Starts three brokers and waits until they form one cluster with one admission loop. */
    private List<Broker> startThree() throws Exception {
        cluster = new TestBrokers();
        for (int i = 0; i < 3; i++) {
            cluster.start();
        }
        List<Broker> brokers = cluster.brokers();
        await().atMost(Duration.ofSeconds(30)).until(() -> brokers.stream()
                .allMatch(b -> b.hazelcast().getCluster().getMembers().size() == 3));
        await().atMost(Duration.ofSeconds(30)).until(() -> brokers.stream().filter(Broker::runsAdmission).count() == 1);
        return brokers;
    }

    /** Returns a fresh node name whose key (its pools) the member of {@code b} owns. */
    private static String ownedBy(Broker b) {
        Member member = b.hazelcast().getCluster().getLocalMember();
        String candidate = World.name("n");
        while (!member.equals(ownerOf(b, candidate))) {
            candidate = World.name("n");
        }
        return candidate;
    }

    /** Returns the member that owns {@code key}'s partition, as {@code b} sees it. */
    private static Member ownerOf(Broker b, String key) {
        return b.hazelcast().getPartitionService().getPartition(key).getOwner();
    }

    /**
     * Submits claim {@code body} as {@code tenant} (whose id is {@code tenantId}) with an idempotency key chosen so
     * that the claim's id, which the broker derives from the tenant and the key, is a key the member of {@code b}
     * owns.
     */
    private static Http.Answer claimOwnedBy(Broker b, Http tenant, String tenantId, Map<String, Object> body) {
        Member member = b.hazelcast().getCluster().getLocalMember();
        while (true) {
            String key = World.name("k");
            String id = java.util.UUID.nameUUIDFromBytes((tenantId + "\n" + key)
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8)).toString();
            if (member.equals(ownerOf(b, id))) {
                Http.Answer a = tenant.post("/v1/claims", body, Map.of("Idempotency-Key", key));
                assertThat(a.text("id")).as(a.toString()).isEqualTo(id);
                return a;
            }
        }
    }

    /** The tenant's claims granted and not ended, from its events, with what the churning clients saw of them. */
    private static String stillHeld(Http tenant, List<String> trail) {
        Map<String, String> last = new java.util.LinkedHashMap<>();
        long after = -1;
        for (JsonNode page; (page = tenant.get("/v1/events?limit=1000&after=" + after).body()).get("items").size() > 0; ) {
            page.get("items").forEach(e -> last.put(e.get("subject").asText(), e.get("type").asText()));
            after = page.get("next").asLong();
        }
        StringBuilder out = new StringBuilder("claims whose last event is claim.granted:");
        last.forEach((claim, type) -> {
            if (type.equals("claim.granted")) {
                out.append("\n  ").append(tenant.get("/v1/claims/" + claim));
                trail.stream().filter(line -> line.contains(claim)).forEach(line -> out.append("\n    ").append(line));
            }
        });
        out.append("\nthe trail's last lines:");
        trail.subList(Math.max(0, trail.size() - 40), trail.size()).forEach(line -> out.append("\n  ").append(line));
        return out.toString();
    }

    /** Claims and releases on {@code node} until stopped; records any over-grant it sees, and each answer in the trail. */
    private static Void churn(Http client, String node, AtomicBoolean running, AtomicInteger cycles,
                              List<String> violations, List<String> trail) {
        while (running.get()) {
            // a request in flight when the member died may be answered 503 whether or not it was applied: retried
            // with its key, as the contract says, it is applied once
            Map<String, String> key = Map.of("Idempotency-Key", java.util.UUID.randomUUID().toString());
            Http.Answer a = client.post("/v1/claims", World.claim(3000, 1000, List.of(), 1, 30, node), key);
            trail.add(client.base() + " POST " + key.values() + " " + a);
            // and a retry while the first attempt still runs (on a member that may be dying) is told so: 409
            // IDEMPOTENCY_IN_PROGRESS, to be retried later, not given up (the first attempt may yet have created the
            // claim: its key is taken over once stale, 30 s). Later, as the contract says: retrying at once spun into
            // the member's rate limit, and a 429 taken for an answer left the claim the first attempt made behind
            while (a.status() >= 500 || a.status() == 429 || "IDEMPOTENCY_IN_PROGRESS".equals(a.text("code"))) {
                java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // a client's pace
                a = client.post("/v1/claims", World.claim(3000, 1000, List.of(), 1, 30, node), key);
                trail.add(client.base() + " POST again " + key.values() + " " + a);
            }
            if (a.status() != 201) {
                continue;
            }
            String id = a.text("id");
            String state = a.text("state");
            long deadline = System.currentTimeMillis() + 30_000;
            while ("QUEUED".equals(state) && System.currentTimeMillis() < deadline) {
                state = client.get("/v1/claims/" + id + "?waitSeconds=5").text("state");
            }
            Http.Answer pool = client.get("/v1/pools/memory@" + node);
            if (pool.status() == 200 && pool.body().get("granted").asLong() > pool.body().get("capacity").asLong()) {
                violations.add("over-grant " + pool);
            }
            Http.Answer end = client.delete("/v1/claims/" + id);
            trail.add(client.base() + " DELETE " + id + " " + end);
            while (end.status() >= 500 || end.status() == 429) {
                java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
                end = client.delete("/v1/claims/" + id);
                trail.add(client.base() + " DELETE again " + id + " " + end);
            }
            cycles.incrementAndGet();
        }
        return null;
    }
}
