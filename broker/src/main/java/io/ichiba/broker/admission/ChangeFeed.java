package io.ichiba.broker.admission;

import io.ichiba.broker.engine.SignedCodec;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;

import java.util.ArrayList;
import java.util.List;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Tells every member's {@link ChangeWatch} what the engine's member journaled, over the clustered event bus: the
 * keys of the claims and jobs that changed ({@link ChangeWatch}'s keys), gathered while one publish is on its way and
 * sent together. A long-poll on a member that does not run the engine — a {@code POST /v1/claims} waiting for the
 * admission loop's first look, a {@code GET} with {@code waitSeconds}, a runner's poll for jobs — wakes within a
 * network hop of the journal (signed: {@link SignedCodec}). Before, such members heard of changes from the state maps, written behind at most every
 * 50 ms and sent as whole records to every listening member: with three members under load, a claim sent to another
 * member took 30 ms at the median against 3 ms at the engine's member, and the events cost each member a seventh of
 * its CPU. A key lost while the engine moves only delays its waiters until their deadline.
 */
public final class ChangeFeed {
    /** Where the keys are published. */
    public static final String ADDRESS = "ichiba.changes";

    private static final DeliveryOptions SIGNED = new DeliveryOptions().setCodecName(SignedCodec.NAME);

    private final Vertx vertx;
    private final ChangeWatch watch;
    private final ConcurrentLinkedQueue<String> keys = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();

    /** Starts the feed of this member: what is published wakes {@code watch}. */
    public ChangeFeed(Vertx vertx, ChangeWatch watch) {
        this.vertx = vertx;
        this.watch = watch;
        vertx.eventBus().consumer(ADDRESS, m -> {
            if (m.body() instanceof List<?> changed) { // a frame sent with another codec is not a member's
                changed.forEach(k -> watch.changed(String.valueOf(k)));
            }
        });
    }

    /**
     * On the engine's member, from its listeners (any thread): wakes the waiters of {@code key} here at once, and on
     * every other member with the next publish.
     */
    public void changed(String key) {
        watch.changed(key);
        keys.add(key);
        if (scheduled.compareAndSet(false, true)) {
            vertx.runOnContext(v -> publish());
        }
    }

    private void publish() {
        scheduled.set(false);
        List<String> out = new ArrayList<>();
        for (String k = keys.poll(); k != null; k = keys.poll()) {
            out.add(k);
        }
        if (!out.isEmpty()) {
            vertx.eventBus().publish(ADDRESS, out, SIGNED);
        }
    }
}
