package io.ichiba.broker;

import com.fasterxml.jackson.databind.JsonNode;
import io.ichiba.api.Model;
import io.ichiba.api.client.IchibaClient;
import io.ichiba.api.client.IchibaException;
import io.ichiba.ledger.Rejection;
import io.ichiba.ledger.Result;
import io.ichiba.ledger.credit.Account;
import io.ichiba.ledger.credit.JournalEntry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Credits over real HTTP on a cluster of two real brokers: minting, the account, the statement and its pages,
 * credit limits, the operator's list of accounts and the credit audit (law 4); a mint retried with its
 * {@code Idempotency-Key} — on either member, racing or after its answer was forgotten — moves credits once
 * (law 5); bad input gets a 4xx problem and changes no account (law 8); a tenant neither reads another's
 * account nor mints (law 9); and 20 concurrent clients' mints add up to exactly what they minted.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CreditsIT {
    private static final String KEY = "Idempotency-Key";
    private static final long MAX_AMOUNT = 1_000_000_000_000_000L;

    private TestBrokers cluster;
    private Broker broker;
    private Http op;
    private Http op2;
    private World world;

    // the world of the bad-input table: tenant "bad" with 10000 minted, a credit limit of 5000 and a debt it owes
    // after buying 12000 (balance -2000)
    private String badTenant;
    private Http badTenantClient;

    @BeforeAll
    void start() throws Exception {
        cluster = new TestBrokers();
        broker = cluster.start();
        op = TestBrokers.operator(broker);
        op2 = TestBrokers.operator(cluster.start());
        world = new World(op);

        badTenant = World.name("bad");
        badTenantClient = world.tenant(badTenant, 1024, 1024);
        world.mint(badTenant, 10_000, null);
        assertThat(op.patch("/v1/tenants/" + badTenant, Map.of("creditLimit", 5000)).status()).isEqualTo(200);
        buy(badTenant, 12_000);
        assertThat(world.account(badTenant).get("balance").asLong()).isEqualTo(-2000);
    }

    @AfterAll
    void stop() {
        cluster.close();
    }

    // ------------------------------------------------------------------ mint, account, statement, accounts

    @Test
    void mintedCreditsShowInTheAccountTheStatementTheAccountsAndTheAudit() {
        String id = World.name("t");
        Http t = world.tenant(id, 4096, 2048);
        Http.Answer opening = t.get("/v1/tenants/" + id + "/account");
        assertThat(opening.status()).as(opening.toString()).isEqualTo(200);
        assertThat(opening.body().get("balance").asLong()).isZero();
        assertThat(opening.body().get("creditLimit").asLong()).isZero();

        Http.Answer first = op.post("/v1/tenants/" + id + "/credits", Map.of("amount", 1_000_000, "memo", "Q1 budget"),
                Map.of(KEY, World.name("k")));
        assertThat(first.status()).as(first.toString()).isEqualTo(201);
        JsonNode entry = first.body().get("entry");
        assertThat(entry.get("id").asText()).isNotBlank();
        assertThat(entry.get("reason").asText()).isEqualTo("MINT");
        assertThat(entry.get("memo").asText()).isEqualTo("Q1 budget");
        assertThat(entry.get("amount").asLong()).isEqualTo(1_000_000);
        assertThat(Instant.parse(entry.get("time").asText())).isBefore(Instant.now().plusSeconds(1));
        assertThat(first.body().get("balance").asLong()).isEqualTo(1_000_000);

        Http.Answer second = op2.post("/v1/tenants/" + id + "/credits", Map.of("amount", 250), Map.of());
        assertThat(second.status()).as(second.toString()).isEqualTo(201);
        assertThat(second.body().path("entry").path("memo").asText()).isNotBlank();
        assertThat(second.body().get("balance").asLong()).isEqualTo(1_000_250);

        Http.Answer account = t.get("/v1/tenants/" + id + "/account");
        assertThat(account.status()).isEqualTo(200);
        assertThat(account.text("tenant")).isEqualTo(id);
        assertThat(account.body().get("balance").asLong()).isEqualTo(1_000_250);
        assertThat(account.body().get("available").asLong()).isEqualTo(1_000_250);
        assertThat(account.body().get("creditLimit").asLong()).isZero();
        assertThat(account.body().get("quota").get("memory").asLong()).isEqualTo(4096);
        assertThat(account.body().get("quota").get("disk").asLong()).isEqualTo(2048);
        assertThat(op2.get("/v1/tenants/" + id + "/account").body()).isEqualTo(account.body());

        Http.Answer statement = t.get("/v1/tenants/" + id + "/statement");
        assertThat(statement.status()).as(statement.toString()).isEqualTo(200);
        JsonNode lines = statement.body().get("lines");
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0).get("entryId").asText()).isEqualTo(entry.get("id").asText());
        assertThat(lines.get(0).get("reason").asText()).isEqualTo("MINT");
        assertThat(lines.get(0).get("memo").asText()).isEqualTo("Q1 budget");
        assertThat(lines.get(0).get("amount").asLong()).isEqualTo(1_000_000);
        assertThat(lines.get(0).get("balance").asLong()).isEqualTo(1_000_000);
        assertThat(lines.get(1).get("entryId").asText()).isEqualTo(second.body().path("entry").path("id").asText());
        assertThat(lines.get(1).get("amount").asLong()).isEqualTo(250);
        assertThat(lines.get(1).get("balance").asLong()).isEqualTo(1_000_250);
        assertThat(statement.body().has("next")).as("next is written, as null, on the last page").isTrue();
        assertThat(statement.body().get("next").isNull()).isTrue();
        assertThat(op.get("/v1/tenants/" + id + "/statement").body()).isEqualTo(statement.body());

        JsonNode accounts = world.accounts();
        Map<String, JsonNode> byId = byId(accounts);
        assertThat(byId).containsKeys(Account.HOUSE, Account.ESCROW, Account.ISSUE, Account.ofTenant(id));
        JsonNode mine = byId.get(Account.ofTenant(id));
        assertThat(mine.get("type").asText()).isEqualTo("TENANT");
        assertThat(mine.get("tenant").asText()).isEqualTo(id);
        assertThat(mine.get("balance").asLong()).isEqualTo(1_000_250);
        assertThat(byId.get(Account.HOUSE).get("type").asText()).isEqualTo("HOUSE");
        assertThat(byId.get(Account.ESCROW).get("type").asText()).isEqualTo("ESCROW");
        long minted = accounts.get("minted").asLong();
        assertThat(byId.get(Account.ISSUE).get("balance").asLong()).isEqualTo(-minted);
        assertThat(sumOfBalances(accounts)).as("law 4: every balance but the issue account's adds up to minted")
                .isEqualTo(minted);
        JsonNode credits = world.assertCreditsClean();
        assertThat(credits.get("minted").asLong()).isEqualTo(minted);
    }

    @Test
    void theJavaClientMintsAndReadsAccountsAndStatements() {
        String id = World.name("t");
        Http t = world.tenant(id, 1024, 1024);
        IchibaClient operator = IchibaClient.builder(op.base()).token(TestBrokers.OPERATOR).build();
        IchibaClient tenant = IchibaClient.builder(op2.base()).token(t.token()).build();
        String key = World.name("k");

        Model.Minted m = operator.mint(id, 700, "for the client", key);
        assertThat(m.balance()).isEqualTo(700);
        assertThat(m.entry().reason()).isEqualTo("MINT");
        assertThat(operator.mint(id, 700, "for the client", key)).as("a retry answers the first answer").isEqualTo(m);
        operator.mint(id, 300, null, null);

        Model.TenantAccount a = tenant.account(id);
        assertThat(a).isEqualTo(new Model.TenantAccount(id, 1000, 1000, 0, Map.of("memory", 1024L, "disk", 1024L),
                Map.of(), Map.of(), Map.of(), Map.of(), List.of(), List.of()));
        Model.Statement all = tenant.statement(id, null, null, null, null);
        assertThat(all.lines()).extracting(Model.StatementLine::amount).containsExactly(700L, 300L);
        assertThat(all.next()).isNull();
        Model.Statement page = tenant.statement(id, null, null, null, 1);
        assertThat(page.lines()).hasSize(1);
        assertThat(tenant.statement(id, null, null, page.next(), 1).lines()).containsExactly(all.lines().get(1));
        Instant t0 = all.lines().get(0).time();
        assertThat(tenant.statement(id, t0, t0.plusMillis(1), null, null).lines()).contains(all.lines().get(0));

        assertThat(operator.setCreditLimit(id, 400).creditLimit()).isEqualTo(400);
        assertThat(operator.accounts().items()).extracting(Model.Account::id).contains(Account.ofTenant(id));
        assertThatThrownBy(() -> tenant.mint(id, 1, null, null)).isInstanceOf(IchibaException.class)
                .satisfies(e -> assertThat(((IchibaException) e).status()).isEqualTo(403));
    }

    // ------------------------------------------------------------------ law 5

    @Test
    void aMintRetriedWithTheSameKeyMovesCreditsOnceAndAnswersTheSameBody() throws Exception {
        String id = World.name("t");
        world.tenant(id, 1024, 1024);
        String key = World.name("k");
        Map<String, Object> body = Map.of("amount", 5000, "memo", "retried");
        String path = "/v1/tenants/" + id + "/credits";

        Http.Answer first = op.post(path, body, Map.of(KEY, key));
        assertThat(first.status()).as(first.toString()).isEqualTo(201);
        for (Http who : List.of(op, op2, op)) {
            Http.Answer retry = who.post(path, body, Map.of(KEY, key));
            assertThat(retry.status()).isEqualTo(201);
            assertThat(retry.raw()).isEqualTo(first.raw());
            assertThat(retry.headers().firstValue("Idempotent-Replayed")).contains("true");
        }

        // retries that race the first run, on both members: each is the first answer, or "still running"
        String raced = World.name("k");
        Map<String, Object> racedBody = Map.of("amount", 7000);
        List<Http.Answer> answers = race(12, i -> (i % 2 == 0 ? op : op2).post(path, racedBody, Map.of(KEY, raced)));
        List<String> bodies = new ArrayList<>();
        for (Http.Answer a : answers) {
            if (a.status() == 201) {
                bodies.add(a.raw());
            } else {
                assertThat(a.status()).as(a.toString()).isEqualTo(409);
                assertThat(a.text("code")).isEqualTo("IDEMPOTENCY_IN_PROGRESS");
            }
        }
        Http.Answer settled = op2.post(path, racedBody, Map.of(KEY, raced));
        assertThat(settled.status()).isEqualTo(201);
        assertThat(bodies).allMatch(b -> b.equals(settled.raw()));

        // the key's stored answer forgotten (as after its 24 h): the entry id is derived from the key, so the
        // run that happens again finds the entry posted and moves nothing
        TestBrokers.forget(broker, "idempotency", "operator:operator:" + key);
        Http.Answer again = op.post(path, body, Map.of(KEY, key));
        assertThat(again.status()).as(again.toString()).isEqualTo(201);
        assertThat(again.headers().firstValue("Idempotent-Replayed")).isEmpty();
        assertThat(again.body().get("entry")).isEqualTo(first.body().get("entry"));

        // the same key with another request is refused and changes nothing
        JsonNode before = world.accounts();
        Http.Answer other = op.post(path, Map.of("amount", 5001, "memo", "retried"), Map.of(KEY, key));
        assertThat(other.status()).as(other.toString()).isEqualTo(422);
        assertThat(other.text("code")).isEqualTo("IDEMPOTENCY_KEY_REUSED");
        String otherTenant = World.name("t");
        world.tenant(otherTenant, 1, 1);
        JsonNode withOther = world.accounts();
        Http.Answer elsewhere = op.post("/v1/tenants/" + otherTenant + "/credits", body, Map.of(KEY, key));
        assertThat(elsewhere.status()).as(elsewhere.toString()).isEqualTo(422);
        assertThat(world.accounts()).isEqualTo(withOther);
        assertThat(byId(before).get(Account.ofTenant(id))).isEqualTo(byId(withOther).get(Account.ofTenant(id)));

        JsonNode account = world.account(id);
        assertThat(account.get("balance").asLong()).as("5000 once, 7000 once").isEqualTo(12_000);
        JsonNode lines = op.get("/v1/tenants/" + id + "/statement").body().get("lines");
        assertThat(lines).hasSize(2);
        world.assertCreditsClean();
    }

    // ------------------------------------------------------------------ credit limits

    @Test
    void aCreditLimitIsSetAndALimitBelowTheDebtIsRefused() {
        String id = World.name("t");
        Http t = world.tenant(id, 1024, 1024);
        long houseBefore = byId(world.accounts()).get(Account.HOUSE).get("balance").asLong();

        Http.Answer set = op.patch("/v1/tenants/" + id, Map.of("creditLimit", 5000));
        assertThat(set.status()).as(set.toString()).isEqualTo(200);
        assertThat(set.text("tenant")).isEqualTo(id);
        assertThat(set.body().get("creditLimit").asLong()).isEqualTo(5000);
        assertThat(set.body().get("balance").asLong()).isZero();
        assertThat(t.get("/v1/tenants/" + id + "/account").body().get("creditLimit").asLong()).isEqualTo(5000);

        // the tenant buys on credit (the market's movement, posted to the ledger directly), down to -3000
        buy(id, 3000);
        Result<JournalEntry> tooMuch = broker.ledger().accounts().post(purchase(id, 2500));
        assertThat(tooMuch.ok()).isFalse();
        assertThat(tooMuch.rejection().code()).isEqualTo(Rejection.Code.INSUFFICIENT_CREDIT);
        JsonNode owing = world.account(id);
        assertThat(owing.get("balance").asLong()).isEqualTo(-3000);
        assertThat(owing.get("available").asLong()).isEqualTo(-3000);

        JsonNode before = world.accounts();
        for (long limit : List.of(2000L, 0L, 2999L)) {
            Http.Answer refused = op.patch("/v1/tenants/" + id, Map.of("creditLimit", limit));
            assertThat(refused.status()).as(refused.toString()).isEqualTo(409);
            assertThat(refused.isClientProblem()).as(refused.toString()).isTrue();
            assertThat(refused.text("code")).isEqualTo("INSUFFICIENT_CREDIT");
            assertThat(refused.text("detail")).contains("owes 3000").contains((3000 - limit) + " short");
        }
        assertThat(world.accounts()).as("a refused limit changes nothing").isEqualTo(before);
        assertThat(world.account(id).get("creditLimit").asLong()).isEqualTo(5000);
        // with a lending limit beside it, the refused credit limit leaves the lending limit unset too (defect 7)
        Http.Answer both = op.patch("/v1/tenants/" + id, Map.of("lendingLimit", Map.of("memory", 100),
                "creditLimit", 2000));
        assertThat(both.status()).as(both.toString()).isEqualTo(409);
        JsonNode after = world.account(id);
        assertThat(after.path("lendingLimit").path("memory").isMissingNode())
                .as("the lending limit of a refused PATCH: %s", after).isTrue();

        assertThat(op.patch("/v1/tenants/" + id, Map.of("creditLimit", 3000)).status()).as("exactly the debt").isEqualTo(200);
        Http.Answer forbidden = t.patch("/v1/tenants/" + id, Map.of("creditLimit", 1_000_000));
        assertThat(forbidden.status()).isEqualTo(403);
        assertThat(op.patch("/v1/tenants/" + World.name("nobody"), Map.of("creditLimit", 1)).status()).isEqualTo(404);
        world.mint(id, 3000, null);
        Http.Answer zero = op.patch("/v1/tenants/" + id, Map.of("creditLimit", 0));
        assertThat(zero.status()).as(zero.toString()).isEqualTo(200);
        assertThat(zero.body().get("balance").asLong()).isZero();

        JsonNode lines = t.get("/v1/tenants/" + id + "/statement").body().get("lines");
        assertThat(lines).extracting(l -> l.get("reason").asText()).containsExactly("PURCHASE", "MINT");
        assertThat(lines).extracting(l -> l.get("balance").asLong()).containsExactly(-3000L, 0L);
        assertThat(byId(world.accounts()).get(Account.HOUSE).get("balance").asLong()).isEqualTo(houseBefore + 3000);
        world.assertCreditsClean();
    }

    // ------------------------------------------------------------------ statement pages

    @Test
    void theStatementPagesWithACursorAndATimeWindow() {
        String id = World.name("t");
        Http t = world.tenant(id, 1024, 1024);
        for (int i = 1; i <= 7; i++) {
            world.mint(id, i * 100L, null);
        }
        String path = "/v1/tenants/" + id + "/statement";
        List<JsonNode> all = lines(t.get(path + "?limit=1000"));
        assertThat(all).extracting(l -> l.get("amount").asLong()).containsExactly(100L, 200L, 300L, 400L, 500L, 600L, 700L);
        assertThat(all).extracting(l -> l.get("balance").asLong())
                .containsExactly(100L, 300L, 600L, 1000L, 1500L, 2100L, 2800L);

        assertThat(pages(t, path, 3)).extracting(List::size).containsExactly(3, 3, 1);
        assertThat(pages(t, path, 3).stream().flatMap(List::stream).toList()).isEqualTo(all);
        assertThat(pages(t, path, 7)).extracting(List::size).containsExactly(7);
        assertThat(pages(t, path, 6)).extracting(List::size).containsExactly(6, 1);
        assertThat(pages(t, path, 1).stream().flatMap(List::stream).toList()).isEqualTo(all);

        Instant from = Instant.parse(all.get(2).get("time").asText());
        Instant to = Instant.parse(all.get(5).get("time").asText());
        List<JsonNode> window = all.stream().filter(l -> {
            Instant at = Instant.parse(l.get("time").asText());
            return !at.isBefore(from) && at.isBefore(to);
        }).toList();
        String windowPath = path + "?from=" + enc(from.toString()) + "&to=" + enc(to.toString());
        assertThat(lines(t.get(windowPath))).isEqualTo(window);
        assertThat(pages(t, windowPath, 1).stream().flatMap(List::stream).toList()).isEqualTo(window);
        assertThat(lines(t.get(path + "?from=" + enc(from.toString()))))
                .isEqualTo(all.stream().filter(l -> !Instant.parse(l.get("time").asText()).isBefore(from)).toList());
        assertThat(lines(t.get(path + "?to=" + enc(to.toString()))))
                .isEqualTo(all.stream().filter(l -> Instant.parse(l.get("time").asText()).isBefore(to)).toList());
        // an offset other than Z names the same instant
        String plusNine = java.time.format.DateTimeFormatter.ISO_OFFSET_DATE_TIME
                .format(from.atOffset(java.time.ZoneOffset.ofHours(9)));
        List<JsonNode> sinceFrom = lines(t.get(path + "?from=" + enc(from.toString())));
        assertThat(lines(t.get(path + "?from=" + enc(plusNine)))).isEqualTo(sinceFrom);
        assertThat(lines(t.get(path + "?from=" + plusNine))).as("a + left unencoded (it arrives as a space)")
                .isEqualTo(sinceFrom);
        Http.Answer empty = t.get(path + "?from=" + enc(from.toString()) + "&to=" + enc(from.toString()));
        assertThat(lines(empty)).isEmpty();
        assertThat(empty.body().get("next").isNull()).isTrue();
        assertThat(lines(t.get(path + "?to=" + enc("2000-01-01T00:00:00Z")))).isEmpty();
    }

    // ------------------------------------------------------------------ law 9

    @Test
    void aTenantNeitherReadsAnothersAccountNorMints() {
        String idA = World.name("a");
        String idB = World.name("b");
        Http a = world.tenant(idA, 1024, 1024);
        Http b = world.tenant(idB, 1024, 1024);
        Http agent = world.node(World.name("n"), 1024, 1024);
        Http anonymous = new Http(op.base(), null);
        Http stranger = op.as("ich_not-a-token-anyone-was-given");
        world.mint(idA, 123_457, null);
        JsonNode before = world.accounts();
        JsonNode statementOfA = a.get("/v1/tenants/" + idA + "/statement").body();
        Http.Answer unknown = b.get("/v1/tenants/" + World.name("nobody") + "/account");

        for (Http.Answer x : List.of(b.get("/v1/tenants/" + idA + "/account"), b.get("/v1/tenants/" + idA + "/statement"),
                b.get("/v1/tenants/" + idA + "/statement?limit=1"), agent.get("/v1/tenants/" + idA + "/account"),
                agent.get("/v1/tenants/" + idA + "/statement"))) {
            assertThat(x.status()).as(x.toString()).isEqualTo(404);
            assertThat(x.isClientProblem()).as(x.toString()).isTrue();
            assertThat(x.raw()).as("a 404 leaks nothing of the account").doesNotContain("123457").doesNotContain("balance");
            assertThat(x.text("code")).isEqualTo(unknown.text("code"));
            assertThat(x.text("title")).isEqualTo(unknown.text("title"));
        }
        Map<String, Object> mint = Map.of("amount", 1_000_000);
        for (Http.Answer x : List.of(b.post("/v1/tenants/" + idA + "/credits", mint),
                b.post("/v1/tenants/" + idB + "/credits", mint), a.post("/v1/tenants/" + idA + "/credits", mint),
                agent.post("/v1/tenants/" + idB + "/credits", mint),
                b.patch("/v1/tenants/" + idB, Map.of("creditLimit", 1_000_000)),
                a.patch("/v1/tenants/" + idB, Map.of("creditLimit", 1)),
                agent.patch("/v1/tenants/" + idA, Map.of("creditLimit", 1)),
                b.get("/v1/accounts"), agent.get("/v1/accounts"))) {
            assertThat(x.status()).as(x.toString()).isEqualTo(403);
            assertThat(x.isClientProblem()).as(x.toString()).isTrue();
        }
        for (Http nobody : List.of(anonymous, stranger)) {
            for (Http.Answer x : List.of(nobody.post("/v1/tenants/" + idA + "/credits", mint),
                    nobody.get("/v1/tenants/" + idA + "/account"), nobody.get("/v1/tenants/" + idA + "/statement"),
                    nobody.patch("/v1/tenants/" + idA, Map.of("creditLimit", 1)), nobody.get("/v1/accounts"))) {
                assertThat(x.status()).as(x.toString()).isEqualTo(401);
                assertThat(x.isClientProblem()).as(x.toString()).isTrue();
            }
        }

        assertThat(world.accounts()).as("nothing moved").isEqualTo(before);
        assertThat(a.get("/v1/tenants/" + idA + "/statement").body()).isEqualTo(statementOfA);
        Http.Answer own = b.get("/v1/tenants/" + idB + "/account");
        assertThat(own.status()).isEqualTo(200);
        assertThat(own.body().get("balance").asLong()).isZero();
    }

    // ------------------------------------------------------------------ law 8

    /**
     * One bad request.
     *
     * @param name   what is wrong with it
     * @param method HTTP method
     * @param path   path and query
     * @param body   a raw string, an object sent as JSON, or null
     * @param status the expected status
     * @param code   the expected problem code, or null for any
     */
    record Bad(String name, String method, String path, Object body, int status, String code) {
        @Override
        public String toString() {
            return name + " -> " + status;
        }
    }

    Stream<Bad> badRequests() {
        String credits = "/v1/tenants/" + badTenant + "/credits";
        String tenant = "/v1/tenants/" + badTenant;
        String statement = "/v1/tenants/" + badTenant + "/statement";
        String nobody = World.name("nobody");
        List<Bad> all = new ArrayList<>();
        all.add(new Bad("negative amount", "POST", credits, Map.of("amount", -1), 400, "INVALID_REQUEST"));
        all.add(new Bad("zero amount", "POST", credits, Map.of("amount", 0), 400, "INVALID_REQUEST"));
        all.add(new Bad("amount 10^15 + 1", "POST", credits, Map.of("amount", MAX_AMOUNT + 1), 400, "INVALID_REQUEST"));
        all.add(new Bad("amount 2^63", "POST", credits, "{\"amount\":9223372036854775808}", 400, "INVALID_REQUEST"));
        all.add(new Bad("amount 1e300", "POST", credits, "{\"amount\":1e300}", 400, "INVALID_REQUEST"));
        all.add(new Bad("amount 1.5", "POST", credits, Map.of("amount", 1.5), 400, "INVALID_REQUEST"));
        all.add(new Bad("amount as a string", "POST", credits, Map.of("amount", "100"), 400, "INVALID_REQUEST"));
        all.add(new Bad("amount null", "POST", credits, "{\"amount\":null}", 400, "INVALID_REQUEST"));
        all.add(new Bad("no amount", "POST", credits, Map.of("memo", "x"), 400, "INVALID_REQUEST"));
        all.add(new Bad("unknown field in a mint", "POST", credits, Map.of("amount", 1, "to", "house"), 400,
                "INVALID_REQUEST"));
        all.add(new Bad("memo of 501 characters", "POST", credits, Map.of("amount", 1, "memo", "m".repeat(501)), 400,
                "INVALID_REQUEST"));
        all.add(new Bad("memo as a number", "POST", credits, Map.of("amount", 1, "memo", 7), 400, "INVALID_REQUEST"));
        all.add(new Bad("mint body is an array", "POST", credits, "[{\"amount\":1}]", 400, null));
        all.add(new Bad("malformed mint", "POST", credits, "{\"amount\":", 400, null));
        all.add(new Bad("no mint body", "POST", credits, null, 400, null));
        all.add(new Bad("mint for an unknown tenant", "POST", "/v1/tenants/" + nobody + "/credits", Map.of("amount", 1),
                404, "NOT_FOUND"));
        all.add(new Bad("mint for a tenant named badly", "POST", "/v1/tenants/a%40b/credits", Map.of("amount", 1), 400,
                null));
        all.add(new Bad("negative credit limit", "PATCH", tenant, Map.of("creditLimit", -1), 400, "INVALID_REQUEST"));
        all.add(new Bad("credit limit 10^15 + 1", "PATCH", tenant, Map.of("creditLimit", MAX_AMOUNT + 1), 400,
                "INVALID_REQUEST"));
        all.add(new Bad("credit limit as a string", "PATCH", tenant, Map.of("creditLimit", "5"), 400, "INVALID_REQUEST"));
        all.add(new Bad("credit limit 2.5", "PATCH", tenant, Map.of("creditLimit", 2.5), 400, "INVALID_REQUEST"));
        all.add(new Bad("empty patch", "PATCH", tenant, Map.of(), 400, "INVALID_REQUEST"));
        all.add(new Bad("unknown field in a patch", "PATCH", tenant, Map.of("creditLimit", 1, "quota", Map.of()), 400,
                "INVALID_REQUEST"));
        all.add(new Bad("limit for an unknown tenant", "PATCH", "/v1/tenants/" + nobody, Map.of("creditLimit", 1), 404,
                "NOT_FOUND"));
        all.add(new Bad("a limit below the debt", "PATCH", tenant, Map.of("creditLimit", 1999), 409,
                "INSUFFICIENT_CREDIT"));
        all.add(new Bad("from=yesterday", "GET", statement + "?from=yesterday", null, 400, "INVALID_REQUEST"));
        all.add(new Bad("to in month 13", "GET", statement + "?to=2025-13-01T00:00:00Z", null, 400, "INVALID_REQUEST"));
        all.add(new Bad("from without an offset", "GET", statement + "?from=2025-01-01T00:00:00", null, 400,
                "INVALID_REQUEST"));
        all.add(new Bad("from without seconds", "GET", statement + "?from=2025-01-01T00:00Z", null, 400,
                "INVALID_REQUEST"));
        all.add(new Bad("from on the 32nd", "GET", statement + "?from=2025-01-32T00:00:00Z", null, 400,
                "INVALID_REQUEST"));
        all.add(new Bad("from a date only", "GET", statement + "?from=2025-01-01", null, 400, "INVALID_REQUEST"));
        all.add(new Bad("from after to", "GET", statement + "?from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z", null,
                400, "INVALID_REQUEST"));
        all.add(new Bad("limit=0", "GET", statement + "?limit=0", null, 400, "INVALID_REQUEST"));
        all.add(new Bad("limit=1001", "GET", statement + "?limit=1001", null, 400, "INVALID_REQUEST"));
        all.add(new Bad("limit=abc", "GET", statement + "?limit=abc", null, 400, "INVALID_REQUEST"));
        all.add(new Bad("limit=1.5", "GET", statement + "?limit=1.5", null, 400, "INVALID_REQUEST"));
        all.add(new Bad("cursor with '!'", "GET", statement + "?cursor=abc!", null, 400, "INVALID_REQUEST"));
        all.add(new Bad("cursor that no broker gave", "GET", statement + "?cursor=aGVsbG8", null, 400,
                "INVALID_REQUEST"));
        all.add(new Bad("statement of an unknown tenant", "GET", "/v1/tenants/" + nobody + "/statement", null, 404,
                "NOT_FOUND"));
        all.add(new Bad("account of an unknown tenant", "GET", "/v1/tenants/" + nobody + "/account", null, 404,
                "NOT_FOUND"));
        return all.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void badInputGetsAProblemAndChangesNoAccount(Bad bad) {
        JsonNode before = world.accounts();
        JsonNode statement = op.get("/v1/tenants/" + badTenant + "/statement").body();
        int journal = TestBrokers.table(broker, "journal").entries().size();

        Http.Answer a = op.send(bad.method(), bad.path(), bad.body(), Map.of());
        String what = bad.name() + ": " + bad.method() + " " + bad.path() + " -> " + a;
        assertThat(a.isClientProblem()).as("a 4xx problem+json with type, title, detail; %s", what).isTrue();
        assertThat(a.status()).as(what).isEqualTo(bad.status());
        if (bad.code() != null) {
            assertThat(a.text("code")).as(what).isEqualTo(bad.code());
        }

        assertThat(world.accounts()).as("the accounts after %s", what).isEqualTo(before);
        assertThat(op.get("/v1/tenants/" + badTenant + "/statement").body()).as(what).isEqualTo(statement);
        assertThat(TestBrokers.table(broker, "journal").entries().size()).as(what).isEqualTo(journal);
        assertThat(badTenantClient.get("/v1/tenants/" + badTenant + "/account").body().get("creditLimit").asLong())
                .isEqualTo(5000);
    }

    // ------------------------------------------------------------------ law 4 under concurrency

    @Test
    void concurrentMintsAndRetriesAddUpToExactlyWhatWasMinted() throws Exception {
        int clients = 20;
        int mints = 20;
        List<String> tenants = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            tenants.add(World.name("c"));
            world.tenant(tenants.get(i), 1024, 1024);
        }
        long mintedBefore = world.assertCreditsClean().get("minted").asLong();
        Random random = new Random(42);
        long[][] amounts = new long[clients][mints];
        String[][] keys = new String[clients][mints];
        Map<String, Long> expected = new TreeMap<>();
        long sum = 0;
        for (int c = 0; c < clients; c++) {
            for (int i = 0; i < mints; i++) {
                amounts[c][i] = 1 + random.nextInt(1_000_000);
                keys[c][i] = World.name("m" + c + "-" + i);
                expected.merge(tenants.get((c + i) % tenants.size()), amounts[c][i], Long::sum);
                sum += amounts[c][i];
            }
        }
        long total = sum;
        Map<String, List<String>> answers = new ConcurrentHashMap<>();
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<?>> done = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            done.add(pool.submit(() -> {
                go.await();
                for (int i = 0; i < mints; i++) {
                    mintOnce(client % 2 == 0 ? op : op2, tenants.get((client + i) % tenants.size()), amounts[client][i],
                            keys[client][i], answers);
                    if (i % 4 == 0) {
                        // a retry of the next client's mint, from the other member: it may race the first run
                        int next = (client + 1) % clients;
                        mintOnce(client % 2 == 0 ? op2 : op, tenants.get((next + i) % tenants.size()),
                                amounts[next][i], keys[next][i], answers);
                    }
                }
                return null;
            }));
        }
        go.countDown();
        for (Future<?> f : done) {
            f.get(120, TimeUnit.SECONDS);
        }
        pool.shutdown();

        assertThat(answers).hasSize(clients * mints);
        answers.forEach((key, bodies) -> assertThat(Set.copyOf(bodies)).as("every answer to %s", key).hasSize(1));
        JsonNode credits = world.assertCreditsClean();
        assertThat(credits.get("minted").asLong()).isEqualTo(mintedBefore + total);
        JsonNode accounts = world.accounts();
        assertThat(accounts.get("minted").asLong()).isEqualTo(mintedBefore + total);
        assertThat(sumOfBalances(accounts)).isEqualTo(mintedBefore + total);
        Map<String, JsonNode> byId = byId(accounts);
        for (String t : tenants) {
            assertThat(byId.get(Account.ofTenant(t)).get("balance").asLong()).as(t).isEqualTo(expected.get(t));
            List<JsonNode> lines = lines(op.get("/v1/tenants/" + t + "/statement?limit=1000"));
            assertThat(lines).as(t).hasSize(clients * mints / tenants.size());
            assertThat(lines.get(lines.size() - 1).get("balance").asLong()).isEqualTo(expected.get(t));
        }

        // the meters agree: credits minted and MINT entries, summed over the members that own the entries
        long mintEntries = byId.keySet().stream().filter(id -> id.startsWith("tenant:"))
                .mapToLong(id -> lines(op.get("/v1/tenants/" + id.substring(7) + "/statement?limit=1000")).stream()
                        .filter(l -> l.get("reason").asText().equals("MINT")).count()).sum();
        long houseBalance = byId.get(Account.HOUSE).get("balance").asLong();
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            assertThat(metricSum("ichiba_credits_minted_total")).isEqualTo((double) mintedBefore + total);
            assertThat(metricSum("ichiba_journal_entries_total{reason=\"MINT\"}")).isEqualTo((double) mintEntries);
            assertThat(metric(op, "ichiba_credit_balance{account=\"house\"}")).isEqualTo((double) houseBalance);
        });
    }

    // ------------------------------------------------------------------ helpers

    /** Mints until the answer is the first answer (a 409 means its first run is still under way). */
    private static void mintOnce(Http who, String tenant, long amount, String key, Map<String, List<String>> answers) {
        AtomicReference<Http.Answer> got = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> {
            Http.Answer a = who.post("/v1/tenants/" + tenant + "/credits", Map.of("amount", amount), Map.of(KEY, key));
            if (a.status() == 201) {
                got.set(a);
                return true;
            }
            assertThat(a.status()).as(a.toString()).isEqualTo(409);
            assertThat(a.text("code")).isEqualTo("IDEMPOTENCY_IN_PROGRESS");
            return false;
        });
        answers.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(got.get().raw());
    }

    /** Sends {@code n} requests at once. */
    private static List<Http.Answer> race(int n, java.util.function.IntFunction<Http.Answer> request) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Http.Answer>> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                out.add(pool.submit(() -> {
                    go.await();
                    return request.apply(k);
                }));
            }
            go.countDown();
            List<Http.Answer> answers = new ArrayList<>();
            for (Future<Http.Answer> f : out) {
                answers.add(f.get(60, TimeUnit.SECONDS));
            }
            return answers;
        } finally {
            pool.shutdown();
        }
    }

    /** The tenant buys {@code amount} of capacity from the house: what the market will post. */
    private void buy(String tenant, long amount) {
        Result<JournalEntry> r = broker.ledger().accounts().post(purchase(tenant, amount));
        assertThat(r.ok()).as(String.valueOf(r.rejection())).isTrue();
    }

    private static JournalEntry purchase(String tenant, long amount) {
        return JournalEntry.transfer(World.name("purchase"), System.currentTimeMillis(), JournalEntry.Reason.PURCHASE,
                "capacity bought from the house (test)", null, null, Account.ofTenant(tenant), Account.HOUSE, amount);
    }

    private static Map<String, JsonNode> byId(JsonNode accounts) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        accounts.get("items").forEach(a -> out.put(a.get("id").asText(), a));
        return out;
    }

    /** The sum of every balance but the issue account's. */
    private static long sumOfBalances(JsonNode accounts) {
        long sum = 0;
        for (JsonNode a : accounts.get("items")) {
            if (!a.get("type").asText().equals("ISSUE")) {
                sum += a.get("balance").asLong();
            }
        }
        return sum;
    }

    private static List<JsonNode> lines(Http.Answer statement) {
        assertThat(statement.status()).as(statement.toString()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        statement.body().get("lines").forEach(out::add);
        return out;
    }

    /** Every page of a statement at {@code limit} lines a page, following the cursors. */
    private static List<List<JsonNode>> pages(Http who, String path, int limit) {
        List<List<JsonNode>> out = new ArrayList<>();
        String sep = path.contains("?") ? "&" : "?";
        String cursor = null;
        do {
            Http.Answer a = who.get(path + sep + "limit=" + limit + (cursor == null ? "" : "&cursor=" + cursor));
            out.add(lines(a));
            cursor = a.body().get("next").isNull() ? null : a.body().get("next").asText();
            assertThat(out).as("pages end").hasSizeLessThanOrEqualTo(100);
        } while (cursor != null);
        return out;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private double metricSum(String series) {
        double sum = 0;
        for (Broker b : cluster.brokers()) {
            sum += metric(TestBrokers.operator(b), series);
        }
        return sum;
    }

    /** The value of one series of {@code /metrics}, or 0 if it is absent. */
    private static double metric(Http broker, String series) {
        return Http.sample(new Http(broker.base(), null).get("/metrics").raw(), series, 0);
    }
}
