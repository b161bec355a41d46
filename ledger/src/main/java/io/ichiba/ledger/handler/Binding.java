package io.ichiba.ledger.handler;

import io.ichiba.ledger.event.Event;

import java.io.Serializable;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A handler bound to one event type: a webhook (an HTTP POST of the event, signed with the binding's secret) or an
 * event-bus address (a handler in a JVM that joined the cluster).
 *
 * @param id          binding id
 * @param owner       the tenant whose events it handles, or {@code null} for a cluster-wide (operator's) binding
 * @param eventType   e.g. {@code claim.granted}
 * @param filter      payload field to the value it must have (all must match)
 * @param webhookUrl  where to POST the event, or {@code null}
 * @param address     the event-bus address to send it to, or {@code null}
 * @param priority    order among the owner's handlers of the type under {@code ANY} (higher first)
 * @param ackPolicy   when an event counts as acknowledged (the same for every binding of the owner and type)
 * @param timeoutMs   how long one attempt may take
 * @param attempts    how many attempts before the delivery goes to the dead letters
 * @param backoffMs   the wait before the second attempt, doubled for each next one
 * @param enabled     whether it receives events
 * @param secret      the key of the HMAC-SHA256 signature of webhook bodies
 * @param session     the handler's small state (JSON), passed with each delivery and replaced by its answer
 * @param successes   deliveries that succeeded
 * @param failures    attempts that failed
 * @param lastError   the last failure, or {@code null}
 * @param lastAt      epoch millis of the last attempt
 * @param createdAt   epoch millis
 * @param source      {@code api}, or {@code file} for a binding declared in the operator's file
 */
public record Binding(String id, String owner, String eventType, SortedMap<String, String> filter, String webhookUrl,
                      String address, int priority, AckPolicy ackPolicy, long timeoutMs, int attempts, long backoffMs,
                      boolean enabled, String secret, String session, long successes, long failures,
                      String lastError, long lastAt, long createdAt, String source) implements Serializable {

    /** When an event counts as acknowledged by its owner's handlers of its type. */
    public enum AckPolicy {
        /** When every enabled handler succeeded; a handler that exhausts its attempts fails the event. */
        ALL,
        /** When the first handler succeeded, trying them one by one in priority order; fails if none does. */
        ANY,
        /** At once, before any handler runs; handlers still run, and their failures are only recorded. */
        BEFORE
    }

    /** The largest session a handler may keep, in characters of JSON. */
    public static final int MAX_SESSION = 8192;

    /** Normalises the filter. */
    public Binding {
        filter = Collections.unmodifiableSortedMap(new TreeMap<>(filter == null ? Collections.emptyMap() : filter));
    }

    /** Whether {@code e} is for this binding (enabled or not): its type, its owner's, and the filter holds. */
    public boolean matches(Event e) {
        if (!eventType.equals(e.type()) || (owner != null && !owner.equals(e.tenant()))) {
            return false;
        }
        for (var f : filter.entrySet()) {
            if (!f.getValue().equals(e.payload().get(f.getKey()))) {
                return false;
            }
        }
        return true;
    }

    Binding withEnabled(boolean on) {
        return new Binding(id, owner, eventType, filter, webhookUrl, address, priority, ackPolicy, timeoutMs, attempts,
                backoffMs, on, secret, session, successes, failures, lastError, lastAt, createdAt, source);
    }

    Binding withPriority(int p) {
        return new Binding(id, owner, eventType, filter, webhookUrl, address, p, ackPolicy, timeoutMs, attempts,
                backoffMs, enabled, secret, session, successes, failures, lastError, lastAt, createdAt, source);
    }

    Binding recorded(boolean ok, String error, String newSession, long now) {
        return new Binding(id, owner, eventType, filter, webhookUrl, address, priority, ackPolicy, timeoutMs, attempts,
                backoffMs, enabled, secret, newSession != null ? newSession : session, ok ? successes + 1 : successes,
                ok ? failures : failures + 1, ok ? lastError : error, now, createdAt, source);
    }
}
