package io.ichiba.broker.admission;

import io.ichiba.ledger.claim.Claim;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Wakes requests that wait for something to change (long-poll), without holding any thread while they wait.
 * Keys name what changed: a claim's id, {@code job:<id>}, {@code node-jobs:<node>}.
 *
 * <p>Every member hears every change of the claims and jobs tables: the engine's member from its own listeners, the
 * others from its {@link ChangeFeed} over the event bus, so a claim granted on another member wakes the waiters here within a network hop.
 */
public final class ChangeWatch {
    private final Vertx vertx;
    private final Map<String, List<Runnable>> waiters = new ConcurrentHashMap<>();

    /** Creates the watch. */
    public ChangeWatch(Vertx vertx) {
        this.vertx = vertx;
    }

    /** Called on every change of a claim, on any thread. */
    public void changed(Claim c) {
        changed(c.id());
    }

    /** Called on every change of what {@code key} names, on any thread. */
    public void changed(String key) {
        List<Runnable> fire = waiters.remove(key);
        if (fire != null) {
            fire.forEach(Runnable::run);
        }
    }

    /** Returns the number of claims waited on (for tests and metrics). */
    public int watched() {
        return waiters.size();
    }

    /**
     * Returns a future that completes on the next change of claim {@code id}, or after {@code timeoutMillis}.
     * Register before reading the claim, so that no change between the read and the wait is missed.
     */
    public Future<Void> next(String id, long timeoutMillis) {
        Promise<Void> p = Promise.promise();
        Context ctx = vertx.getOrCreateContext();
        Runnable fire = () -> ctx.runOnContext(v -> p.tryComplete());
        // Added inside compute, atomically with respect to changed()'s remove: a waiter added to a list that a
        // change had just taken away (and fired) would wait its whole timeout.
        waiters.compute(id, (k, l) -> {
            List<Runnable> list = l != null ? l : new CopyOnWriteArrayList<>();
            list.add(fire);
            return list;
        });
        long timer = vertx.setTimer(Math.max(1, timeoutMillis), t -> {
            waiters.computeIfPresent(id, (k, l) -> {
                l.remove(fire);
                return l.isEmpty() ? null : l;
            });
            p.tryComplete();
        });
        return p.future().onComplete(x -> vertx.cancelTimer(timer));
    }
}
