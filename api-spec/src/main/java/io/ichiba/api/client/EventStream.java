package io.ichiba.api.client;

import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * The settings of a subscription to the broker's event stream ({@code GET /v1/events},
 * {@code Accept: text/event-stream}), started by {@link #listen(EventListener)}.
 *
 * <pre>{@code
 * try (Subscription s = client.events().types("claim.granted", "claim.expired").after(lastSeen)
 *         .listen(e -> handle(e))) {
 *     ...
 * }
 * }</pre>
 *
 * <p>Defaults: every type the token may see, from the oldest event the log keeps ({@code after} -1), reconnecting
 * after 250 ms doubling to 30 s (with jitter), a connection silent for 45 s taken for dead (the broker sends a
 * keep-alive every 15 s), and the last 4096 event ids remembered to drop duplicates.
 */
public final class EventStream {
    private static final String TYPE = "[a-z.-]+";

    private final IchibaClient client;
    private List<String> types = List.of();
    private long after = -1;
    private Duration minBackoff = Duration.ofMillis(250);
    private Duration maxBackoff = Duration.ofSeconds(30);
    private Duration idleTimeout = Duration.ofSeconds(45);
    private int remembered = 4096;

    EventStream(IchibaClient client) {
        this.client = Objects.requireNonNull(client, "client");
    }

    /**
     * Keeps only events of these types ({@code claim.granted}, {@code node.lost}, …); none given: every type.
     *
     * @throws IllegalArgumentException when a type is not lower-case letters, '.' and '-'
     */
    public EventStream types(String... types) {
        return types(Arrays.asList(types));
    }

    /** Keeps only events of these types; see {@link #types(String...)}. */
    public EventStream types(Collection<String> types) {
        for (String t : types) {
            if (t == null || !t.matches(TYPE)) {
                throw new IllegalArgumentException("event type '" + t + "' must be lower-case letters, '.' and '-'");
            }
        }
        if (String.join(",", types).length() > 512) {
            throw new IllegalArgumentException("at most 512 characters of event types");
        }
        this.types = List.copyOf(types);
        return this;
    }

    /** Starts after the event of this {@code seq} (e.g. the last one a previous run handled); -1: the oldest kept. */
    public EventStream after(long seq) {
        if (seq < -1) {
            throw new IllegalArgumentException("after must be -1 or more, was " + seq);
        }
        this.after = seq;
        return this;
    }

    /**
     * How long to wait before connecting again: {@code min} after the first failure, doubling up to {@code max}; each
     * wait is drawn at random between half of it and all of it, so that many clients do not come back at once.
     */
    public EventStream reconnectBackoff(Duration min, Duration max) {
        positive(min, "min");
        positive(max, "max");
        if (max.compareTo(min) < 0) {
            throw new IllegalArgumentException("max " + max + " must not be below min " + min);
        }
        this.minBackoff = min;
        this.maxBackoff = max;
        return this;
    }

    /** How long a connection may stay silent (no event, no keep-alive) before it is dropped and made again. */
    public EventStream idleTimeout(Duration timeout) {
        this.idleTimeout = positive(timeout, "idleTimeout");
        return this;
    }

    /** How many recent event ids are remembered to drop an event the log holds twice (at least 1). */
    public EventStream dedupWindow(int ids) {
        if (ids < 1) {
            throw new IllegalArgumentException("dedupWindow must be at least 1, was " + ids);
        }
        this.remembered = ids;
        return this;
    }

    /**
     * Connects and calls {@code listener} with each event, on a thread of its own, until the subscription is closed
     * (or the client is). Returns at once; a broker that cannot be reached now is tried again with the backoff.
     */
    public Subscription listen(EventListener listener) {
        Objects.requireNonNull(listener, "listener");
        Subscription s = new Subscription(client, new Subscription.Settings(List.copyOf(types), after, minBackoff,
                maxBackoff, idleTimeout, remembered), listener);
        s.start();
        return s;
    }

    private static Duration positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, was " + d);
        }
        return d;
    }
}
