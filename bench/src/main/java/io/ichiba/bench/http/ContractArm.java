package io.ichiba.bench.http;

import io.ichiba.broker.http.ApiRouter;
import io.ichiba.broker.http.Authenticator;
import io.ichiba.broker.http.Contract;
import io.ichiba.broker.http.Idempotency;
import io.ichiba.broker.http.Problems;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.ext.web.Router;

import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * The broker's own HTTP front, built by {@link ApiRouter#create} over {@link Contract#load} exactly as the broker
 * builds it, with only {@code createClaim} and {@code releaseClaim} doing anything; every other operation
 * answers 501.
 *
 * <p>Included, as in the broker: the body handler (64 KiB limit), the broker's {@link Authenticator} (SHA-256 of the
 * bearer token, constant-time compare), request validation against {@code openapi.yaml}, the idempotency guard
 * (a no-op without {@code Idempotency-Key}), problem answers, JSON writing of wire records. The one accepted token is
 * given as the authenticator's operator token, so no store is read; the broker's tenant tokens are a hash plus a
 * map hit in its cache, the same order of cost. Not included: the ledger, its worker-pool hop, Hazelcast, the
 * admission loop, Vert.x metrics (Micrometer) and logging, which the broker has.
 */
final class ContractArm {
    private ContractArm() {
    }

    /** Builds the router whose {@code createClaim} and {@code releaseClaim} are {@code create} and {@code release}. */
    static Future<Router> router(Vertx vertx, String token, ApiRouter.Op create, ApiRouter.Op release) {
        return Contract.load(vertx).map(contract -> {
            // never started: the one token is the operator's and no request carries an Idempotency-Key, so nothing
            // reads it
            io.ichiba.ledger.engine.EngineStore store = new io.ichiba.ledger.engine.EngineStore(
                    new io.ichiba.ledger.journal.InMemoryJournal(), new io.ichiba.ledger.store.InMemoryEventLog(16),
                    null, io.ichiba.ledger.engine.EngineListener.NONE, java.time.Duration.ofSeconds(1));
            WorkerExecutor worker = vertx.createSharedWorkerExecutor("bench-auth", 2);
            Authenticator auth = new Authenticator(ApiRouter.publicPaths(contract), token, store, worker);
            Idempotency idempotency = new Idempotency(store, worker, Clock.systemUTC());
            Map<String, ApiRouter.Op> ops = new HashMap<>();
            for (String id : ApiRouter.operationIds(contract)) {
                ops.put(id, call -> Future.succeededFuture(
                        Problems.of(501, "NOT_IMPLEMENTED", id + " is not part of the baseline")));
            }
            ops.put("createClaim", create);
            ops.put("releaseClaim", release);
            return ApiRouter.create(vertx, contract, ops, Map.of(), auth, idempotency,
                    io.ichiba.broker.http.CallerLimits.NONE);
        });
    }
}
