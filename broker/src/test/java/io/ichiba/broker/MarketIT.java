package io.ichiba.broker;

import com.fasterxml.jackson.databind.JsonNode;
import io.ichiba.api.Model;
import io.ichiba.api.client.IchibaClient;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The market over real HTTP on a cluster of two real brokers: the issue's team scenario end to end (offer, bid,
 * trade at the resting price, a claim granted on borrowed quota, a recall with notice, the preemption at the
 * deadline, and every credit movement to the unit); an urgent purchase under a full queue; claims that buy from
 * the house and that borrow on the book; cancel and expiry; isolation (law 9); the market view and its history;
 * every mutating market call retried with its {@code Idempotency-Key} on both members, and again after the stored
 * answers were forgotten (law 5). The audit is clean and the credits add up after each (law 4).
 *
 * <p>The brokers run with {@link MarketBrokers#fixedRules()}: compensation 3 per preempted grant, spot floor 7 over a
 * node so large that utilisation stays under the knee (so the spot price is 7 and the urgent price 11), a smoothing
 * window of 1 ms. The bad-input table of the market is {@link MarketBadInputIT}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MarketIT {
    private static final String KEY = "Idempotency-Key";
    private static final long COMPENSATION = MarketBrokers.COMPENSATION;
    private static final long FLOOR = MarketBrokers.FLOOR;
    private static final long URGENT = MarketBrokers.URGENT;
    private static final String MEMORY = "memory";

    private MarketBrokers cluster;
    private Broker broker;
    private Http op;
    private Http op2;
    private World world;
    private final Map<String, Http> tenants = new LinkedHashMap<>();

    @BeforeAll
    void start() throws Exception {
        cluster = new MarketBrokers(MarketBrokers.fixedRules());
        broker = cluster.start();
        op = TestBrokers.operator(broker);
        op2 = TestBrokers.operator(cluster.start());
        world = new World(op);
        // a node so large that no test moves utilisation past the knee: the spot price stays at the floor
        world.node(World.name("big"), 1_000_000_000L, 1_000_000_000L);
        // before the first node reported, the cluster had no capacity and the spot was the ceiling; the next
        // update (every 5 s) posts the floor
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                assertThat(world.market(MEMORY).get("spotPrice").asLong()).isEqualTo(FLOOR));
    }

    @AfterAll
    void stop() {
        cluster.close();
    }

    /**
     * Cancels what the test's tenants left resting (their claims' bids with the claims), so that no order of one
     * test trades with another's, even when a test failed half-way.
     */
    @AfterEach
    void cancelRestingOrders() {
        tenants.forEach((id, t) -> {
            JsonNode account = world.account(id);
            for (String side : List.of("offers", "bids")) {
                for (JsonNode o : account.path(side)) {
                    String orderId = o.get("id").asText();
                    if (!orderId.contains(":")) {
                        t.delete("/v1/market/" + side + "/" + orderId);
                    }
                }
            }
            for (String claim : World.ids(t.get("/v1/claims?state=QUEUED"))) {
                t.delete("/v1/claims/" + claim);
            }
        });
        tenants.clear();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(world.market(MEMORY).get("resting").asInt()).as("resting orders after the test").isZero());
    }

    /** Creates a tenant with a memory quota, remembered so that what it leaves resting is cancelled after the test. */
    private Http tenant(String id, long memory) {
        Http t = world.tenant(id, memory, 0);
        tenants.put(id, t);
        return t;
    }

    // ------------------------------------------------------------------ the team scenario

    @Test
    void theTeamScenarioTradesAtTheRestingPriceGrantsOnBorrowedQuotaAndRecallsWithNotice() {
        String a = World.name("team-a");
        String b = World.name("team-b");
        Http teamA = tenant(a, 16_384);
        Http teamB = tenant(b, 4096).at(op2.base()); // team-b talks to the other member
        world.mint(a, 100_000, null);
        world.mint(b, 100_000, null);
        String node = World.name("n");
        world.node(node, 16_384, 16_384);

        // team-a lends 8 GiB for 2 h at 3 or more
        Http.Answer offer = teamA.post("/v1/market/offers", World.offer(MEMORY, 8192, 7200, 3));
        assertThat(offer.status()).as(offer.toString()).isEqualTo(201);
        assertThat(offer.text("state")).isEqualTo("OPEN");
        assertThat(offer.text("side")).isEqualTo("OFFER");
        assertThat(offer.text("tenant")).isEqualTo(a);
        assertThat(offer.body().get("price").asLong()).isEqualTo(3);
        assertThat(offer.body().get("filled").asLong()).isZero();
        assertThat(offer.body().get("fills")).isEmpty();
        String offerId = offer.text("id");
        JsonNode accountA = world.account(a);
        assertThat(World.amountOf(accountA, "offered", MEMORY)).isEqualTo(8192);
        assertThat(ids(accountA.get("offers"))).containsExactly(offerId);

        // team-b bids for 4 GiB for 1 h at 5 or less: the trade is at the resting offer's price, 3
        Http.Answer bid = teamB.post("/v1/market/bids", World.bid(MEMORY, 4096, 3600, 5));
        assertThat(bid.status()).as(bid.toString()).isEqualTo(201);
        assertThat(bid.text("state")).isEqualTo("FILLED");
        assertThat(bid.body().get("filled").asLong()).isEqualTo(4096);
        long hold = 5L * 4096; // maxPrice × amount × 1 h
        long cost = 3L * 4096;
        assertThat(bid.body().get("hold").asLong()).isEqualTo(hold);
        assertThat(bid.body().get("spent").asLong()).isEqualTo(cost);
        assertThat(bid.body().get("fills")).hasSize(1);
        JsonNode fill = bid.body().get("fills").get(0);
        assertThat(fill.get("price").asLong()).isEqualTo(3);
        assertThat(fill.get("amount").asLong()).isEqualTo(4096);
        assertThat(fill.get("cost").asLong()).isEqualTo(cost);
        String loanId = fill.get("loan").asText();

        JsonNode loan = teamB.get("/v1/loans/" + loanId).body();
        assertThat(loan.get("lender").asText()).isEqualTo(a);
        assertThat(loan.get("borrower").asText()).isEqualTo(b);
        assertThat(loan.get("amount").asLong()).isEqualTo(4096);
        assertThat(loan.get("price").asLong()).isEqualTo(3);
        assertThat(loan.get("cost").asLong()).isEqualTo(cost);
        assertThat(loan.get("state").asText()).isEqualTo("ACTIVE");
        assertThat(millis(loan, "endsAt") - millis(loan, "startedAt")).as("the bid's term").isEqualTo(3_600_000);
        assertThat(teamA.get("/v1/loans/" + loanId).body()).as("the lender sees the same loan").isEqualTo(loan);
        assertThat(ids(teamB.get("/v1/loans").body().get("items"))).contains(loanId);

        Http.Answer offerNow = teamA.get("/v1/market/offers/" + offerId);
        assertThat(offerNow.text("state")).isEqualTo("PARTIALLY_FILLED");
        assertThat(offerNow.body().get("filled").asLong()).isEqualTo(4096);
        assertThat(offerNow.body().get("fills").get(0).get("loan").asText()).isEqualTo(loanId);

        JsonNode accountB = teamB.get("/v1/tenants/" + b + "/account").body();
        assertThat(World.amountOf(accountB, "borrowed", MEMORY)).isEqualTo(4096);
        assertThat(accountB.get("balance").asLong()).as("only the cost stays in escrow").isEqualTo(100_000 - cost);
        accountA = world.account(a);
        assertThat(World.amountOf(accountA, "lent", MEMORY)).isEqualTo(4096);
        assertThat(World.amountOf(accountA, "offered", MEMORY)).as("the offer's unfilled rest").isEqualTo(4096);
        world.assertCreditsClean();

        // team-b's claim over its own quota is granted on the borrowed quota
        Http.Answer claim = teamB.post("/v1/claims", World.claim(6000, 0, List.of(), 1, 600, node));
        assertThat(claim.status()).as(claim.toString()).isEqualTo(201);
        String claimId = claim.text("id");
        awaitState(teamB, claimId, "GRANTED");
        assertThat(world.pool("memory@" + node).get("granted").asLong()).isEqualTo(6000);

        // team-a recalls with 2 s of notice: the claim is told at once
        Http.Answer recall = teamA.post("/v1/loans/" + loanId + "/recall", Map.of("noticeSeconds", 2));
        assertThat(recall.status()).as(recall.toString()).isEqualTo(200);
        assertThat(recall.text("state")).isEqualTo("RECALLING");
        long deadline = millis(recall.body(), "recallDeadline");
        assertThat(deadline).isBetween(System.currentTimeMillis() - 1000, System.currentTimeMillis() + 2000);
        Http.Answer noticed = teamB.get("/v1/claims/" + claimId);
        assertThat(noticed.text("state")).isEqualTo("GRANTED");
        assertThat(noticed.text("reason")).isEqualTo("PREEMPT_NOTICE");
        assertThat(millis(noticed.body(), "preemptAt")).isEqualTo(deadline);

        // at the deadline the claim is preempted and its tokens return
        Http.Answer preempted = awaitState(teamB, claimId, "PREEMPTED");
        assertThat(preempted.text("reason")).isEqualTo("RECALL");
        assertThat(millis(preempted.body(), "endedAt")).isGreaterThanOrEqualTo(deadline);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(world.pool("memory@" + node).get("granted").asLong()).isZero());
        JsonNode ended = awaitLoan(teamA, loanId, "ENDED");
        assertThat(ended.get("endReason").asText()).isEqualTo("RECALL");
        assertThat(ended.get("preempted")).extracting(JsonNode::asText).containsExactly(claimId);
        assertThat(millis(ended, "endedAt")).as("served up to the deadline").isEqualTo(deadline);

        // what escrow paid out: the lender earned the time served less the compensation, the borrower the rest
        long earned = earned(ended);
        long compensation = Math.min(earned, COMPENSATION);
        assertThat(earned).as("2 s and more of an hour's 12288").isPositive().isGreaterThan(compensation);
        assertThat(World.amountOf(world.account(b), "borrowed", MEMORY)).isZero();
        assertThat(World.amountOf(world.account(a), "lent", MEMORY)).isZero();

        // the rest of the offer is cancelled: its earmark returns
        Http.Answer cancelled = teamA.delete("/v1/market/offers/" + offerId);
        assertThat(cancelled.status()).as(cancelled.toString()).isEqualTo(200);
        assertThat(cancelled.text("state")).isEqualTo("CANCELLED");
        assertThat(cancelled.body().get("filled").asLong()).isEqualTo(4096);
        accountA = world.account(a);
        assertThat(World.amountOf(accountA, "offered", MEMORY)).isZero();
        assertThat(accountA.get("offers")).isEmpty();

        assertThat(lines(world.statement(a))).containsExactly("MINT 100000",
                "LOAN_SETTLEMENT " + (earned - compensation));
        assertThat(lines(world.statement(b))).containsExactly("MINT 100000", "BID_HOLD " + -hold,
                "BID_RELEASE " + (hold - cost), "COMPENSATION " + compensation, "LOAN_REFUND " + (cost - earned));
        assertThat(world.account(a).get("balance").asLong()).isEqualTo(100_000 + earned - compensation);
        assertThat(world.account(b).get("balance").asLong()).isEqualTo(100_000 - earned + compensation);
        world.assertCreditsClean();
        world.assertAuditClean();
    }

    // ------------------------------------------------------------------ urgent purchases

    @Test
    void anUrgentPurchaseUnderAFullQueueIsGrantedFirstPreemptsAGrantAndPaysThePremiumAndTheCompensation() {
        String node = World.name("n");
        world.node(node, 8192, 8192);
        String victim = World.name("victim");
        String hurried = World.name("hurried");
        Http v = tenant(victim, 65_536);
        Http h = tenant(hurried, 4096).at(op2.base());
        world.mint(victim, 1000, null);
        world.mint(hurried, 100_000, null);

        String full = v.post("/v1/claims", World.claim(8192, 0, List.of(), 1, 600, node)).text("id");
        awaitState(v, full, "GRANTED");
        List<String> queued = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Http.Answer q = v.post("/v1/claims", World.claim(1000, 0, List.of(), 50, 600, node));
            assertThat(q.status()).as(q.toString()).isEqualTo(201);
            queued.add(q.text("id"));
        }
        for (String q : queued) {
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(v.get("/v1/claims/" + q).text("reason")).isEqualTo("INSUFFICIENT_CAPACITY"));
        }

        JsonNode market = world.market(MEMORY);
        assertThat(market.get("spotPrice").asLong()).isEqualTo(FLOOR);
        long urgentPrice = market.get("urgentPrice").asLong();
        assertThat(urgentPrice).isEqualTo(URGENT);
        Http.Answer urgent = h.post("/v1/claims", World.fundedClaim(2048, 0, 1800, node, "BUY", 0, true));
        assertThat(urgent.status()).as(urgent.toString()).isEqualTo(201);
        assertThat(urgent.body().path("funding").path("urgent").asBoolean()).isTrue();
        String urgentId = urgent.text("id");
        Http.Answer granted = awaitState(h, urgentId, "GRANTED");
        Http.Answer victimClaim = awaitState(v, full, "PREEMPTED");
        assertThat(victimClaim.text("reason")).isEqualTo("URGENT");
        long urgentGrantedAt = millis(granted.body(), "grantedAt");
        for (String q : queued) {
            Http.Answer after = awaitState(v, q, "GRANTED");
            assertThat(millis(after.body(), "grantedAt")).as("granted after the urgent claim")
                    .isGreaterThanOrEqualTo(urgentGrantedAt);
        }
        assertThat(world.pool("memory@" + node).get("granted").asLong()).isEqualTo(2048 + 3000);

        long cost = ceilDiv(urgentPrice * 2048 * 1800, 3600);
        assertThat(lines(world.statement(hurried))).containsExactlyInAnyOrder("MINT 100000", "PURCHASE " + -cost,
                "COMPENSATION " + -COMPENSATION);
        assertThat(lines(world.statement(victim))).containsExactly("MINT 1000", "COMPENSATION " + COMPENSATION);
        assertThat(world.account(hurried).get("balance").asLong()).isEqualTo(100_000 - cost - COMPENSATION);
        assertThat(world.account(victim).get("balance").asLong()).isEqualTo(1000 + COMPENSATION);
        List<JsonNode> bought = items(h.get("/v1/loans"));
        assertThat(bought).hasSize(1);
        assertThat(bought.get(0).get("lender").asText()).isEqualTo("house");
        assertThat(bought.get(0).get("amount").asLong()).isEqualTo(2048);
        assertThat(bought.get(0).get("price").asLong()).isEqualTo(urgentPrice);
        assertThat(bought.get(0).get("cost").asLong()).isEqualTo(cost);
        assertThat(World.amountOf(world.account(hurried), "borrowed", MEMORY)).isEqualTo(2048);

        release(h, urgentId);
        queued.forEach(q -> release(v, q));
        world.assertCreditsClean();
        world.assertAuditClean();
    }

    // ------------------------------------------------------------------ claims that buy or borrow

    @Test
    void aBuyClaimOverItsQuotaPaysTheSpotPriceForTheMissingPartAndWaitsWhenTheSpotIsAboveItsCap() {
        String id = World.name("buyer");
        Http t = tenant(id, 4096);
        world.mint(id, 100_000, null);
        String node = World.name("n");
        world.node(node, 16_384, 16_384);
        long spot = world.market(MEMORY).get("spotPrice").asLong();
        assertThat(spot).isEqualTo(FLOOR);

        Http.Answer c = t.post("/v1/claims", World.fundedClaim(5096, 1, 600, node, "BUY", 0, false));
        assertThat(c.status()).as(c.toString()).isEqualTo(201);
        assertThat(c.body().path("funding").path("mode").asText()).isEqualTo("BUY");
        String claimId = c.text("id");
        awaitState(t, claimId, "GRANTED");

        long cost = ceilDiv(spot * 1000 * 600, 3600);
        assertThat(lines(world.statement(id))).containsExactly("MINT 100000", "PURCHASE " + -cost);
        assertThat(world.account(id).get("balance").asLong()).isEqualTo(100_000 - cost);
        List<JsonNode> loans = items(t.get("/v1/loans"));
        assertThat(loans).hasSize(1);
        JsonNode house = loans.get(0);
        assertThat(house.get("lender").asText()).isEqualTo("house");
        assertThat(house.get("borrower").asText()).isEqualTo(id);
        assertThat(house.get("amount").asLong()).as("only what the quota lacks").isEqualTo(1000);
        assertThat(house.get("price").asLong()).isEqualTo(spot);
        assertThat(house.get("cost").asLong()).isEqualTo(cost);
        assertThat(millis(house, "endsAt") - millis(house, "startedAt")).as("for the lease").isEqualTo(600_000);
        assertThat(World.amountOf(world.account(id), "borrowed", MEMORY)).isEqualTo(1000);

        // a claim whose cap is under the spot price waits for the price, and buys nothing
        Http.Answer capped = t.post("/v1/claims", World.fundedClaim(2000, 1, 600, node, "BUY", spot - 2, false));
        assertThat(capped.status()).as(capped.toString()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            Http.Answer w = t.get("/v1/claims/" + capped.text("id"));
            assertThat(w.text("state")).isEqualTo("QUEUED");
            assertThat(w.text("reason")).isEqualTo("PRICE");
        });
        assertThat(t.delete("/v1/claims/" + capped.text("id")).text("state")).isEqualTo("CANCELLED");
        assertThat(world.account(id).get("balance").asLong()).isEqualTo(100_000 - cost);

        release(t, claimId);
        world.assertCreditsClean();
        world.assertAuditClean();
    }

    @Test
    void aBorrowClaimBidsForWhatItsQuotaLacksAndIsGrantedOnceAnOfferFillsTheBid() {
        String borrower = World.name("borrower");
        String lender = World.name("lender");
        Http t = tenant(borrower, 4096);
        Http l = tenant(lender, 16_384).at(op2.base());
        world.mint(borrower, 100_000, null);
        String node = World.name("n");
        world.node(node, 16_384, 16_384);

        Http.Answer c = t.post("/v1/claims", World.fundedClaim(6096, 1, 600, node, "BORROW", 4, false));
        assertThat(c.status()).as(c.toString()).isEqualTo(201);
        String claimId = c.text("id");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(t.get("/v1/claims/" + claimId).text("reason")).isEqualTo("QUOTA"));
        JsonNode account = world.account(borrower);
        assertThat(account.get("bids")).hasSize(1);
        JsonNode bid = account.get("bids").get(0);
        assertThat(bid.get("kind").asText()).isEqualTo(MEMORY);
        assertThat(bid.get("amount").asLong()).as("what the quota lacks").isEqualTo(2000);
        assertThat(bid.get("price").asLong()).isEqualTo(4);
        assertThat(bid.get("state").asText()).isEqualTo("OPEN");
        long hold = ceilDiv(4L * 2000 * 600, 3600);
        assertThat(account.get("balance").asLong()).isEqualTo(100_000 - hold);

        // an offer fills the resting bid, at the bid's price (the resting order's)
        Http.Answer offer = l.post("/v1/market/offers", World.offer(MEMORY, 2000, 3600, 3));
        assertThat(offer.status()).as(offer.toString()).isEqualTo(201);
        assertThat(offer.text("state")).isEqualTo("FILLED");
        JsonNode fill = offer.body().get("fills").get(0);
        assertThat(fill.get("price").asLong()).isEqualTo(4);
        awaitState(t, claimId, "GRANTED");
        JsonNode loan = t.get("/v1/loans/" + fill.get("loan").asText()).body();
        assertThat(loan.get("borrower").asText()).isEqualTo(borrower);
        assertThat(loan.get("lender").asText()).isEqualTo(lender);
        assertThat(millis(loan, "endsAt") - millis(loan, "startedAt")).as("for the lease").isEqualTo(600_000);
        assertThat(World.amountOf(world.account(borrower), "borrowed", MEMORY)).isEqualTo(2000);
        assertThat(world.account(borrower).get("bids")).isEmpty();
        assertThat(World.amountOf(world.account(lender), "lent", MEMORY)).isEqualTo(2000);
        long cost = fill.get("cost").asLong();
        List<String> expected = new ArrayList<>(List.of("MINT 100000", "BID_HOLD " + -hold));
        if (hold > cost) {
            expected.add("BID_RELEASE " + (hold - cost));
        }
        assertThat(lines(world.statement(borrower))).containsExactlyElementsOf(expected);

        release(t, claimId);
        world.assertCreditsClean();
        world.assertAuditClean();
    }

    /**
     * A BORROW claim is refused as a whole when one of its bids cannot be put up (409 INSUFFICIENT_CREDIT): then it
     * must have borrowed nothing, not even on a bid of another kind that was placed, and filled, before the refusal.
     */
    @Test
    void aBorrowClaimRefusedAsAWholeBorrowsNothing() {
        String borrower = World.name("borrower");
        Http t = tenant(borrower, 1024);
        world.mint(borrower, 1000, null);
        String lender = World.name("lender");
        Http l = world.tenant(lender, 0, 4096);
        tenants.put(lender, l);
        assertThat(l.post("/v1/market/offers", World.offer("disk", 500, 3600, 1)).status()).isEqualTo(201);

        // disk is bid for first (500 at 1 for an hour: 500, affordable, and it fills at once); memory's bid (2000 at 1
        // for an hour) is not, so the claim is refused
        Map<String, Object> claim = World.fundedClaim(3024, 0, 3600, null, "BORROW", 1, false);
        claim.put("bundle", Map.of(MEMORY, 3024, "disk", 500));
        Http.Answer refused = t.post("/v1/claims", claim);
        assertThat(refused.status()).as(refused.toString()).isEqualTo(409);
        assertThat(refused.text("code")).isEqualTo("INSUFFICIENT_CREDIT");
        SoftAssertions soft = new SoftAssertions();
        soft.assertThat(items(t.get("/v1/loans?all=true"))).as("loans of the refused claim's tenant").isEmpty();
        JsonNode account = world.account(borrower);
        soft.assertThat(World.amountOf(account, "borrowed", "disk")).as("disk borrowed").isZero();
        soft.assertThat(account.get("balance").asLong()).as("balance").isEqualTo(1000);
        soft.assertThat(lines(world.statement(borrower))).as("statement").containsExactly("MINT 1000");
        soft.assertAll();
    }

    /**
     * A BORROW claim's bid is listed in its tenant's account by an id that {@code GET /v1/market/bids/{id}} takes
     * (it once did not match the contract's {@code OrderId} pattern, and was answered 400).
     */
    @Test
    void aBorrowClaimsBidCanBeReadByTheIdItsAccountLists() {
        String borrower = World.name("borrower");
        Http t = tenant(borrower, 1024);
        world.mint(borrower, 100_000, null);
        Http.Answer c = t.post("/v1/claims", World.fundedClaim(2024, 1, 60, null, "BORROW", 1, false));
        assertThat(c.status()).as(c.toString()).isEqualTo(201);
        String bidId = world.account(borrower).get("bids").get(0).get("id").asText();
        try {
            Http.Answer read = t.get("/v1/market/bids/" + bidId);
            assertThat(read.status()).as("GET /v1/market/bids/" + bidId + " -> " + read).isEqualTo(200);
            assertThat(read.text("claim")).isEqualTo(c.text("id"));
        } finally {
            t.delete("/v1/claims/" + c.text("id"));
        }
    }

    /**
     * A bid's hold is the most it can cost ({@code maxPrice × amount × duration / 3600}, rounded up once), so what
     * its fills cost may never exceed it; each fill is rounded up on its own, so a bid filled in several pieces must
     * not spend more than it put in escrow, and the lender must not be paid more than the borrower paid.
     */
    @Test
    void aBidFilledInPiecesNeverSpendsMoreThanItsHold() {
        String lender = World.name("lender");
        String borrower = World.name("borrower");
        Http l = tenant(lender, 16_384);
        Http b = tenant(borrower, 4096);
        world.mint(borrower, 1000, null);
        for (int i = 0; i < 3; i++) {
            assertThat(l.post("/v1/market/offers", World.offer(MEMORY, 1, 1, 1)).status()).isEqualTo(201);
        }
        Http.Answer bid = b.post("/v1/market/bids", World.bid(MEMORY, 3, 1, 1));
        assertThat(bid.text("state")).as(bid.toString()).isEqualTo("FILLED");
        assertThat(bid.body().get("fills")).hasSize(3);
        long hold = bid.body().get("hold").asLong();
        assertThat(hold).as("⌈1 × 3 × 1 / 3600⌉").isEqualTo(1);
        SoftAssertions soft = new SoftAssertions();
        soft.assertThat(bid.body().get("spent").asLong()).as("what the fills cost, against the hold: " + bid)
                .isLessThanOrEqualTo(hold);
        // the one-second loans end; the lender must have earned what the borrower paid, and no more
        await().atMost(Duration.ofSeconds(10)).until(() -> items(b.get("/v1/loans")).isEmpty());
        long paid = 1000 - world.account(borrower).get("balance").asLong();
        long earned = world.account(lender).get("balance").asLong();
        soft.assertThat(earned).as("escrow paid the lender %s for a bid that put %s in", earned, paid)
                .isEqualTo(paid);
        soft.assertAll();
    }

    // ------------------------------------------------------------------ cancel and expiry

    @Test
    void cancelAndExpiryGiveBackTheEarmarkAndTheUnspentHold() {
        String id = World.name("t");
        Http t = tenant(id, 16_384);
        world.mint(id, 100_000, null);

        Http.Answer offer = t.post("/v1/market/offers", World.offer(MEMORY, 1000, 3600, 900));
        Http.Answer bid = t.post("/v1/market/bids", World.bid(MEMORY, 1000, 3600, 1));
        assertThat(offer.status()).as(offer.toString()).isEqualTo(201);
        assertThat(bid.status()).as(bid.toString()).isEqualTo(201);
        JsonNode account = world.account(id);
        assertThat(World.amountOf(account, "offered", MEMORY)).isEqualTo(1000);
        assertThat(account.get("balance").asLong()).isEqualTo(100_000 - 1000);
        assertThat(ids(account.get("bids"))).containsExactly(bid.text("id"));

        Http.Answer co = t.delete("/v1/market/offers/" + offer.text("id"));
        Http.Answer cb = t.at(op2.base()).delete("/v1/market/bids/" + bid.text("id"));
        assertThat(co.text("state")).as(co.toString()).isEqualTo("CANCELLED");
        assertThat(cb.text("state")).as(cb.toString()).isEqualTo("CANCELLED");
        assertThat(cb.body().get("spent").asLong()).isZero();
        account = world.account(id);
        assertThat(World.amountOf(account, "offered", MEMORY)).isZero();
        assertThat(account.get("balance").asLong()).isEqualTo(100_000);
        assertThat(account.get("offers")).isEmpty();
        assertThat(account.get("bids")).isEmpty();
        // cancelling again answers the order as it is and gives back nothing more
        assertThat(t.delete("/v1/market/bids/" + bid.text("id")).body()).isEqualTo(cb.body());

        // orders that expire give back the same
        String soon = Instant.now().plusMillis(1500).truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString();
        Map<String, Object> o = World.offer(MEMORY, 2000, 3600, 900);
        o.put("goodUntil", soon);
        Map<String, Object> b = World.bid(MEMORY, 2000, 3600, 1);
        b.put("goodUntil", soon);
        Http.Answer expiringOffer = t.post("/v1/market/offers", o);
        Http.Answer expiringBid = t.post("/v1/market/bids", b);
        assertThat(expiringOffer.status()).as(expiringOffer.toString()).isEqualTo(201);
        assertThat(expiringBid.status()).as(expiringBid.toString()).isEqualTo(201);
        assertThat(Instant.parse(expiringOffer.text("goodUntil"))).isEqualTo(Instant.parse(soon));
        assertThat(World.amountOf(world.account(id), "offered", MEMORY)).isEqualTo(2000);
        assertThat(world.account(id).get("balance").asLong()).isEqualTo(100_000 - 2000);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(t.get("/v1/market/offers/" + expiringOffer.text("id")).text("state")).isEqualTo("EXPIRED");
            assertThat(t.get("/v1/market/bids/" + expiringBid.text("id")).text("state")).isEqualTo("EXPIRED");
            JsonNode after = world.account(id);
            assertThat(World.amountOf(after, "offered", MEMORY)).isZero();
            assertThat(after.get("balance").asLong()).isEqualTo(100_000);
        });
        assertThat(lines(world.statement(id))).containsExactly("MINT 100000", "BID_HOLD -1000", "BID_RELEASE 1000",
                "BID_HOLD -2000", "BID_RELEASE 2000");
        world.assertCreditsClean();
    }

    // ------------------------------------------------------------------ isolation

    @Test
    void ordersAndLoansAreTheirOwnersAndOnlyTheLenderRecalls() {
        String a = World.name("a");
        String b = World.name("b");
        Http lender = tenant(a, 16_384);
        Http borrower = tenant(b, 4096);
        Http other = tenant(World.name("c"), 4096);
        world.mint(b, 100_000, null);
        Http agent = world.node(World.name("n"), 1024, 1024);

        Http.Answer offer = lender.post("/v1/market/offers", World.offer(MEMORY, 1000, 3600, 800));
        Http.Answer bid = borrower.post("/v1/market/bids", World.bid(MEMORY, 1000, 3600, 1));
        String offerPath = "/v1/market/offers/" + offer.text("id");
        String bidPath = "/v1/market/bids/" + bid.text("id");
        for (Http stranger : List.of(other, borrower)) {
            assertProblem(stranger.get(offerPath), 404);
            assertProblem(stranger.delete(offerPath), 404);
        }
        assertProblem(other.get(bidPath), 404);
        assertProblem(other.delete(bidPath), 404);
        assertProblem(lender.get("/v1/market/bids/" + offer.text("id")), 404); // an offer is no bid
        assertProblem(op.delete(offerPath), 404); // only its owner cancels
        assertThat(op.get(offerPath).status()).as("the operator reads every order").isEqualTo(200);
        assertThat(lender.get(offerPath).text("state")).isEqualTo("OPEN");

        // a trade between a and b at the offer's 800
        Http.Answer borrow = borrower.post("/v1/market/bids", World.bid(MEMORY, 500, 600, 810));
        assertThat(borrow.text("state")).as(borrow.toString()).isEqualTo("FILLED");
        assertThat(borrow.body().get("fills").get(0).get("price").asLong()).isEqualTo(800);
        String loanPath = "/v1/loans/" + borrow.body().get("fills").get(0).get("loan").asText();
        assertProblem(other.get(loanPath), 404);
        assertThat(items(other.get("/v1/loans?all=true"))).isEmpty();
        assertProblem(other.post(loanPath + "/recall", Map.of("noticeSeconds", 0)), 404);
        assertProblem(borrower.post(loanPath + "/recall", Map.of("noticeSeconds", 0)), 403);
        assertProblem(op.post(loanPath + "/recall", Map.of("noticeSeconds", 0)), 403);
        assertProblem(agent.get("/v1/loans"), 403);
        assertProblem(agent.get(loanPath), 404);
        assertProblem(agent.post("/v1/market/offers", World.offer(MEMORY, 1, 60, 1)), 403);
        assertProblem(op.post("/v1/market/bids", World.bid(MEMORY, 1, 60, 1)), 403);
        assertThat(op.get(loanPath).text("state")).isEqualTo("ACTIVE");
        assertThat(borrower.get(loanPath).text("state")).isEqualTo("ACTIVE");

        // the lender recalls without notice: the loan ends at once, the borrower is refunded the unserved part
        Http.Answer recalled = lender.post(loanPath + "/recall", Map.of("noticeSeconds", 0));
        assertThat(recalled.status()).as(recalled.toString()).isEqualTo(200);
        assertThat(recalled.text("state")).isEqualTo("ENDED");
        assertThat(recalled.text("endReason")).isEqualTo("RECALL");
        assertThat(recalled.body().get("preempted")).isEmpty();
        long earned = earned(recalled.body());
        long cost = recalled.body().get("cost").asLong();
        assertThat(cost).isEqualTo(ceilDiv(800L * 500 * 600, 3600));
        assertThat(world.account(a).get("balance").asLong()).as("nothing preempted, nothing compensated")
                .isEqualTo(earned);
        assertThat(world.account(b).get("balance").asLong()).isEqualTo(100_000 - 1000 - earned);
        assertThat(lender.post(loanPath + "/recall", Map.of("noticeSeconds", 0)).status())
                .as("an ended loan is not recalled again").isEqualTo(409);

        lender.delete(offerPath);
        borrower.delete(bidPath);
        world.assertCreditsClean();
    }

    // ------------------------------------------------------------------ the market view and its history

    @Test
    void theMarketViewShowsDepthSpotAndTheLastTradeAndTheHistoryShowsSpotAndTrades() {
        String a = World.name("a");
        String b = World.name("b");
        Http seller = tenant(a, 16_384);
        Http buyer = tenant(b, 4096);
        world.mint(b, 5_000_000, null);
        List<Http.Answer> orders = List.of(
                seller.post("/v1/market/offers", World.offer(MEMORY, 700, 3600, 940)),
                seller.post("/v1/market/offers", World.offer(MEMORY, 300, 3600, 950)),
                seller.post("/v1/market/offers", World.offer(MEMORY, 100, 3600, 950)),
                buyer.post("/v1/market/bids", World.bid(MEMORY, 400, 3600, 2)));
        orders.forEach(o -> assertThat(o.status()).as(o.toString()).isEqualTo(201));

        JsonNode m = op2.get("/v1/market/memory?levels=100").body();
        assertThat(m.get("kind").asText()).isEqualTo(MEMORY);
        assertThat(m.get("spotPrice").asLong()).isEqualTo(FLOOR);
        assertThat(m.get("urgentPrice").asLong()).isEqualTo(URGENT);
        assertThat(levels(m.get("offers"))).containsEntry(940L, "700/1").containsEntry(950L, "400/2");
        assertThat(levels(m.get("bids"))).containsEntry(2L, "400/1");
        assertThat(m.get("resting").asInt()).isGreaterThanOrEqualTo(4);
        JsonNode top = buyer.get("/v1/market/memory?levels=1").body();
        assertThat(top.get("offers").size()).isLessThanOrEqualTo(1);
        assertThat(top.get("bids").size()).isLessThanOrEqualTo(1);

        long before = System.currentTimeMillis() - 1;
        Http.Answer taker = buyer.post("/v1/market/bids", World.bid(MEMORY, 1100, 3600, 950));
        assertThat(taker.text("state")).as(taker.toString()).isEqualTo("FILLED");
        assertThat(taker.body().get("fills")).extracting(f -> f.get("price").asLong())
                .containsExactly(940L, 950L, 950L);
        JsonNode after = world.market(MEMORY);
        assertThat(after.get("lastTradePrice").asLong()).isEqualTo(950);
        assertThat(millis(after, "lastTradeAt")).isGreaterThanOrEqualTo(before);
        assertThat(levels(after.get("offers"))).doesNotContainKeys(940L, 950L);

        String from = Instant.ofEpochMilli(before).toString();
        String to = Instant.now().plusSeconds(1).toString();
        JsonNode window = buyer.get("/v1/market/memory/history?from=" + from + "&to=" + to + "&step=60").body();
        assertThat(window.get("kind").asText()).isEqualTo(MEMORY);
        assertThat(window.get("stepSeconds").asLong()).isEqualTo(60);
        assertThat(window.get("buckets")).hasSize(1);
        JsonNode bucket = window.get("buckets").get(0);
        assertThat(bucket.get("trades").asInt()).isEqualTo(3);
        assertThat(bucket.get("volume").asLong()).isEqualTo(1100);
        assertThat(bucket.get("lastTradePrice").asLong()).isEqualTo(950);
        JsonNode hour = op.get("/v1/market/memory/history?step=3600").body();
        assertThat(hour.get("buckets")).hasSize(1);
        JsonNode h = hour.get("buckets").get(0);
        assertThat(h.get("spotSamples").asInt()).as("a spot sample every 5 s").isPositive();
        assertThat(h.get("close").asLong()).isEqualTo(FLOOR);
        assertThat(h.get("low").asLong()).isEqualTo(FLOOR);
        assertThat(h.get("trades").asInt()).isGreaterThanOrEqualTo(3);

        // the Java client reads the same answers
        IchibaClient client = IchibaClient.builder(op.base()).token(buyer.token()).build();
        Model.Market viewed = client.market(MEMORY, 100);
        assertThat(viewed.spotPrice()).isEqualTo(FLOOR);
        assertThat(viewed.lastTradePrice()).isEqualTo(950L);
        Model.MarketHistory history = client.marketHistory(MEMORY, Instant.ofEpochMilli(before), Instant.parse(to), 60);
        assertThat(history.buckets()).hasSize(1);
        assertThat(history.buckets().get(0).trades()).isEqualTo(3);
        assertThat(client.loans(false)).hasSize(3);
        assertThat(client.bid(taker.text("id")).fills()).hasSize(3);

        assertProblem(buyer.get("/v1/market/" + World.name("nokind")), 404);
        buyer.delete("/v1/market/bids/" + orders.get(3).text("id"));
        world.assertCreditsClean();
    }

    // ------------------------------------------------------------------ law 5

    @Test
    void everyMutatingMarketCallRetriedWithItsKeyOnEitherMemberHasOneEffectAndTheSameAnswer() {
        String a = World.name("a");
        String b = World.name("b");
        Http lender = tenant(a, 16_384);
        Http borrower = tenant(b, 4096);
        world.mint(b, 1_000_000, null);
        String node = World.name("n");
        world.node(node, 16_384, 16_384);
        Http lender2 = lender.at(op2.base());
        Http borrower2 = borrower.at(op2.base());

        // an offer: earmarked once; a bid: held once
        Sent offer = once(lender, lender2, "POST", "/v1/market/offers", World.offer(MEMORY, 600, 3600, 970), 201,
                () -> world.account(a));
        assertThat(World.amountOf(world.account(a), "offered", MEMORY)).isEqualTo(600);
        Sent bid = once(borrower, borrower2, "POST", "/v1/market/bids", World.bid(MEMORY, 600, 3600, 2), 201,
                () -> world.account(b));
        assertThat(world.account(b).get("balance").asLong()).isEqualTo(1_000_000 - 1200);
        // cancels: given back once
        once(lender, lender2, "DELETE", "/v1/market/offers/" + offer.id(), null, 200, () -> world.account(a));
        once(borrower, borrower2, "DELETE", "/v1/market/bids/" + bid.id(), null, 200, () -> world.account(b));
        assertThat(world.account(b).get("balance").asLong()).isEqualTo(1_000_000);
        assertThat(World.amountOf(world.account(a), "offered", MEMORY)).isZero();

        // a trade, then a recall
        Sent rest = once(lender, lender2, "POST", "/v1/market/offers", World.offer(MEMORY, 300, 3600, 980), 201,
                () -> world.account(a));
        Sent taken = once(borrower, borrower2, "POST", "/v1/market/bids", World.bid(MEMORY, 300, 1800, 980), 201,
                () -> world.account(b));
        assertThat(taken.answer().text("state")).isEqualTo("FILLED");
        String loanId = taken.answer().body().get("fills").get(0).get("loan").asText();
        Sent recall = once(lender, lender2, "POST", "/v1/loans/" + loanId + "/recall", Map.of("noticeSeconds", 600),
                200, () -> op.get("/v1/loans/" + loanId).body());
        assertThat(recall.answer().text("state")).isEqualTo("RECALLING");

        // claims with funding: one purchase; one bid
        Sent buy = once(borrower, borrower2, "POST", "/v1/claims", World.fundedClaim(4596, 1, 600, node, "BUY", 0,
                false), 201, () -> world.account(b));
        awaitState(borrower, buy.id(), "GRANTED");
        assertThat(lines(world.statement(b))).filteredOn(l -> l.startsWith("PURCHASE")).hasSize(1);
        Sent borrow = once(borrower, borrower2, "POST", "/v1/claims", World.fundedClaim(9000, 1, 600, node, "BORROW",
                1, false), 201, () -> world.account(b));
        assertThat(world.account(b).get("bids")).hasSize(1);

        // the stored answers forgotten (as after their 24 h): the ids derived from the keys find what the first
        // runs made, and nothing is made, held or bought again
        int journal = journalSize();
        JsonNode accountA = world.account(a);
        JsonNode accountB = world.account(b);
        List<JsonNode> loans = world.loans();
        TestBrokers.forgetAll(broker, "idempotency");
        for (Sent s : List.of(offer, bid, rest, taken, buy, borrow)) {
            Http.Answer again = s.caller().send(s.method(), s.path(), s.body(), Map.of(KEY, s.key()));
            assertThat(again.status()).as(again.toString()).isEqualTo(201);
            assertThat(again.headers().firstValue("Idempotent-Replayed")).isEmpty();
            assertThat(again.text("id")).isEqualTo(s.id());
        }
        assertThat(journalSize()).isEqualTo(journal);
        assertThat(world.account(a)).isEqualTo(accountA);
        assertThat(world.account(b)).isEqualTo(accountB);
        assertThat(world.loans()).isEqualTo(loans);

        release(borrower, buy.id());
        borrower.delete("/v1/claims/" + borrow.id());
        lender.delete("/v1/market/offers/" + rest.id());
        world.assertCreditsClean();
        world.assertAuditClean();
    }

    /** A request sent with an idempotency key, and its first answer. */
    private record Sent(Http caller, String method, String path, Object body, String key, Http.Answer answer) {
        String id() {
            return answer.text("id");
        }
    }

    /**
     * Sends a request with a fresh key on {@code first}'s member, then again with the same key on the same member
     * and on the other: the retries answer the first answer (marked replayed) and change nothing — neither
     * {@code state} nor the journal.
     */
    private Sent once(Http first, Http second, String method, String path, Object body, int status,
                      java.util.function.Supplier<JsonNode> state) {
        String key = World.name("key");
        Http.Answer a = first.send(method, path, body, Map.of(KEY, key));
        assertThat(a.status()).as(method + " " + path + " -> " + a).isEqualTo(status);
        JsonNode stateAfter = state.get();
        int journal = journalSize();
        for (Http retry : List.of(first, second, second)) {
            Http.Answer again = retry.send(method, path, body, Map.of(KEY, key));
            assertThat(again.status()).as("retry of " + method + " " + path + " -> " + again).isEqualTo(status);
            assertThat(again.body()).as("retry of " + method + " " + path).isEqualTo(a.body());
            assertThat(again.headers().firstValue("Idempotent-Replayed")).contains("true");
        }
        assertThat(state.get()).as("after the retries of " + method + " " + path).isEqualTo(stateAfter);
        assertThat(journalSize()).as("journal after the retries of " + method + " " + path).isEqualTo(journal);
        return new Sent(first, method, path, body, key, a);
    }

    // ------------------------------------------------------------------ helpers

    private int journalSize() {
        return TestBrokers.table(broker, "journal").entries().size();
    }

    private static Http.Answer awaitState(Http t, String claimId, String state) {
        Http.Answer[] last = new Http.Answer[1];
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            last[0] = t.get("/v1/claims/" + claimId);
            assertThat(last[0].text("state")).as(last[0].toString()).isEqualTo(state);
        });
        return last[0];
    }

    private static JsonNode awaitLoan(Http t, String loanId, String state) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            Http.Answer a = t.get("/v1/loans/" + loanId);
            last[0] = a.body();
            assertThat(a.text("state")).as(a.toString()).isEqualTo(state);
        });
        return last[0];
    }

    private static void release(Http t, String claimId) {
        Http.Answer r = t.post("/v1/claims/" + claimId + "/release", null);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
    }

    private static void assertProblem(Http.Answer a, int status) {
        assertThat(a.status()).as(a.toString()).isEqualTo(status);
        assertThat(a.isClientProblem()).as(a.toString()).isTrue();
    }

    private static long millis(JsonNode n, String field) {
        return Instant.parse(n.get(field).asText()).toEpochMilli();
    }

    /** What a loan earned its lender, as {@code Loan.earned()} computes it: cost × served / term, rounded down. */
    private static long earned(JsonNode loan) {
        long term = millis(loan, "endsAt") - millis(loan, "startedAt");
        long served = Math.max(0, Math.min(millis(loan, "endedAt"), millis(loan, "endsAt"))
                - millis(loan, "startedAt"));
        long cost = loan.get("cost").asLong();
        return served >= term ? cost : BigInteger.valueOf(cost).multiply(BigInteger.valueOf(served))
                .divide(BigInteger.valueOf(term)).longValueExact();
    }

    private static long ceilDiv(long a, long b) {
        return -Math.floorDiv(-a, b);
    }

    /** Statement lines as {@code "REASON amount"}. */
    private static List<String> lines(List<JsonNode> statement) {
        return statement.stream().map(l -> l.get("reason").asText() + " " + l.get("amount").asLong()).toList();
    }

    private static List<String> ids(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.get("id").asText()));
        return out;
    }

    private static List<JsonNode> items(Http.Answer a) {
        assertThat(a.status()).as(a.toString()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        a.body().get("items").forEach(out::add);
        return out;
    }

    /** Price levels as price → {@code "amount/orders"}. */
    private static Map<Long, String> levels(JsonNode side) {
        Map<Long, String> out = new TreeMap<>();
        side.forEach(l -> out.put(l.get("price").asLong(), l.get("amount").asLong() + "/" + l.get("orders").asInt()));
        return out;
    }
}
