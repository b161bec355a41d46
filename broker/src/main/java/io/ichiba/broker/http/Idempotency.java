package io.ichiba.broker.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ichiba.api.Wire;
import io.ichiba.broker.Tokens;
import io.ichiba.ledger.IdempotencyRecord;
import io.ichiba.ledger.store.Store;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;

import java.time.Clock;
import java.util.function.Supplier;

/**
 * Exactly-once effects for mutating requests (law 5): the first answer to a request with an
 * {@code Idempotency-Key} is stored under the caller and key, and a retry gets it again without running.
 *
 * <p>A retry while the first run is under way is a 409; the same key with a different request (method, path
 * or body) is a 422. If the first run failed on the server's side, the key is freed so that a retry runs
 * again; if its member died mid-run, the key is taken over after {@link #STALE_MILLIS}. Operations that
 * create things also derive their ids from the key, so even a run taken over creates nothing twice.
 *
 * <p>Secrets are never stored: an answer's {@code token} is left out of the answer kept, which says instead that a
 * token was issued once ({@code tokenIssuedOnce}); a retry gets that. Every token is random ({@link Tokens#newToken}):
 * nothing a caller knows gives it again.
 */
public final class Idempotency {
    /** Header that carries the key. */
    public static final String HEADER = "Idempotency-Key";
    /** A run older than this whose answer was never stored is presumed dead. */
    public static final long STALE_MILLIS = 30_000;

    private static final String TOKEN = "token";
    private static final String ISSUED_ONCE = "tokenIssuedOnce";

    private final Store store;
    private final WorkerExecutor worker;
    private final Clock clock;

    /** Creates the guard over the store's idempotency table. */
    public Idempotency(Store store, WorkerExecutor worker, Clock clock) {
        this.store = store;
        this.worker = worker;
        this.clock = clock;
    }

    /** Runs {@code op} once per key: a retry with the key answers the first answer. */
    public Future<Reply> run(Call call, Supplier<Future<Reply>> change) {
        Supplier<Future<Reply>> op = () -> checkedOnTheEngine(change);
        String key = call.header(HEADER);
        if (key == null) {
            return op.get();
        }
        String id = call.caller().key() + ":" + key;
        String body = call.rc().body() == null ? "" : String.valueOf(call.rc().body().asString());
        String fingerprint = Tokens.hash(call.rc().request().method().name() + " " + call.rc().normalizedPath()
                + "\n" + body);
        return worker.executeBlocking(() -> {
            long now = clock.millis();
            return store.idempotency().execute(id, new IdempotencyRecord.Begin(fingerprint, now, now - STALE_MILLIS));
        }, false).compose(d -> switch (d.verdict()) {
            case REPLAY -> {
                call.rc().response().putHeader("Idempotent-Replayed", "true");
                yield Future.succeededFuture(new Reply(d.record().status(), d.record().body()));
            }
            case IN_PROGRESS -> Future.succeededFuture(Problems.of(409, "IDEMPOTENCY_IN_PROGRESS",
                    "a request with this Idempotency-Key is still running; retry later"));
            case MISMATCH -> Future.succeededFuture(Problems.of(422, "IDEMPOTENCY_KEY_REUSED",
                    "this Idempotency-Key was used with a different request"));
            case PROCEED -> op.get().compose(reply -> store(id, fingerprint, reply),
                    err -> worker.executeBlocking(() -> store.idempotency().execute(id,
                            new IdempotencyRecord.Abandon(fingerprint)), false).transform(x -> Future.failedFuture(err)));
        });
    }

    /**
     * Runs {@code change}; fails it as unconfirmed (503) if it answered what a lagging view may have decided — no such
     * record (404), not yours (403), not in that state (409) — while this member answered reads from its last view
     * ({@link Store#laggingReads}): a change checks its record by reading it first, and on a member cut off from the
     * majority that read may miss a record created a moment ago (a DELETE of a claim just granted answered 404 while
     * the claim kept its tokens). A retry, once a majority answers, reads the engine's state.
     */
    private Future<Reply> checkedOnTheEngine(Supplier<Future<Reply>> change) {
        long lagging = store.laggingReads();
        return change.get().compose(reply -> {
            int s = reply.status();
            if ((s == 403 || s == 404 || s == 409) && store.laggingReads() != lagging) {
                return Future.failedFuture(new io.ichiba.ledger.engine.EngineUnavailableException("this member "
                        + "answered from its last view of the ledger while the change ran: its " + s
                        + " cannot be confirmed", null));
            }
            return Future.succeededFuture(reply);
        });
    }

    private static String redact(String json) throws java.io.IOException {
        JsonNode tree = Wire.JSON.readTree(json);
        if (tree instanceof ObjectNode o && o.hasNonNull(TOKEN)) {
            o.remove(TOKEN);
            o.put(ISSUED_ONCE, true);
            return Wire.JSON.writeValueAsString(o);
        }
        return json;
    }

    private Future<Reply> store(String id, String fingerprint, Reply reply) {
        // a 5xx, and a 429 (the tenant at a limit: a state that passes), are not the request's answer: a retry with
        // the same key runs it again
        if (reply.status() >= 500 || reply.status() == 429) {
            return worker.executeBlocking(() -> store.idempotency().execute(id, new IdempotencyRecord.Abandon(fingerprint)),
                    false).map(x -> reply);
        }
        return worker.executeBlocking(() -> {
            String json = reply.body() instanceof String s ? s : Wire.JSON.writeValueAsString(reply.body());
            store.idempotency().execute(id, new IdempotencyRecord.Complete(fingerprint, reply.status(), redact(json)));
            return new Reply(reply.status(), json);
        }, false);
    }
}
