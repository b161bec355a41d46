package io.ichiba.broker;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Durability under a real crash (issue 15): a broker process alone, with its embedded database in a temporary data
 * directory, under a load of claims and releases, mints and trades, is killed ({@code kill -9}) and started again on
 * the same directory. Every request and answer is recorded; over that history: every claim answered is there, in
 * the state last answered or one a later request may have caused; every mint answered is counted, and its key
 * answers it again; every bid answered filled is filled, with its loan; the credits add up and the audit is clean.
 */
class DurabilityFaultIT {
    private static final int CLAIMERS = 3;

    @TempDir
    Path data;

    @Test
    void aBrokerKilledUnderLoadAndStartedAgainKeepsEveryAnswerItGave() throws Exception {
        Map<String, String> env = Map.of("ICHIBA_DATA_DIR", data.toString(), "ICHIBA_SNAPSHOT_BATCHES", "200");
        try (BrokerProcesses processes = new BrokerProcesses()) {
            BrokerProcesses.Member first = processes.startAlone(env);
            World world = new World(first.operator);
            String node = World.name("n");
            world.node(node, 1_000_000, 1_000_000);
            String claimerId = World.name("claimer");
            String lenderId = World.name("lender");
            String borrowerId = World.name("borrower");
            Http claimer = world.tenant(claimerId, 10_000_000, 10_000_000);
            Http lender = world.tenant(lenderId, 10_000_000, 0);
            Http borrower = world.tenant(borrowerId, 1_000, 0);
            world.mint(borrowerId, 100_000_000, null);

            AnsweredClaims claims = new AnsweredClaims();
            Map<String, Long> mints = new ConcurrentHashMap<>(); // key -> amount answered 201
            AtomicLong mintsSent = new AtomicLong();
            ConcurrentLinkedQueue<String> filledBids = new ConcurrentLinkedQueue<>();
            AtomicBoolean running = new AtomicBoolean(true);
            ExecutorService load = Executors.newFixedThreadPool(CLAIMERS + 2);
            List<Future<?>> work = new ArrayList<>();
            for (int i = 0; i < CLAIMERS; i++) {
                work.add(load.submit(() -> {
                    while (running.get()) {
                        claims.claimAndRelease(claimer, World.claim(10, 1, List.of(), 0, 3600, node));
                    }
                    return null;
                }));
            }
            Http operator = first.operator;
            work.add(load.submit(() -> {
                for (int i = 0; running.get(); i++) {
                    String key = "mint-" + i;
                    mintsSent.addAndGet(7);
                    Http.Answer m = operator.post("/v1/tenants/" + claimerId + "/credits", Map.of("amount", 7),
                            Map.of("Idempotency-Key", key));
                    if (m.status() == 201) {
                        mints.put(key, 7L);
                    }
                }
                return null;
            }));
            work.add(load.submit(() -> {
                while (running.get()) {
                    Http.Answer o = lender.post("/v1/market/offers", World.offer("memory", 10, 3600, 1));
                    if (o.status() != 201) {
                        continue;
                    }
                    Http.Answer b = borrower.post("/v1/market/bids", World.bid("memory", 10, 600, 5));
                    if (b.status() == 201 && "FILLED".equals(b.text("state"))) {
                        filledBids.add(b.text("id"));
                    }
                }
                return null;
            }));
            await().atMost(Duration.ofSeconds(60)).until(() -> claims.size() >= 150 && mints.size() >= 20
                    && filledBids.size() >= 10);
            first.kill();
            running.set(false);
            for (Future<?> f : work) {
                try {
                    f.get(60, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    // a request the kill cut: it was answered nothing, so nothing is checked of it
                }
            }
            load.shutdownNow();

            BrokerProcesses.Member again = processes.startAlone(env);
            Http op = again.operator;
            Http claimerAgain = claimer.at(again.base());
            claims.assertAsAnswered(claimerAgain, "the kill");
            for (String bid : filledBids) {
                Http.Answer b = borrower.at(again.base()).get("/v1/market/bids/" + bid);
                assertThat(b.text("state")).as("bid %s", bid).isEqualTo("FILLED");
            }
            assertThat(World.ids(borrower.at(again.base()).get("/v1/loans")).size())
                    .isGreaterThanOrEqualTo(filledBids.size());
            World after = new World(op);
            JsonNode credits = after.assertCreditsClean();
            long minted = credits.get("minted").asLong();
            long answered = mints.values().stream().mapToLong(Long::longValue).sum();
            assertThat(minted - 100_000_000).as("mints answered %s, sent %s", answered, mintsSent.get())
                    .isBetween(answered, mintsSent.get());
            String someKey = mints.keySet().iterator().next();
            Http.Answer retry = op.post("/v1/tenants/" + claimerId + "/credits", Map.of("amount", 7),
                    Map.of("Idempotency-Key", someKey));
            assertThat(retry.status()).isEqualTo(201);
            assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
            after.assertAuditClean();
        }
    }
}
