package io.ichiba.broker.http;

import io.ichiba.broker.admission.ChangeWatch;
import io.ichiba.broker.engine.Forwarder;
import io.ichiba.ledger.Jobs;
import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.store.Operation;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;

import java.util.concurrent.Callable;
import java.util.function.Predicate;

/**
 * What the operations work with: the ledger, a worker pool for its blocking calls, the change watch, the jobs.
 *
 * @param vertx           the Vert.x instance
 * @param ledger          the ledger
 * @param worker          runs ledger calls off the event loop
 * @param watch           wakes long-polls
 * @param nudge           asks the admission loop for a pass
 * @param grantWaitMillis how long a new claim's answer waits for the admission loop's first look
 * @param idempotency     the idempotency guard (it also issues tokens that a retry can be answered again)
 * @param jobs            the jobs
 * @param forwarder       sends operations to the engine's member over the event bus ({@code null}: never)
 * @param webhooks        where webhooks may go (a binding to an internal address written out is refused)
 * @param revocations     tells every member a token was revoked ({@code null}: a test without members)
 * @param limits          what one caller may take of this member at once: streams, long-polls
 */
public record ApiContext(Vertx vertx, Ledger ledger, WorkerExecutor worker, ChangeWatch watch, Runnable nudge,
                         long grantWaitMillis, Idempotency idempotency, Jobs jobs, Forwarder forwarder,
                         io.ichiba.broker.handlers.WebhookTargets webhooks, TokenRevocations revocations,
                         CallerLimits limits) {

    /** Runs {@code work} on the worker pool, unordered. */
    public <T> Future<T> blocking(Callable<T> work) {
        return worker.executeBlocking(work, false);
    }

    /**
     * Runs {@code op} as one command of the engine, wherever it runs, without holding a thread: on this member from
     * the caller's event loop ({@code Store.submitLocal}); on another, sent over the event bus ({@link Forwarder}).
     * Either way the future completes on the caller's event loop once the command's batch is journaled. If neither can
     * be done (no engine here, none known, or it moved before the command ran), {@code op} runs on a worker, which
     * finds the engine wherever it is. {@code op} must only call the ledger: on the engine's thread it must not wait
     * for anything.
     */
    public <T> Future<T> onEngine(Operation<Ledger, T> op) {
        java.util.concurrent.CompletableFuture<T> running = ledger.store().submitLocal(() -> op.run(ledger));
        if (running == null) {
            return elsewhere(op);
        }
        return Future.fromCompletionStage(running, vertx.getOrCreateContext())
                .recover(e -> notEngine(e) ? elsewhere(op) : Future.failedFuture(cause(e)));
    }

    private <T> Future<T> elsewhere(Operation<Ledger, T> op) {
        Future<T> sent = forwarder == null ? null : forwarder.send(op);
        if (sent == null) {
            return blocking(() -> ledger.atomically(op));
        }
        return sent.recover(e -> notEngine(e) ? blocking(() -> ledger.atomically(op)) : Future.failedFuture(cause(e)));
    }

    private static Throwable cause(Throwable e) {
        return e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    private static boolean notEngine(Throwable e) {
        return cause(e) instanceof io.ichiba.ledger.engine.NotEngineException;
    }

    /**
     * Answers claim {@code id} once {@code waiting} no longer holds for it, or at {@code deadline} (epoch
     * millis) at the latest, without holding a thread meanwhile.
     */
    public Future<Claim> await(String id, long deadline, Predicate<Claim> waiting) {
        return await(id, () -> ledger.claim(id), deadline, waiting);
    }

    /**
     * Answers {@code read()} once {@code waiting} no longer holds for it (or it is {@code null}), or at
     * {@code deadline} at the latest; {@code key} names the changes that may end the wait.
     */
    public <T> Future<T> await(String key, Callable<T> read, long deadline, Predicate<T> waiting) {
        long left = deadline - System.currentTimeMillis();
        Future<Void> signal = left > 0 ? watch.next(key, left) : Future.succeededFuture();
        return blocking(read).compose(x -> {
            if (x == null || !waiting.test(x) || left <= 0) {
                return Future.succeededFuture(x);
            }
            return signal.compose(v -> await(key, read, deadline, waiting));
        });
    }
}
