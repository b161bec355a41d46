package io.ichiba.broker;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Durability (issue 15): a broker alone keeps its journal in an embedded database under its data directory; started
 * again on that directory after it stopped, or after it crashed under load, it answers everything it acknowledged
 * before: tenants and their tokens, the grants with their leases, the queue in order, balances, idempotency records.
 */
class RestartIT {
    @TempDir
    Path data;

    /** A snapshot every few batches, so that a restart reads a snapshot and the batches after it. */
    private BrokerConfig durable(BrokerConfig c) {
        return c.withDurability(BrokerConfig.Durability.embedded(data).withSnapshots(5, 300));
    }

    /** PostgreSQL as {@code .ci/run} starts it (emptied first); skipped without one, failed under CI without one. */
    private static String postgresUrl() {
        String url = System.getenv("ICHIBA_TEST_DB_URL");
        if (url == null || url.isBlank()) {
            String why = "no PostgreSQL for this test: set ICHIBA_TEST_DB_URL, ICHIBA_TEST_DB_USER, ICHIBA_TEST_DB_PASSWORD";
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError(why);
            }
            org.junit.jupiter.api.Assumptions.abort(why);
        }
        return url;
    }

    private static BrokerConfig postgres(BrokerConfig c) {
        return c.withDurability(new BrokerConfig.Durability("none", postgresUrl(), System.getenv("ICHIBA_TEST_DB_USER"),
                System.getenv("ICHIBA_TEST_DB_PASSWORD"), 5, 300));
    }

    private static void emptyPostgres() throws Exception {
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(postgresUrl(),
                System.getenv("ICHIBA_TEST_DB_USER"), System.getenv("ICHIBA_TEST_DB_PASSWORD"));
             java.sql.Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA public CASCADE"); // whatever the migrations made, and the history of them
            s.execute("CREATE SCHEMA public");
        }
    }

    @Test
    void aBrokerStartedAgainOnItsDataDirectoryHoldsWhatItAcknowledged() throws Exception {
        startedAgainHoldsWhatItAcknowledged(this::durable);
        assertThat(data.resolve("ichiba.db")).exists();
    }

    /**
     * A backup taken while the broker runs (SQLite's {@code VACUUM INTO}, as docs/durability.md shows; the sqlite3
     * shell's {@code .backup} does the same) is a data directory a broker starts from, with a clean audit.
     */
    @Test
    void aBackupTakenWhileTheBrokerRunsStartsABrokerWithACleanAudit(@TempDir Path backup) throws Exception {
        String tenantId = World.name("t");
        String node = World.name("n");
        String tenantToken;
        String claim;
        try (TestBrokers first = new TestBrokers()) {
            Broker a = first.start(this::durable);
            World world = new World(TestBrokers.operator(a));
            world.node(node, 8192, 8192);
            Http tenant = world.tenant(tenantId, 65536, 65536);
            tenantToken = tenant.token();
            world.mint(tenantId, 700, null);
            claim = tenant.post("/v1/claims", World.claim(1000, 10, List.of(), 0, 600, node)).text("id");
            try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + data.resolve("ichiba.db"));
                 java.sql.Statement s = c.createStatement()) {
                s.execute("VACUUM INTO '" + backup.resolve("ichiba.db") + "'");
            }
            tenant.post("/v1/claims", World.claim(1000, 10, List.of(), 0, 600, node)); // after the backup: not in it
        }
        try (TestBrokers restored = new TestBrokers()) {
            Broker b = restored.start(c -> c.withDurability(BrokerConfig.Durability.embedded(backup)));
            Http operator = TestBrokers.operator(b);
            Http tenant = operator.as(tenantToken);
            assertThat(tenant.get("/v1/claims/" + claim).text("state")).isEqualTo("GRANTED");
            assertThat(new World(operator).pool("memory@" + node).get("granted").asLong()).isEqualTo(1000);
            assertThat(new World(operator).account(tenantId).get("balance").asLong()).isEqualTo(700);
            new World(operator).assertAuditClean();
        }
    }

    @Test
    void aBrokerStartedAgainOnPostgreSqlHoldsWhatItAcknowledged() throws Exception {
        postgresUrl();
        emptyPostgres();
        startedAgainHoldsWhatItAcknowledged(RestartIT::postgres);
    }

    /**
     * Every member of three stopped, then three started again, all on one PostgreSQL: the first engine starts from
     * the database, the members that join find the state replicated, and every record is there.
     */
    @Test
    void everyMemberOfThreeStoppedAndStartedAgainOnPostgreSqlHoldsWhatTheyAcknowledged() throws Exception {
        postgresUrl();
        emptyPostgres();
        String node = World.name("n");
        String tenantId = World.name("t");
        String tenantToken;
        List<String> granted = new ArrayList<>();
        JsonNode accountBefore;
        try (TestBrokers first = new TestBrokers()) {
            List<Broker> three = List.of(first.start(RestartIT::postgres), first.start(RestartIT::postgres),
                    first.start(RestartIT::postgres));
            World world = new World(TestBrokers.operator(three.get(0)));
            world.node(node, 100_000, 100_000);
            Http tenant = world.tenant(tenantId, 1_000_000, 1_000_000);
            tenantToken = tenant.token();
            world.mint(tenantId, 900, null);
            for (Broker b : three) {
                for (int i = 0; i < 5; i++) {
                    Http.Answer c = tenant.at(TestBrokers.operator(b).base())
                            .post("/v1/claims", World.claim(100, 1, List.of(), 0, 600, node));
                    assertThat(c.text("state")).isEqualTo("GRANTED");
                    granted.add(c.text("id"));
                }
            }
            accountBefore = world.account(tenantId);
        }
        try (TestBrokers second = new TestBrokers()) {
            List<Broker> three = List.of(second.start(RestartIT::postgres), second.start(RestartIT::postgres),
                    second.start(RestartIT::postgres));
            for (Broker b : three) {
                Http tenant = TestBrokers.operator(b).as(tenantToken);
                for (String id : granted) {
                    assertThat(tenant.get("/v1/claims/" + id).text("state")).as(id).isEqualTo("GRANTED");
                }
            }
            World world = new World(TestBrokers.operator(three.get(2)));
            assertThat(world.account(tenantId)).isEqualTo(accountBefore);
            assertThat(world.pool("memory@" + node).get("granted").asLong()).isEqualTo(100L * granted.size());
            world.assertAuditClean();
        }
    }

    /** The sequence of the newest event {@code reader} sees (-1: none). */
    private static long lastSeq(Http reader) {
        long after = -1;
        for (JsonNode page; (page = reader.get("/v1/events?limit=1000&after=" + after).body()).get("items").size() > 0; ) {
            after = page.get("next").asLong();
        }
        return after;
    }

    private void startedAgainHoldsWhatItAcknowledged(java.util.function.UnaryOperator<BrokerConfig> durability)
            throws Exception {
        String node = World.name("n");
        String lock = World.name("l");
        String tenantId = World.name("t");
        String tenantToken;
        String held;
        String queued;
        String released;
        Http.Answer keyed;
        JsonNode heldBefore;
        JsonNode accountBefore;
        long seenBefore;
        try (TestBrokers first = new TestBrokers()) {
            Broker a = first.start(durability);
            World world = new World(TestBrokers.operator(a));
            world.node(node, 8192, 8192);
            world.lock(lock, 1);
            Http tenant = world.tenant(tenantId, 65536, 65536);
            tenantToken = tenant.token();
            world.mint(tenantId, 5_000, "mint-" + tenantId);
            held = tenant.post("/v1/claims", World.claim(1000, 100, List.of(lock), 0, 600, node)).text("id");
            queued = tenant.post("/v1/claims", World.claim(500, 0, List.of(lock), 3, 600, node)).text("id");
            released = tenant.post("/v1/claims", World.claim(200, 0, List.of(), 0, 600, node)).text("id");
            assertThat(tenant.post("/v1/claims/" + released + "/release", null).text("state")).isEqualTo("RELEASED");
            keyed = tenant.post("/v1/claims", World.claim(300, 0, List.of(), 0, 600, node),
                    Map.of("Idempotency-Key", "restart-key"));
            assertThat(keyed.status()).isEqualTo(201);
            heldBefore = tenant.get("/v1/claims/" + held).body();
            assertThat(heldBefore.get("state").asText()).isEqualTo("GRANTED");
            assertThat(tenant.get("/v1/claims/" + queued).text("state")).isEqualTo("QUEUED");
            accountBefore = world.account(tenantId);
            seenBefore = lastSeq(tenant);
            assertThat(seenBefore).isPositive();
        }

        try (TestBrokers second = new TestBrokers()) {
            Broker b = second.start(durability);
            Http operator = TestBrokers.operator(b);
            World world = new World(operator);
            Http tenant = operator.as(tenantToken);
            // the token issued before the restart still works; the records are as they were, leases included
            JsonNode heldAfter = tenant.get("/v1/claims/" + held).body();
            assertThat(heldAfter).isEqualTo(heldBefore);
            assertThat(tenant.get("/v1/claims/" + queued).text("state")).isEqualTo("QUEUED");
            assertThat(tenant.get("/v1/claims/" + released).text("state")).isEqualTo("RELEASED");
            assertThat(world.account(tenantId)).isEqualTo(accountBefore);
            assertThat(world.pool("lock:" + lock).get("granted").asLong()).isEqualTo(1);
            // a keyed retry answers the first answer
            Http.Answer again = tenant.post("/v1/claims", World.claim(300, 0, List.of(), 0, 600, node),
                    Map.of("Idempotency-Key", "restart-key"));
            assertThat(again.text("id")).isEqualTo(keyed.text("id"));
            assertThat(again.headers().firstValue("Idempotent-Replayed")).hasValue("true");
            // the queue moves on
            assertThat(tenant.post("/v1/claims/" + held + "/release", null).text("state")).isEqualTo("RELEASED");
            assertThat(tenant.get("/v1/claims/" + queued + "?waitSeconds=20").text("state")).isEqualTo("GRANTED");
            // the event log started empty, and its numbering went on: a reader resuming after the last sequence it
            // saw before the restart gets the events since
            JsonNode since = tenant.get("/v1/events?after=" + seenBefore).body().get("items");
            assertThat(since).isNotEmpty();
            assertThat(since.get(0).get("seq").asLong()).isGreaterThan(seenBefore);
            assertThat(since.findValuesAsText("subject")).contains(held, queued);
            world.assertAuditClean();
            world.assertCreditsClean();
        }
    }

    /**
     * A broker crashed (its member terminated at once) while four clients claim and release: started again on its
     * data directory, every claim a client was answered for is there, in the state the client last saw or a later
     * one, and nothing is held that a client was told was released.
     */
    @Test
    void aBrokerThatCrashedUnderLoadLosesNothingItAcknowledged() throws Exception {
        String node = World.name("n");
        String tenantId = World.name("t");
        String tenantToken;
        AnsweredClaims told = new AnsweredClaims();
        try (TestBrokers first = new TestBrokers()) {
            Broker a = first.start(this::durable);
            World world = new World(TestBrokers.operator(a));
            world.node(node, 1_000_000, 1_000_000);
            Http tenant = world.tenant(tenantId, 10_000_000, 10_000_000);
            tenantToken = tenant.token();
            AtomicBoolean running = new AtomicBoolean(true);
            ExecutorService load = Executors.newFixedThreadPool(4);
            List<Future<?>> clients = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                clients.add(load.submit(() -> {
                    while (running.get()) {
                        if (told.claimAndRelease(tenant, World.claim(10, 1, List.of(), 0, 600, node)).status() != 201) {
                            return null; // the broker is going: an answer it did not give is not a promise
                        }
                    }
                    return null;
                }));
            }
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> told.size() >= 60);
            a.crash();
            running.set(false);
            for (Future<?> f : clients) {
                try {
                    f.get(60, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    // a request cut by the crash: nothing it was not answered is checked
                }
            }
            load.shutdownNow();
        }
        assertThat(told.size()).isGreaterThanOrEqualTo(60);

        try (TestBrokers second = new TestBrokers()) {
            Broker b = second.start(this::durable);
            Http operator = TestBrokers.operator(b);
            Http tenant = operator.as(tenantToken);
            long held = 10L * told.assertAsAnswered(tenant, "the crash");
            World world = new World(operator);
            assertThat(world.pool("memory@" + node).get("granted").asLong()).isGreaterThanOrEqualTo(held);
            world.assertAuditClean();
        }
        assertThat(Files.size(data.resolve("ichiba.db"))).isPositive();
    }
}
