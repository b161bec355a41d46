package io.ichiba.broker;

import io.ichiba.broker.http.Api;
import io.ichiba.broker.http.ApiContext;
import io.ichiba.broker.http.ApiRouter;
import io.ichiba.broker.http.Contract;
import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.LedgerSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.openapi.contract.OpenAPIContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The contract and the handlers cannot drift: every operation of openapi.yaml has a handler, and no more. */
class ContractTest {
    private static Vertx vertx;
    private static OpenAPIContract contract;
    private static Map<String, ApiRouter.Op> ops;

    @BeforeAll
    static void load() throws Exception {
        vertx = Vertx.vertx();
        contract = Contract.load(vertx).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        Ledger ledger = new Ledger(new io.ichiba.ledger.engine.EngineStore(new io.ichiba.ledger.journal.InMemoryJournal(),
                new io.ichiba.ledger.store.InMemoryEventLog(16), null, io.ichiba.ledger.engine.EngineListener.NONE,
                java.time.Duration.ofSeconds(1)), Clock.systemUTC(), LedgerSettings.defaults());
        ApiContext ctx = new ApiContext(vertx, ledger, null, null, () -> { }, 0, null, new io.ichiba.ledger.Jobs(ledger), null,
                io.ichiba.broker.handlers.WebhookTargets.allowing(java.util.List.of()), null,
                io.ichiba.broker.http.CallerLimits.NONE);
        ops = Api.operations(ctx, new BrokerMetrics(new SimpleMeterRegistry(), ledger), () -> true, () -> "m", () -> 1, true);
    }

    @AfterAll
    static void close() {
        vertx.close();
    }

    @Test
    void everyOperationOfTheContractHasAHandler() {
        Set<String> bound = new TreeSet<>(ops.keySet());
        bound.add("metrics"); // the Prometheus scrape, bound as a raw handler by the broker
        assertThat(bound).isEqualTo(ApiRouter.operationIds(contract));
        assertThat(ApiRouter.operationIds(contract)).contains("createClaim", "getClaim", "releaseClaim",
                "renewClaim", "cancelClaim", "listPools", "reportNode", "createLock", "audit");
    }

    @Test
    void aMissingHandlerStopsTheBrokerFromStarting() {
        Map<String, ApiRouter.Op> partial = new HashMap<>(ops);
        partial.remove("releaseClaim");
        assertThatThrownBy(() -> ApiRouter.create(vertx, contract, partial, Map.of("metrics", rc -> { }), null, null, null))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("releaseClaim");
    }

    @Test
    void onlyHealthReadyAndMetricsArePublic() {
        assertThat(ApiRouter.publicPaths(contract)).containsExactlyInAnyOrder("/health", "/ready", "/metrics");
    }

    @Test
    void problemResponsesKeepTheirMediaTypeInTheContract() throws Exception {
        try (var in = io.ichiba.api.Wire.contract()) {
            String yaml = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(yaml).contains("application/problem+json");
        }
        var forRouter = Contract.forRouter();
        var badRequest = forRouter.getJsonObject("components").getJsonObject("responses").getJsonObject("BadRequest");
        assertThat(badRequest.getJsonObject("content").fieldNames()).containsExactly("application/json");
        var ready = forRouter.getJsonObject("paths").getJsonObject("/ready").getJsonObject("get")
                .getJsonObject("responses").getJsonObject("503").getJsonObject("content");
        assertThat(ready.fieldNames()).containsExactly("application/json");
    }
}
