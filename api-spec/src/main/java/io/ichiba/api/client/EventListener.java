package io.ichiba.api.client;

import io.ichiba.api.Model;

import java.time.Duration;

/**
 * What a {@link Subscription} calls: each event once, in the order of the log, and what happens to the connection.
 * Every method runs on the subscription's own thread, one call at a time, so a listener needs no locking of its own
 * as long as nothing else touches its state.
 *
 * <pre>{@code
 * client.events().types("claim.granted", "claim.preempt-notice")
 *       .listen(e -> System.out.println(e.seq() + " " + e.type() + " " + e.payload().get("claim")));
 * }</pre>
 *
 * <p>Only {@link #onEvent(Model.Event)} must be written; the others do nothing by default.
 */
@FunctionalInterface
public interface EventListener {
    /**
     * One event, delivered once: after every event of a lower {@code seq} that was delivered, and never with an
     * {@code id} delivered recently. An exception thrown here is logged and the event counts as delivered: the
     * stream goes on with the next one.
     */
    void onEvent(Model.Event event);

    /**
     * The stream is (re)connected and sends the events after {@code after} (-1: from the oldest the log keeps).
     *
     * @param after the {@code seq} the stream resumes after: the last one delivered, or the one asked for at first
     */
    default void onConnect(long after) {
    }

    /**
     * The connection was lost or refused (broker gone, reset, idle for too long, 5xx); the subscription connects
     * again after {@code retryIn} and resumes after the last event delivered.
     */
    default void onDisconnect(IchibaException cause, Duration retryIn) {
    }

    /**
     * The subscription has ended and calls nothing more: closed by the caller ({@code cause} {@code null}), or
     * refused in a way a retry would not mend ({@code cause}: e.g. 401 for a bad token, 403 for an agent's token, 400
     * for a malformed filter).
     */
    default void onStop(IchibaException cause) {
    }
}
