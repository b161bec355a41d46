package io.ichiba.broker;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Advance reservations over real HTTP on a cluster of two real brokers: booking, reading, isolation (law 9), the
 * earliest window of a refused booking, a window that opens and closes on the brokers' clocks, renewal capped at
 * the end, a bought window refunded by the rule, retries with an {@code Idempotency-Key} (law 5), the pool
 * timeline, concurrent bookings that never over-promise a pool (law 1), and bad input that changes nothing (law 8).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReservationsIT {
    private static final String KEY = "Idempotency-Key";
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

    private static Map<String, Object> reservation(long memory, int count, Instant start, Instant end, String node) {
        Map<String, Object> body = new HashMap<>(Map.of("bundle", Map.of("memory", memory), "count", count,
                "start", start.toString(), "end", end.toString()));
        if (node != null) {
            body.put("node", node);
        }
        return body;
    }

    private static Instant in(long seconds) {
        return Instant.now().truncatedTo(ChronoUnit.MILLIS).plusSeconds(seconds);
    }

    @Test
    void bookReadListIsolateAndCancel() {
        String node = World.name("n");
        world.node(node, 10_000, 10_000);
        String a = World.name("ta");
        Http ta = world.tenant(a, 50_000, 0);
        Http tb = world.tenant(World.name("tb"), 50_000, 0);
        Instant start = in(3600);
        Instant end = start.plusSeconds(1800);
        Http.Answer booked = ta.post("/v1/reservations", reservation(3000, 2, start, end, node), Map.of(KEY, "k1"));
        assertThat(booked.status()).as(booked.toString()).isEqualTo(201);
        JsonNode r = booked.body();
        String id = r.get("id").asText();
        assertThat(r.get("state").asText()).isEqualTo("BOOKED");
        assertThat(r.get("tenant").asText()).isEqualTo(a);
        assertThat(Instant.parse(r.get("start").asText())).isEqualTo(start);
        assertThat(r.get("copies")).hasSize(2);
        r.get("copies").forEach(c -> assertThat(c.get("node").asText()).isEqualTo(node));
        assertThat(r.get("claims")).as("no claims before the window opens").isEmpty();

        Http.Answer again = ta.at(op2.base()).post("/v1/reservations", reservation(3000, 2, start, end, node),
                Map.of(KEY, "k1"));
        assertThat(again.status()).isEqualTo(201);
        assertThat(again.body().get("id").asText()).as("a retry books nothing twice").isEqualTo(id);
        assertThat(ta.get("/v1/reservations/" + id).body().get("id").asText()).isEqualTo(id);
        assertThat(World.ids(ta.get("/v1/reservations"))).containsExactly(id);
        assertThat(tb.get("/v1/reservations/" + id).status()).as("law 9").isEqualTo(404);
        assertThat(tb.delete("/v1/reservations/" + id).status()).isEqualTo(404);
        assertThat(World.ids(tb.get("/v1/reservations"))).isEmpty();
        assertThat(tb.get("/v1/reservations?tenant=" + a).status()).isEqualTo(403);
        assertThat(World.ids(op.get("/v1/reservations?tenant=" + a))).containsExactly(id);

        // the timeline shows the promise over the window, nothing before it
        Http.Answer t = tb.get("/v1/pools/memory@" + node + "/timeline?from=" + start.minusSeconds(600) + "&to="
                + end.plusSeconds(600) + "&stepSeconds=600");
        assertThat(t.status()).as(t.toString()).isEqualTo(200);
        List<Long> reserved = new ArrayList<>();
        t.body().get("steps").forEach(s -> reserved.add(s.get("reserved").asLong()));
        assertThat(reserved).containsExactly(0L, 6000L, 6000L, 6000L, 0L);
        assertThat(t.body().get("steps").get(1).get("capacity").asLong()).isEqualTo(10_000);

        Http.Answer cancelled = ta.delete("/v1/reservations/" + id);
        assertThat(cancelled.status()).isEqualTo(200);
        assertThat(cancelled.body().get("state").asText()).isEqualTo("CANCELLED");
        assertThat(ta.delete("/v1/reservations/" + id).body().get("state").asText()).isEqualTo("CANCELLED");
        Http.Answer after = tb.get("/v1/pools/memory@" + node + "/timeline?from=" + start + "&to=" + end);
        after.body().get("steps").forEach(s -> assertThat(s.get("reserved").asLong()).isZero());
    }

    @Test
    void aFullWindowIsRefusedWithTheEarliestThatFits() {
        String node = World.name("n");
        world.node(node, 10_000, 10_000);
        Http ta = world.tenant(World.name("ta"), 50_000, 0);
        Http tb = world.tenant(World.name("tb"), 50_000, 0);
        Http.Answer posted = tb.post("/v1/claims", World.claim(6000, 0, List.of(), 1, 3600, node));
        Http.Answer held = tb.get("/v1/claims/" + posted.text("id") + "?waitSeconds=30");
        assertThat(held.text("state")).as(held.toString()).isEqualTo("GRANTED");
        Instant leaseEnds = Instant.parse(held.text("leaseExpiresAt"));
        Instant start = in(600);
        Instant end = start.plusSeconds(600);
        Http.Answer full = ta.post("/v1/reservations", reservation(5000, 1, start, end, node));
        assertThat(full.status()).as(full.toString()).isEqualTo(409);
        assertThat(full.isClientProblem()).isTrue();
        assertThat(full.text("code")).isEqualTo("WINDOW_FULL");
        assertThat(Instant.parse(full.text("earliestStart"))).isEqualTo(leaseEnds);
        assertThat(Instant.parse(full.text("earliestEnd"))).isEqualTo(leaseEnds.plusSeconds(600));
        assertThat(World.ids(ta.get("/v1/reservations"))).isEmpty();

        Http.Answer suggested = ta.post("/v1/reservations", reservation(5000, 1, leaseEnds, leaseEnds.plusSeconds(600),
                node));
        assertThat(suggested.status()).as(suggested.toString()).isEqualTo(201);
    }

    @Test
    void aWindowOpensIntoGrantedClaimsRenewableUntilItsEndAndCloses() {
        String node = World.name("n");
        world.node(node, 10_000, 10_000);
        Http ta = world.tenant(World.name("ta"), 50_000, 0);
        Instant start = in(2);
        Instant end = start.plusSeconds(5);
        Map<String, Object> body = reservation(2000, 2, start, end, node);
        body.put("leaseSeconds", 2);
        Http.Answer booked = ta.post("/v1/reservations", body);
        assertThat(booked.status()).as(booked.toString()).isEqualTo(201);
        String id = booked.text("id");
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                assertThat(ta.get("/v1/reservations/" + id).text("state")).isEqualTo("ACTIVE"));
        JsonNode active = ta.get("/v1/reservations/" + id).body();
        List<String> claims = new ArrayList<>();
        active.get("claims").forEach(c -> claims.add(c.asText()));
        assertThat(claims).hasSize(2);
        for (String c : claims) {
            JsonNode claim = ta.get("/v1/claims/" + c).body();
            assertThat(claim.get("state").asText()).isEqualTo("GRANTED");
            assertThat(claim.get("reservation").asText()).isEqualTo(id);
            assertThat(Instant.parse(claim.get("grantedAt").asText())).isAfterOrEqualTo(start);
            JsonNode renewed = ta.post("/v1/claims/" + c + "/renew", Map.of("leaseSeconds", 3600)).body();
            assertThat(Instant.parse(renewed.get("leaseExpiresAt").asText())).as("never past the end").isEqualTo(end);
        }
        assertThat(World.ids(ta.get("/v1/claims?state=GRANTED"))).containsAll(claims);
        assertThat(world.pool("memory@" + node).get("granted").asLong()).isEqualTo(4000);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(ta.get("/v1/reservations/" + id).text("state")).isEqualTo("ENDED");
            for (String c : claims) {
                assertThat(ta.get("/v1/claims/" + c).text("state")).isEqualTo("EXPIRED");
            }
        });
        assertThat(world.pool("memory@" + node).get("granted").asLong()).isZero();
        Http.Answer metrics = op.get("/metrics");
        assertThat(metrics.raw()).contains("ichiba_reservations{state=\"ENDED\"}")
                .contains("ichiba_reservation_bookings_total{outcome=\"booked\"}");
    }

    @Test
    void aBoughtWindowPaysTheSpotPriceAndIsRefundedByTheRuleWhenCancelled() {
        String node = World.name("n");
        world.node(node, 10_000, 10_000);
        String a = World.name("ta");
        Http ta = world.tenant(a, 0, 0);
        world.mint(a, 10_000_000, null);
        Instant start = in(3600);
        Map<String, Object> body = reservation(1000, 1, start, start.plusSeconds(3600), node);
        body.put("funding", Map.of("mode", "BUY"));
        Http.Answer booked = ta.post("/v1/reservations", body);
        assertThat(booked.status()).as(booked.toString()).isEqualTo(201);
        long price = booked.body().get("price").asLong();
        assertThat(price).isPositive();
        assertThat(world.account(a).get("balance").asLong()).isEqualTo(10_000_000 - price);
        Http.Answer cancelled = ta.delete("/v1/reservations/" + booked.text("id"));
        long refund = price - (price * 10 + 99) / 100;
        assertThat(cancelled.body().get("refunded").asLong()).isEqualTo(refund);
        assertThat(world.account(a).get("balance").asLong()).isEqualTo(10_000_000 - price + refund);
        world.assertCreditsClean();
    }

    @Test
    void concurrentBookingsNeverOverPromiseAPool() throws Exception {
        String node = World.name("n");
        world.node(node, 10_000, 10_000);
        Instant start = in(7200);
        Instant end = start.plusSeconds(3600);
        List<Http> tenants = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            tenants.add(world.tenant(World.name("t" + i), 50_000, 0));
        }
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<Http.Answer>> answers = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                Http t = tenants.get(i % tenants.size()).at((i % 2 == 0 ? op : op2).base());
                Instant s = start.plusSeconds((i % 4) * 600L);
                Callable<Http.Answer> book = () -> t.post("/v1/reservations", reservation(1500, 1, s,
                        s.plusSeconds(1800), node));
                answers.add(pool.submit(book));
            }
            int booked = 0;
            for (Future<Http.Answer> f : answers) {
                Http.Answer a = f.get();
                assertThat(a.status()).as(a.toString()).isIn(201, 409);
                booked += a.status() == 201 ? 1 : 0;
            }
            assertThat(booked).isPositive();
        } finally {
            pool.shutdownNow();
        }
        Http.Answer t = op.get("/v1/pools/memory@" + node + "/timeline?from=" + start + "&to=" + end.plusSeconds(3600)
                + "&stepSeconds=60");
        long peak = 0;
        for (JsonNode s : t.body().get("steps")) {
            assertThat(s.get("reserved").asLong()).as(s.toString()).isLessThanOrEqualTo(10_000);
            peak = Math.max(peak, s.get("reserved").asLong());
        }
        assertThat(peak).as("the pool was filled, not left half-empty").isGreaterThan(10_000 - 1500);
    }

    @Test
    void badInputIsRefusedWithAProblemAndChangesNothing() {
        String node = World.name("n");
        world.node(node, 10_000, 10_000);
        Http ta = world.tenant(World.name("ta"), 50_000, 0);
        Instant s = in(600);
        record Case(Object body, int status) {
        }
        Map<String, Object> borrow = reservation(100, 1, s, s.plusSeconds(60), null);
        borrow.put("funding", Map.of("mode", "BORROW", "maxPrice", 5));
        List<Case> cases = List.of(
                new Case(reservation(100, 1, s, s.minusSeconds(60), null), 400),
                new Case(reservation(100, 1, in(-7200), in(-3600), null), 400),
                new Case(reservation(100, 0, s, s.plusSeconds(60), null), 400),
                new Case(reservation(100, 5000, s, s.plusSeconds(60), null), 400),
                new Case(reservation(100, 1_000_000, s, s.plusSeconds(60), null), 400),
                new Case(reservation(100, 1, s, s.plusSeconds(60), "no-such-node"), 422),
                new Case(reservation(100_000, 1, s, s.plusSeconds(60), null), 422),
                new Case(Map.of("bundle", Map.of("gpu", 1), "start", s.toString(), "end", s.plusSeconds(60).toString()), 422),
                new Case(Map.of("bundle", Map.of("memory", 1), "start", "tomorrow", "end", s.toString()), 400),
                new Case(Map.of("bundle", Map.of("memory", 1), "start", s.toString()), 400),
                new Case(borrow, 400));
        for (Case c : cases) {
            Http.Answer a = ta.post("/v1/reservations", c.body());
            assertThat(a.status()).as(c + " -> " + a).isEqualTo(c.status());
            assertThat(a.isClientProblem()).as(a.toString()).isTrue();
        }
        assertThat(op.post("/v1/reservations", reservation(100, 1, s, s.plusSeconds(60), null)).status())
                .as("only a tenant reserves").isEqualTo(403);
        assertThat(World.ids(ta.get("/v1/reservations"))).isEmpty();
        assertThat(ta.get("/v1/reservations/nope").status()).isEqualTo(404);
        assertThat(ta.get("/v1/pools/memory@nowhere/timeline").status()).isEqualTo(404);
        Http.Answer backwards = ta.get("/v1/pools/memory@" + node + "/timeline?from=" + s + "&to=" + s.minusSeconds(1));
        assertThat(backwards.status()).isEqualTo(400);
        assertThat(backwards.isClientProblem()).isTrue();
        assertThat(ta.get("/v1/pools/memory@" + node + "/timeline?from=" + s + "&to=" + s.plusSeconds(86_400)
                + "&stepSeconds=1").status()).as("too many steps").isEqualTo(400);
        Http.Answer t = ta.get("/v1/pools/memory@" + node + "/timeline");
        t.body().get("steps").forEach(step -> assertThat(step.get("reserved").asLong()).isZero());
    }
}
