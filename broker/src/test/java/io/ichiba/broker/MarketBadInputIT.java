package io.ichiba.broker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Law 8 for the market over real HTTP: every malformed, out-of-range, unauthorised or impossible offer, bid, cancel,
 * recall, market read, lending limit and claim funding gets a 4xx {@code application/problem+json} answer with
 * {@code type}, {@code title} and {@code detail}, and changes nothing: not the accounts (every balance), the sizes of
 * the journal, the orders, the books and the loans, the two tenants' account views (quota, borrowed,
 * lent, offered, lending limit, open orders), the depth of the books, the loans, nor what {@link StateSnapshot}
 * shows (pools, claims, tenants, kinds).
 *
 * <p>One broker with {@link MarketBrokers#fixedRules()} (largest price {@value MarketBrokers#PRICE_MAX}, longest
 * term and notice {@value MarketBrokers#TERM_MAX} s, urgent price {@value MarketBrokers#URGENT} at the floor). The
 * spot prices are left out of the comparison: they move with the clock (every 5 s), not with requests.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MarketBadInputIT {
    private static final String MEMORY = "memory";
    private static final long PRICE_MAX = MarketBrokers.PRICE_MAX;
    private static final long TERM_MAX = MarketBrokers.TERM_MAX;
    private static final long URGENT = MarketBrokers.URGENT;

    private MarketBrokers cluster;
    private Broker broker;
    private Http op;
    private World world;

    @BeforeAll
    void start() throws Exception {
        cluster = new MarketBrokers(MarketBrokers.fixedRules());
        broker = cluster.start();
        op = TestBrokers.operator(broker);
        world = new World(op);
        world.node(World.name("big"), 1_000_000_000L, 1_000_000_000L);
        // the spot updater (every 5 s) creates the book of each kind with capacity: let it, before any snapshot
        await().atMost(Duration.ofSeconds(15)).until(() -> TestBrokers.table(broker, "books").entries().keySet()
                .containsAll(List.of(MEMORY, "disk")));
    }

    @AfterAll
    void stop() {
        cluster.close();
    }

    /** Who sends a bad request: tenant P (a borrower), tenant Q (a lender), the operator, an agent. */
    enum Who { P, Q, OPERATOR, AGENT }

    /**
     * One bad request and what it must get.
     *
     * @param name    what is wrong with it
     * @param who     who sends it
     * @param method  HTTP method
     * @param path    path and query
     * @param body    a raw string (sent as is), an object (sent as JSON), or null
     * @param status  the expected status
     * @param code    the expected problem code, or null if any
     * @param pointer the JSON pointer {@code errors} must name, or null
     */
    record Bad(String name, Who who, String method, String path, Object body, int status, String code,
               String pointer) {
        @Override
        public String toString() {
            return name + " -> " + status + (code == null ? "" : " " + code);
        }
    }

    /**
     * The world of the bad requests, on {@code disk} so that the other tests' memory book stays theirs: P (quota
     * 4096 memory and disk, 10000 minted) holds a granted claim of 3000 memory for a day, offers 500 disk at 990,
     * and borrows 200 disk from Q for an hour at 5 (the loan of the recall rows); Q (16384 each, 100000 minted, a
     * lending limit of 1000 memory) bids 100 disk at 1.
     */
    private final Map<String, Object> bad = new HashMap<>();

    private void badWorld() {
        if (!bad.isEmpty()) {
            return;
        }
        String p = World.name("p");
        String q = World.name("q");
        Http tp = world.tenant(p, 4096, 4096);
        Http tq = world.tenant(q, 16_384, 16_384);
        world.mint(p, 10_000, null);
        world.mint(q, 100_000, null);
        assertThat(op.patch("/v1/tenants/" + q, Map.of("lendingLimit", Map.of(MEMORY, 1000))).status()).isEqualTo(200);
        String node = World.name("n");
        Http agent = world.node(node, 8192, 8192);
        String claim = tp.post("/v1/claims", World.claim(3000, 0, List.of(), 1, 86_400, node)).text("id");
        awaitState(tp, claim, "GRANTED");
        assertThat(tp.post("/v1/market/offers", World.offer("disk", 500, 86_400, 990)).status()).isEqualTo(201);
        assertThat(tq.post("/v1/market/offers", World.offer("disk", 200, 3600, 5)).status()).isEqualTo(201);
        Http.Answer borrowed = tp.post("/v1/market/bids", World.bid("disk", 200, 3600, 5));
        assertThat(borrowed.text("state")).as(borrowed.toString()).isEqualTo("FILLED");
        assertThat(tq.post("/v1/market/bids", World.bid("disk", 100, 3600, 1)).status()).isEqualTo(201);
        bad.put("p", p);
        bad.put("q", q);
        bad.put(Who.P.name(), tp);
        bad.put(Who.Q.name(), tq);
        bad.put(Who.AGENT.name(), agent);
        bad.put(Who.OPERATOR.name(), op);
        bad.put("loan", borrowed.body().get("fills").get(0).get("loan").asText());
        bad.put("qBid", world.account(q).get("bids").get(0).get("id").asText());
    }

    Stream<Bad> badRequests() {
        badWorld();
        String offers = "/v1/market/offers";
        String bids = "/v1/market/bids";
        String loan = "/v1/loans/" + bad.get("loan");
        String qBid = (String) bad.get("qBid");
        String q = (String) bad.get("q");
        String past = Instant.now().minusSeconds(60).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        List<Bad> all = new ArrayList<>();

        // offers: amounts, prices, terms out of range; kinds unknown; times in the past or not times
        all.add(row("offer of -1", Who.P, "POST", offers, World.offer(MEMORY, -1, 3600, 5), 400, null, "/amount"));
        all.add(row("offer of 0", Who.P, "POST", offers, World.offer(MEMORY, 0, 3600, 5), 400, null, "/amount"));
        all.add(row("offer of 2^40 + 1", Who.P, "POST", offers, World.offer(MEMORY, (1L << 40) + 1, 3600, 5), 400,
                null, "/amount"));
        all.add(row("offer of 2^63", Who.P, "POST", offers,
                "{\"kind\":\"memory\",\"amount\":9223372036854775808,\"durationSeconds\":60,\"minPrice\":5}", 400,
                null, "/amount"));
        all.add(row("offer amount as a string", Who.P, "POST", offers, with(World.offer(MEMORY, 1, 60, 5), "amount",
                "100"), 400, null, "/amount"));
        all.add(row("offer amount 1.5", Who.P, "POST", offers, with(World.offer(MEMORY, 1, 60, 5), "amount", 1.5), 400,
                null, "/amount"));
        all.add(row("offer at price 0", Who.P, "POST", offers, World.offer(MEMORY, 100, 3600, 0), 400, null,
                "/minPrice"));
        all.add(row("offer at a negative price", Who.P, "POST", offers, World.offer(MEMORY, 100, 3600, -3), 400, null,
                "/minPrice"));
        all.add(row("offer at 10^9 + 1", Who.P, "POST", offers, World.offer(MEMORY, 100, 3600, 1_000_000_001), 400,
                null, "/minPrice"));
        all.add(row("offer above market.price.max", Who.P, "POST", offers, World.offer(MEMORY, 100, 3600,
                PRICE_MAX + 1), 400, "INVALID", null));
        all.add(row("offer for 0 s", Who.P, "POST", offers, World.offer(MEMORY, 100, 0, 5), 400, null,
                "/durationSeconds"));
        all.add(row("offer for 30 days + 1 s", Who.P, "POST", offers, World.offer(MEMORY, 100, 2_592_001, 5), 400,
                null, "/durationSeconds"));
        all.add(row("offer past market.term.max.seconds", Who.P, "POST", offers, World.offer(MEMORY, 100,
                TERM_MAX + 1, 5), 400, "INVALID", null));
        all.add(row("offer of an unknown kind", Who.P, "POST", offers, World.offer("warp-drive", 100, 3600, 5), 422,
                "UNKNOWN_KIND", null));
        all.add(row("offer of a lock", Who.P, "POST", offers, World.offer("lock", 1, 3600, 5), 422, "UNKNOWN_KIND",
                null));
        all.add(row("offer of a kind with '@'", Who.P, "POST", offers, World.offer("memory@n", 100, 3600, 5), 400,
                null, "/kind"));
        all.add(row("offer good until a minute ago", Who.P, "POST", offers, with(World.offer(MEMORY, 100, 3600, 5),
                "goodUntil", past), 400, "INVALID", null));
        all.add(row("offer good until 'tomorrow'", Who.P, "POST", offers, with(World.offer(MEMORY, 100, 3600, 5),
                "goodUntil", "tomorrow"), 400, null, "/goodUntil"));
        all.add(row("offer good until a time without offset", Who.P, "POST", offers,
                with(World.offer(MEMORY, 100, 3600, 5), "goodUntil", "2099-01-01T00:00:00"), 400, null, null));
        all.add(row("offer good until a leap second", Who.P, "POST", offers,
                with(World.offer(MEMORY, 100, 3600, 5), "goodUntil", "2099-12-31T23:59:60Z"), 400, null, null));
        all.add(row("offer good until 10000-01-01", Who.P, "POST", offers,
                with(World.offer(MEMORY, 100, 3600, 5), "goodUntil", "+10000-01-01T00:00:00Z"), 400, null, null));
        all.add(row("unknown field in an offer", Who.P, "POST", offers, with(World.offer(MEMORY, 100, 3600, 5),
                "colour", "red"), 400, null, "/colour"));
        all.add(row("offer without minPrice", Who.P, "POST", offers, Map.of("kind", MEMORY, "amount", 100,
                "durationSeconds", 3600), 400, null, null));
        all.add(row("offer with a bid's maxPrice", Who.P, "POST", offers, Map.of("kind", MEMORY, "amount", 100,
                "durationSeconds", 3600, "maxPrice", 5), 400, null, null));
        all.add(row("offer of more than the quota", Who.P, "POST", offers, World.offer(MEMORY, 5000, 3600, 5), 409,
                "NOT_LENDABLE", null));
        all.add(row("offer of quota in use", Who.P, "POST", offers, World.offer(MEMORY, 2000, 3600, 5), 409,
                "NOT_LENDABLE", null));
        all.add(row("offer of borrowed quota", Who.P, "POST", offers, World.offer("disk", 3700, 3600, 5), 409,
                "NOT_LENDABLE", null));
        all.add(row("offer past the lending limit", Who.Q, "POST", offers, World.offer(MEMORY, 1001, 3600, 5), 409,
                "NOT_LENDABLE", null));
        all.add(row("offer by the operator", Who.OPERATOR, "POST", offers, World.offer(MEMORY, 1, 3600, 5), 403,
                null, null));
        all.add(row("offer by an agent", Who.AGENT, "POST", offers, World.offer(MEMORY, 1, 3600, 5), 403, null, null));

        // bids
        all.add(row("bid at price 0", Who.P, "POST", bids, World.bid(MEMORY, 100, 3600, 0), 400, null, "/maxPrice"));
        all.add(row("bid above market.price.max", Who.P, "POST", bids, World.bid(MEMORY, 1, 60, PRICE_MAX + 1), 400,
                "INVALID", null));
        all.add(row("bid for -1 s", Who.P, "POST", bids, World.bid(MEMORY, 100, -1, 1), 400, null,
                "/durationSeconds"));
        all.add(row("bid of 0", Who.P, "POST", bids, World.bid(MEMORY, 0, 3600, 1), 400, null, "/amount"));
        all.add(row("bid whose hold is past any balance", Who.P, "POST", bids, World.bid(MEMORY, 1L << 40, TERM_MAX,
                PRICE_MAX), 400, "INVALID", null));
        all.add(row("bid beyond the credit", Who.P, "POST", bids, World.bid(MEMORY, 4096, 3600, 10), 409,
                "INSUFFICIENT_CREDIT", null));
        all.add(row("bid of an unknown kind", Who.P, "POST", bids, World.bid("warp-drive", 1, 3600, 1), 422,
                "UNKNOWN_KIND", null));
        all.add(row("bid good until a minute ago", Who.P, "POST", bids, with(World.bid(MEMORY, 1, 3600, 1),
                "goodUntil", past), 400, "INVALID", null));
        all.add(row("bid by the operator", Who.OPERATOR, "POST", bids, World.bid(MEMORY, 1, 3600, 1), 403, null, null));

        // claims with a funding that cannot be
        all.add(row("urgent with mode QUOTA", Who.P, "POST", "/v1/claims", World.fundedClaim(100, 0, 60, null,
                "QUOTA", 0, true), 400, "INVALID_FUNDING", null));
        all.add(row("urgent with mode BORROW", Who.P, "POST", "/v1/claims", World.fundedClaim(100, 0, 60, null,
                "BORROW", 5, true), 400, "INVALID_FUNDING", null));
        all.add(row("BORROW without maxPrice", Who.P, "POST", "/v1/claims", World.fundedClaim(100, 0, 60, null,
                "BORROW", 0, false), 400, "INVALID_FUNDING", null));
        all.add(row("funding mode STEAL", Who.P, "POST", "/v1/claims", World.fundedClaim(100, 0, 60, null, "STEAL", 0,
                false), 400, null, "/funding/mode"));
        Map<String, Object> zeroCap = World.fundedClaim(100, 0, 60, null, "BUY", 0, false);
        zeroCap.put("funding", Map.of("mode", "BUY", "maxPrice", 0));
        all.add(row("funding maxPrice 0", Who.P, "POST", "/v1/claims", zeroCap, 400, null, "/funding/maxPrice"));
        Map<String, Object> colour = World.fundedClaim(100, 0, 60, null, "BUY", 0, false);
        colour.put("funding", Map.of("mode", "BUY", "colour", "red"));
        all.add(row("unknown field in a funding", Who.P, "POST", "/v1/claims", colour, 400, null, "/funding/colour"));
        all.add(row("urgent claim beyond the credit", Who.P, "POST", "/v1/claims", World.fundedClaim(1024, 0, 86_400,
                null, "BUY", 0, true), 409, "INSUFFICIENT_CREDIT", null));
        all.add(row("urgent claim capped under the urgent price", Who.P, "POST", "/v1/claims",
                World.fundedClaim(10, 0, 60, null, "BUY", URGENT - 1, true), 409, "PRICE", null));
        all.add(row("BUY claim beyond the credit", Who.P, "POST", "/v1/claims", World.fundedClaim(3000, 0, 86_400,
                null, "BUY", 0, false), 409, "INSUFFICIENT_CREDIT", null));
        all.add(row("BORROW claim whose bid is beyond the credit", Who.P, "POST", "/v1/claims",
                World.fundedClaim(3000, 0, 86_400, null, "BORROW", PRICE_MAX, false), 409, "INSUFFICIENT_CREDIT",
                null));
        all.add(row("BORROW claim above market.price.max", Who.P, "POST", "/v1/claims",
                World.fundedClaim(3000, 0, 60, null, "BORROW", PRICE_MAX + 1, false), 400, "INVALID", null));
        Map<String, Object> twoBids = World.fundedClaim(3000, 0, 86_400, null, "BORROW", 1, false);
        twoBids.put("bundle", Map.of(MEMORY, 3000, "disk", 4000));
        all.add(row("BORROW claim whose first bid could be put up and second not", Who.P, "POST", "/v1/claims",
                twoBids, 409, "INSUFFICIENT_CREDIT", null));

        // loans
        all.add(row("recall an unknown loan", Who.Q, "POST", "/v1/loans/memory:999999/recall", Map.of(), 404,
                "NOT_FOUND", null));
        all.add(row("recall with notice -1", Who.Q, "POST", loan + "/recall", Map.of("noticeSeconds", -1), 400, null,
                "/noticeSeconds"));
        all.add(row("recall with notice past market.term.max.seconds", Who.Q, "POST", loan + "/recall",
                Map.of("noticeSeconds", TERM_MAX + 1), 400, "INVALID", null));
        all.add(row("recall with notice as a string", Who.Q, "POST", loan + "/recall", Map.of("noticeSeconds", "5"),
                400, null, "/noticeSeconds"));
        all.add(row("unknown field in a recall", Who.Q, "POST", loan + "/recall", Map.of("noticeSeconds", 5,
                "now", true), 400, null, "/now"));
        all.add(row("recall by the borrower", Who.P, "POST", loan + "/recall", Map.of("noticeSeconds", 0), 403, null,
                null));
        all.add(row("recall by the operator", Who.OPERATOR, "POST", loan + "/recall", Map.of("noticeSeconds", 0), 403,
                null, null));
        all.add(row("recall by an agent", Who.AGENT, "POST", loan + "/recall", Map.of("noticeSeconds", 0), 404, null,
                null));
        all.add(row("loan id with '/'", Who.P, "GET", "/v1/loans/a%2Fb", null, 400, null, null));
        all.add(row("loans of an agent", Who.AGENT, "GET", "/v1/loans", null, 403, null, null));

        // orders that are not there, or not the caller's
        all.add(row("cancel an unknown offer", Who.P, "DELETE", offers + "/" + World.name("nope"), null, 404,
                "NOT_FOUND", null));
        all.add(row("cancel another tenant's bid", Who.P, "DELETE", bids + "/" + qBid, null, 404, "NOT_FOUND", null));
        all.add(row("cancel a bid as an offer", Who.Q, "DELETE", offers + "/" + qBid, null, 404, "NOT_FOUND", null));
        all.add(row("read another tenant's bid", Who.P, "GET", bids + "/" + qBid, null, 404, "NOT_FOUND", null));
        all.add(row("order id with '_'", Who.P, "GET", offers + "/a_b", null, 400, null, null));

        // the market view and history
        all.add(row("market of an unknown kind", Who.P, "GET", "/v1/market/" + World.name("nokind"), null, 404, null,
                null));
        all.add(row("market levels=101", Who.P, "GET", "/v1/market/memory?levels=101", null, 400, null, null));
        all.add(row("market levels=-1", Who.P, "GET", "/v1/market/memory?levels=-1", null, 400, null, null));
        all.add(row("history step=0", Who.P, "GET", "/v1/market/memory/history?step=0", null, 400, null, null));
        all.add(row("history from after to", Who.P, "GET", "/v1/market/memory/history?from=2025-02-01T00:00:00Z"
                + "&to=2025-01-01T00:00:00Z", null, 400, null, null));
        all.add(row("history from=yesterday", Who.P, "GET", "/v1/market/memory/history?from=yesterday", null, 400,
                null, null));
        all.add(row("history of 5 years in seconds", Who.P, "GET", "/v1/market/memory/history?from=2020-01-01T00:00:00Z"
                + "&to=2025-01-01T00:00:00Z&step=1", null, 400, null, null));
        all.add(row("history of an unknown kind", Who.P, "GET", "/v1/market/" + World.name("nokind") + "/history",
                null, 404, null, null));

        // lending limits
        all.add(row("negative lending limit", Who.OPERATOR, "PATCH", "/v1/tenants/" + q,
                Map.of("lendingLimit", Map.of(MEMORY, -1)), 400, null, "/lendingLimit/memory"));
        all.add(row("lending limit of an unknown kind", Who.OPERATOR, "PATCH", "/v1/tenants/" + q,
                Map.of("lendingLimit", Map.of("warp-drive", 1)), 422, "UNKNOWN_KIND", null));
        all.add(row("lending limit as a number", Who.OPERATOR, "PATCH", "/v1/tenants/" + q, Map.of("lendingLimit", 5),
                400, null, "/lendingLimit"));
        all.add(row("lending limit set by a tenant", Who.Q, "PATCH", "/v1/tenants/" + q,
                Map.of("lendingLimit", Map.of(MEMORY, 16_384)), 403, null, null));
        return all.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void aBadMarketRequestGetsAClearProblemAndChangesNothing(Bad b) {
        Http caller = (Http) bad.get(b.who().name());
        MarketState before = marketState();
        Http.Answer a = caller.send(b.method(), b.path(), b.body(), Map.of());
        String what = b.name() + ": " + b.method() + " " + b.path() + " -> " + a;
        assertThat(a.isClientProblem()).as("a 4xx problem+json with type, title, detail; %s", what).isTrue();
        assertThat(a.status()).as(what).isEqualTo(b.status());
        if (b.code() != null) {
            assertThat(a.text("code")).as(what).isEqualTo(b.code());
        }
        if (b.pointer() != null) {
            List<String> pointers = new ArrayList<>();
            a.body().path("errors").forEach(e -> pointers.add(e.path("pointer").asText()));
            assertThat(pointers).as("errors[].pointer; %s", what).contains(b.pointer());
        }
        assertThat(marketState()).as("the state after %s", what).isEqualTo(before);
    }

    /** Everything a bad market request could change, as the API and the replicated maps show it. */
    record MarketState(StateSnapshot snapshot, JsonNode accounts, JsonNode p, JsonNode q, JsonNode memory,
                       JsonNode disk, List<JsonNode> loans, Map<String, Integer> sizes) {
    }

    private MarketState marketState() {
        Map<String, Integer> sizes = new TreeMap<>();
        for (String m : List.of("journal", "accounts", "orders", "books", "loans", "claims", "tenants")) {
            sizes.put(m, TestBrokers.table(broker, m).entries().size());
        }
        return new MarketState(StateSnapshot.take(op, broker.ledger().store()), world.accounts(),
                world.account((String) bad.get("p")), world.account((String) bad.get("q")), book(MEMORY), book("disk"),
                world.loans(), sizes);
    }

    private static Bad row(String name, Who who, String method, String path, Object body, int status, String code,
                           String pointer) {
        return new Bad(name, who, method, path, body, status, code, pointer);
    }

    private static Map<String, Object> with(Map<String, Object> body, String field, Object value) {
        Map<String, Object> out = new LinkedHashMap<>(body);
        out.put(field, value);
        return out;
    }

    @Test
    void theTableCoversEveryKindOfBadInputAndTheMarketStillWorksAfterIt() {
        List<Bad> all = badRequests().toList();
        assertThat(all).extracting(Bad::status).contains(400, 403, 404, 409, 422);
        all.forEach(b -> ((Http) bad.get(b.who().name())).send(b.method(), b.path(), b.body(), Map.of()));
        Http q = (Http) bad.get(Who.Q.name());
        Http.Answer offer = q.post("/v1/market/offers", World.offer(MEMORY, 1000, 3600, 900));
        assertThat(offer.status()).as(offer.toString()).isEqualTo(201);
        assertThat(q.delete("/v1/market/offers/" + offer.text("id")).text("state")).isEqualTo("CANCELLED");
        world.assertCreditsClean();
        world.assertAuditClean();
    }

    // ------------------------------------------------------------------ helpers

    /** A kind's market without the spot prices, which move with the clock. */
    private JsonNode book(String kind) {
        ObjectNode m = (ObjectNode) world.market(kind);
        m.remove(List.of("spotPrice", "urgentPrice"));
        return m;
    }

    private static void awaitState(Http t, String claimId, String state) {
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            Http.Answer a = t.get("/v1/claims/" + claimId);
            assertThat(a.text("state")).as(a.toString()).isEqualTo(state);
        });
    }
}
