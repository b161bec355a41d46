package io.ichiba.broker.http;

import io.ichiba.broker.admission.ChangeWatch;
import io.ichiba.ledger.Claim;
import io.ichiba.ledger.Jobs;
import io.ichiba.ledger.Ledger;
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
 */
public record ApiContext(Vertx vertx, Ledger ledger, WorkerExecutor worker, ChangeWatch watch, Runnable nudge,
                         long grantWaitMillis, Idempotency idempotency, Jobs jobs) {

    /** Runs {@code work} on the worker pool, unordered. */
    public <T> Future<T> blocking(Callable<T> work) {
        return worker.executeBlocking(work, false);
    }

    /**
     * Runs {@code work} as one command of the engine when it runs on this member, completing on the caller's event
     * loop once the command is journaled, with no thread held meanwhile; elsewhere (or if the engine moved away before
     * it ran) on a worker, where each ledger call inside it reaches the engine on its own: one call for an operation
     * the ledger sends whole ({@link Ledger#atomically}). {@code work} must only call the ledger: on the engine's
     * thread it must not wait for anything.
     */
    public <T> Future<T> onEngine(java.util.function.Supplier<T> work) {
        java.util.concurrent.CompletableFuture<T> running = ledger.store().submitLocal(work);
        if (running == null) {
            return blocking(work::get);
        }
        return Future.fromCompletionStage(running, vertx.getOrCreateContext()).recover(e -> {
            Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                    ? e.getCause() : e;
            return cause instanceof io.ichiba.ledger.engine.NotEngineException ? blocking(work::get)
                    : Future.failedFuture(cause);
        });
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
