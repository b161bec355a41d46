package io.ichiba.broker;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The journal's database made unwritable under load (issue 15): requests are answered 503
 * {@code DATABASE_UNAVAILABLE} at once while it is away, nothing acknowledged is lost, the broker resumes by itself
 * when the database answers again, and a restart from the database holds every claim a client was answered.
 */
class DatabaseOutageIT {
    @TempDir
    Path data;

    private BrokerConfig durable(BrokerConfig c) {
        return c.withDurability(BrokerConfig.Durability.embedded(data));
    }

    /** Renames the batches' table away (the database refuses the next write), or back. */
    private void breakDatabase(boolean broken) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("ichiba.db"));
             Statement s = c.createStatement()) {
            s.execute("PRAGMA busy_timeout=30000");
            s.execute(broken ? "ALTER TABLE ichiba_batch RENAME TO ichiba_batch_away"
                    : "ALTER TABLE ichiba_batch_away RENAME TO ichiba_batch");
        }
    }

    @Test
    void aDatabaseAwayStopsAcknowledgingAtOnceLosesNothingAndTheBrokerResumes() throws Exception {
        String node = World.name("n");
        String tenantId = World.name("t");
        String tenantToken;
        AnsweredClaims answered = new AnsweredClaims();
        String before;
        try (TestBrokers cluster = new TestBrokers()) {
            Broker b = cluster.start(this::durable);
            World world = new World(TestBrokers.operator(b));
            world.node(node, 1_000_000, 1_000_000);
            Http tenant = world.tenant(tenantId, 10_000_000, 10_000_000);
            tenantToken = tenant.token();
            before = tenant.post("/v1/claims", World.claim(10, 1, List.of(), 0, 600, node)).text("id");

            AtomicBoolean running = new AtomicBoolean(true);
            AtomicInteger unavailable = new AtomicInteger();
            ExecutorService load = Executors.newFixedThreadPool(2);
            List<Future<?>> clients = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                clients.add(load.submit(() -> {
                    while (running.get()) {
                        Http.Answer a = answered.claimAndRelease(tenant, World.claim(10, 1, List.of(), 0, 600, node));
                        if (a.status() != 201) {
                            assertThat(a.status()).as(a.toString()).isEqualTo(503); // the claim's, or its release's
                            unavailable.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> answered.size() >= 20);

            breakDatabase(true);
            await("503 DATABASE_UNAVAILABLE while the database is away").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                        long t0 = System.nanoTime();
                        Http.Answer a = tenant.post("/v1/claims", World.claim(10, 1, List.of(), 0, 600, node));
                        assertThat(a.status()).as(a.toString()).isEqualTo(503);
                        assertThat(a.text("code")).isEqualTo("DATABASE_UNAVAILABLE");
                        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("answered at once, not after "
                                + "waiting for an engine").isLessThan(Duration.ofSeconds(10));
                    });
            int whileAway = answered.size();

            breakDatabase(false);
            await("the broker resumes by itself").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> tenant.post("/v1/claims", World.claim(10, 1, List.of(), 0, 600, node)).status() == 201);
            await().atMost(Duration.ofSeconds(30)).until(() -> answered.size() >= whileAway + 10);
            running.set(false);
            for (Future<?> f : clients) {
                f.get(60, TimeUnit.SECONDS);
            }
            load.shutdown();
            assertThat(unavailable.get()).isPositive();
            assertThat(TestBrokers.operator(b).metric("ichiba_journal_database_errors_total", "step", "write"))
                    .isPositive();

            answered.assertAsAnswered(tenant, "the outage");
            assertThat(tenant.get("/v1/claims/" + before).text("state")).isEqualTo("GRANTED");
            world.assertAuditClean();
        }

        // and the database holds every answer: a broker started on it after every member stopped
        try (TestBrokers again = new TestBrokers()) {
            Http tenant = TestBrokers.operator(again.start(this::durable)).as(tenantToken);
            answered.assertAsAnswered(tenant, "the restart");
            assertThat(tenant.get("/v1/claims/" + before).text("state")).isEqualTo("GRANTED");
        }
    }
}
