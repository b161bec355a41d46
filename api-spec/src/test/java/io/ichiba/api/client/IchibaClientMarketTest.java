package io.ichiba.api.client;

import io.ichiba.api.Model;
import io.ichiba.api.Wire;
import io.ichiba.api.client.StubBroker.Answer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The market calls of {@link IchibaClient}: what each sends, and how it reads the answer. */
class IchibaClientMarketTest {
    private static final String OFFER = """
            {"id":"o-1","side":"OFFER","tenant":"team-a","kind":"memory","amount":8192,"filled":4096,
             "durationSeconds":7200,"price":3,"state":"PARTIALLY_FILLED","createdAt":"2025-01-02T03:04:05Z",
             "fills":[{"loan":"memory:1","amount":4096,"price":3,"cost":12288,"at":"2025-01-02T03:05:00Z"}],
             "someFutureField":1}""";
    private static final String BID = """
            {"id":"b-1","side":"BID","tenant":"team-b","kind":"memory","amount":4096,"filled":4096,
             "durationSeconds":3600,"price":5,"goodUntil":"2025-01-03T00:00:00Z","state":"FILLED","hold":20480,
             "spent":12288,"createdAt":"2025-01-02T03:05:00Z","endedAt":"2025-01-02T03:05:00Z",
             "fills":[{"loan":"memory:1","amount":4096,"price":3,"cost":12288}]}""";
    private static final String LOAN = """
            {"id":"memory:1","kind":"memory","lender":"team-a","borrower":"team-b","amount":4096,"price":3,
             "cost":12288,"state":"RECALLING","startedAt":"2025-01-02T03:05:00Z","endsAt":"2025-01-02T04:05:00Z",
             "recallDeadline":"2025-01-02T03:20:00Z","preempted":[]}""";
    private static final String MARKET = """
            {"kind":"memory","spotPrice":7,"urgentPrice":11,"lastTradePrice":3,"lastTradeAt":"2025-01-02T03:05:00Z",
             "bids":[{"price":2,"amount":400,"orders":1}],"offers":[{"price":3,"amount":4096,"orders":1}],
             "resting":2}""";
    private static final String HISTORY = """
            {"kind":"memory","from":"2025-01-02T03:00:00Z","to":"2025-01-02T04:00:00Z","stepSeconds":3600,
             "buckets":[{"start":"2025-01-02T03:00:00Z","end":"2025-01-02T04:00:00Z","spotSamples":720,"open":7,
                         "high":9,"low":7,"close":8,"trades":1,"volume":4096,"lastTradePrice":3}]}""";
    private static final String ACCOUNT = """
            {"tenant":"team-a","balance":0,"available":0,"creditLimit":0,"quota":{"memory":16384},
             "borrowed":{},"lent":{"memory":4096},"offered":{},"lendingLimit":{"memory":8192},"offers":[],"bids":[]}""";

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
    void placeOfferPostsTheOfferWithItsKeyAndReadsTheOrderAndItsFills() throws Exception {
        broker.answer(Answer.json(201, OFFER));

        Model.Order o = client.placeOffer(new Model.OfferCreate("memory", 8192, 7200, 3, null), "lend-1");

        StubBroker.Seen req = broker.next();
        assertThat(req.method()).isEqualTo("POST");
        assertThat(req.path()).isEqualTo("/v1/market/offers");
        assertThat(req.header("Idempotency-Key")).isEqualTo("lend-1");
        assertThat(Wire.JSON.readTree(req.body())).isEqualTo(Wire.JSON.readTree(
                "{\"kind\":\"memory\",\"amount\":8192,\"durationSeconds\":7200,\"minPrice\":3}"));
        assertThat(o.state()).isEqualTo("PARTIALLY_FILLED");
        assertThat(o.fills()).extracting(Model.Fill::loan).containsExactly("memory:1");
        assertThat(o.fills().get(0).cost()).isEqualTo(12288);
        assertThat(o.hold()).isNull();
    }

    @Test
    void placeBidSendsGoodUntilAsAnRfc3339Time() throws Exception {
        broker.answer(Answer.json(201, BID));

        Model.Order b = client.placeBid(new Model.BidCreate("memory", 4096, 3600, 5,
                Instant.parse("2025-01-03T00:00:00Z")), null);

        StubBroker.Seen req = broker.next();
        assertThat(req.path()).isEqualTo("/v1/market/bids");
        assertThat(req.header("Idempotency-Key")).isNull();
        assertThat(Wire.JSON.readTree(req.body())).isEqualTo(Wire.JSON.readTree("{\"kind\":\"memory\",\"amount\":4096,"
                + "\"durationSeconds\":3600,\"maxPrice\":5,\"goodUntil\":\"2025-01-03T00:00:00Z\"}"));
        assertThat(b.hold()).isEqualTo(20480L);
        assertThat(b.spent()).isEqualTo(12288L);
        assertThat(b.goodUntil()).isEqualTo(Instant.parse("2025-01-03T00:00:00Z"));
    }

    @Test
    void ordersAreReadAndCancelledByIdOnTheirSide() throws Exception {
        broker.answer(Answer.json(200, OFFER)).answer(Answer.json(200, BID)).answer(Answer.json(200, OFFER))
                .answer(Answer.json(200, BID));

        client.offer("o-1");
        client.bid("b-1");
        client.cancelOffer("o-1", "cancel-1");
        client.cancelBid("b-1", null);

        StubBroker.Seen get = broker.next();
        assertThat(get.method() + " " + get.path()).isEqualTo("GET /v1/market/offers/o-1");
        assertThat(broker.next().path()).isEqualTo("/v1/market/bids/b-1");
        StubBroker.Seen cancel = broker.next();
        assertThat(cancel.method() + " " + cancel.path()).isEqualTo("DELETE /v1/market/offers/o-1");
        assertThat(cancel.header("Idempotency-Key")).isEqualTo("cancel-1");
        assertThat(cancel.body()).isEmpty();
        StubBroker.Seen cancelBid = broker.next();
        assertThat(cancelBid.method() + " " + cancelBid.path()).isEqualTo("DELETE /v1/market/bids/b-1");
        assertThat(cancelBid.header("Idempotency-Key")).isNull();
    }

    @Test
    void marketAndHistoryAskForTheKindWithItsLevelsAndWindow() throws Exception {
        broker.answer(Answer.json(200, MARKET)).answer(Answer.json(200, MARKET)).answer(Answer.json(200, HISTORY))
                .answer(Answer.json(200, HISTORY));

        Model.Market m = client.market("memory");
        client.market("memory", 0);
        Model.MarketHistory h = client.marketHistory("memory", Instant.parse("2025-01-02T03:00:00Z"),
                Instant.parse("2025-01-02T04:00:00Z"), 3600);
        client.marketHistory("memory", null, null, 60);

        StubBroker.Seen plain = broker.next();
        assertThat(plain.path()).isEqualTo("/v1/market/memory");
        assertThat(plain.query()).isNull();
        assertThat(broker.next().query()).isEqualTo("levels=0");
        StubBroker.Seen window = broker.next();
        assertThat(window.path()).isEqualTo("/v1/market/memory/history");
        assertThat(window.query()).isEqualTo("step=3600&from=2025-01-02T03%3A00%3A00Z&to=2025-01-02T04%3A00%3A00Z");
        assertThat(broker.next().query()).isEqualTo("step=60");
        assertThat(m.spotPrice()).isEqualTo(7);
        assertThat(m.urgentPrice()).isEqualTo(11);
        assertThat(m.offers()).containsExactly(new Model.PriceLevel(3, 4096, 1));
        assertThat(h.buckets()).hasSize(1);
        assertThat(h.buckets().get(0).close()).isEqualTo(8L);
        assertThat(h.buckets().get(0).volume()).isEqualTo(4096);

        assertThatThrownBy(() -> client.market("memory", 101)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client.marketHistory("memory", null, null, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void loansAreListedReadAndRecalledWithTheirIdEncoded() throws Exception {
        broker.answer(Answer.json(200, "{\"items\":[" + LOAN + "]}")).answer(Answer.json(200, "{\"items\":[]}"))
                .answer(Answer.json(200, LOAN)).answer(Answer.json(200, LOAN)).answer(Answer.json(200, LOAN));

        List<Model.Loan> live = client.loans(false);
        client.loans(true);
        Model.Loan loan = client.loan("memory:1");
        client.recall("memory:1", 900L, "recall-1");
        client.recall("memory:1", null, null);

        StubBroker.Seen list = broker.next();
        assertThat(list.path()).isEqualTo("/v1/loans");
        assertThat(list.query()).isNull();
        assertThat(broker.next().query()).isEqualTo("all=true");
        assertThat(broker.next().path()).isEqualTo("/v1/loans/memory%3A1");
        StubBroker.Seen recall = broker.next();
        assertThat(recall.method() + " " + recall.path()).isEqualTo("POST /v1/loans/memory%3A1/recall");
        assertThat(recall.header("Idempotency-Key")).isEqualTo("recall-1");
        assertThat(Wire.JSON.readTree(recall.body())).isEqualTo(Wire.JSON.readTree("{\"noticeSeconds\":900}"));
        assertThat(Wire.JSON.readTree(broker.next().body())).as("the broker's default notice")
                .isEqualTo(Wire.JSON.readTree("{}"));
        assertThat(live).extracting(Model.Loan::id).containsExactly("memory:1");
        assertThat(loan.state()).isEqualTo("RECALLING");
        assertThat(loan.recallDeadline()).isEqualTo(Instant.parse("2025-01-02T03:20:00Z"));
        assertThatThrownBy(() -> client.recall("memory:1", -1L, null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void submitClaimSendsItsFunding() throws Exception {
        broker.answer(Answer.json(201, """
                {"id":"c-1","tenant":"team-b","state":"QUEUED","reason":"QUOTA","bundle":{"memory":6096},
                 "priority":1,"leaseSeconds":600,"createdAt":"2025-01-02T03:04:05Z",
                 "funding":{"mode":"BORROW","maxPrice":4,"urgent":false}}"""));
        broker.answer(Answer.json(201, """
                {"id":"c-2","tenant":"team-b","state":"GRANTED","bundle":{"memory":2048},"priority":0,
                 "leaseSeconds":1800,"createdAt":"2025-01-02T03:04:05Z","funding":{"mode":"BUY","urgent":true}}"""));
        Model.Bundle bundle = Model.Bundle.of(Map.of("memory", 6096L), null);

        Model.Claim borrowing = client.submitClaim(new Model.ClaimCreate(bundle, 1, 600L, null,
                new Model.Funding("BORROW", 4L, null)), "job-1");
        Model.Claim urgent = client.submitClaim(new Model.ClaimCreate(Model.Bundle.of(Map.of("memory", 2048L), null),
                0, 1800L, "node-1"), new Model.Funding("BUY", null, true), "job-2");

        assertThat(Wire.JSON.readTree(broker.next().body())).isEqualTo(Wire.JSON.readTree(
                "{\"bundle\":{\"memory\":6096},\"priority\":1,\"leaseSeconds\":600,"
                        + "\"funding\":{\"mode\":\"BORROW\",\"maxPrice\":4}}"));
        StubBroker.Seen second = broker.next();
        assertThat(second.header("Idempotency-Key")).isEqualTo("job-2");
        assertThat(Wire.JSON.readTree(second.body())).isEqualTo(Wire.JSON.readTree(
                "{\"bundle\":{\"memory\":2048},\"priority\":0,\"leaseSeconds\":1800,\"node\":\"node-1\","
                        + "\"funding\":{\"mode\":\"BUY\",\"urgent\":true}}"));
        assertThat(borrowing.funding().mode()).isEqualTo("BORROW");
        assertThat(borrowing.reason()).isEqualTo("QUOTA");
        assertThat(urgent.funding().urgent()).isTrue();
    }

    @Test
    void setLendingLimitPatchesTheTenant() throws Exception {
        broker.answer(Answer.json(200, ACCOUNT));

        Model.TenantAccount a = client.setLendingLimit("team-a", Map.of("memory", 8192L));

        StubBroker.Seen req = broker.next();
        assertThat(req.method() + " " + req.path()).isEqualTo("PATCH /v1/tenants/team-a");
        assertThat(Wire.JSON.readTree(req.body()))
                .isEqualTo(Wire.JSON.readTree("{\"lendingLimit\":{\"memory\":8192}}"));
        assertThat(a.lendingLimit()).containsEntry("memory", 8192L);
        assertThat(a.lent()).containsEntry("memory", 4096L);
    }

    @Test
    void aRefusedOrderIsAnIchibaExceptionWithItsCode() {
        broker.answer(Answer.problem(409, """
                {"type":"urn:ichiba:problem:not-lendable","title":"Conflict","status":409,
                 "detail":"tenant team-a may lend 1000 memory; 8192 offered","code":"NOT_LENDABLE"}"""));

        IchibaException e = catchThrowableOfType(IchibaException.class,
                () -> client.placeOffer(new Model.OfferCreate("memory", 8192, 7200, 3, null), null));

        assertThat(e.status()).isEqualTo(409);
        assertThat(e.code()).isEqualTo("NOT_LENDABLE");
        assertThat(e.getMessage()).contains("may lend 1000 memory");
    }
}
