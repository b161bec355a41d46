package io.ichiba.broker.http;

import io.ichiba.api.Model;
import io.ichiba.api.Wire;
import io.ichiba.broker.BrokerMetrics;
import io.ichiba.ledger.event.Event;
import io.ichiba.ledger.store.EventLog;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpServerResponse;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * The event log as a page ({@code GET /v1/events}) or a server-sent event stream (the same, with
 * {@code Accept: text/event-stream}).
 *
 * <p>A tenant sees its own events only, the operator every event; agents none. The stream polls the log every
 * {@value #POLL_MILLIS} ms, sends each event as {@code id: <seq>}, {@code event: <type>}, {@code data: <json>}, and a
 * keep-alive comment every {@value #KEEP_ALIVE_MILLIS} ms; a client resumes with {@code Last-Event-ID} (or
 * {@code after}) and misses nothing the log still keeps.
 */
final class EventsApi {
    static final long POLL_MILLIS = 200;
    static final long KEEP_ALIVE_MILLIS = 15_000;
    /** The most events one page request looks at (matching or not), so a filter never scans the whole log. */
    static final int SCAN_LIMIT = 10_000;

    private final ApiContext ctx;
    private final BrokerMetrics metrics;

    EventsApi(ApiContext ctx, BrokerMetrics metrics) {
        this.ctx = ctx;
        this.metrics = metrics;
    }

    Map<String, ApiRouter.Op> ops() {
        return Map.of("listEvents", this::events);
    }

    private EventLog log() {
        return ctx.ledger().store().events();
    }

    private Future<Reply> events(Call call) {
        if (!call.caller().operator() && !call.caller().tenant()) {
            return Future.succeededFuture(Problems.forbidden("agents have no events"));
        }
        String tenant = call.caller().operator() ? null : call.caller().subject();
        String types = call.query("types");
        Set<String> wanted = types == null || types.isBlank() ? null
                : new TreeSet<>(Arrays.stream(types.split(",")).map(String::trim).filter(t -> !t.isEmpty()).toList());
        Predicate<Event> visible = e -> (tenant == null || tenant.equals(e.tenant()))
                && (wanted == null || wanted.contains(e.type()));
        long after = call.queryLong("after", -1);
        String accept = call.header("Accept");
        boolean stream = accept != null && accept.contains("text/event-stream");
        if (stream) {
            String last = call.header("Last-Event-ID");
            if (last != null && !last.isBlank()) {
                try {
                    after = Long.parseLong(last.trim());
                } catch (NumberFormatException e) {
                    return Future.succeededFuture(Problems.of(400, "INVALID_REQUEST",
                            "Last-Event-ID: '" + last + "' is not an event's seq"));
                }
            }
            return stream(call, after, visible);
        }
        int limit = (int) call.queryLong("limit", 100);
        long from = after;
        return ctx.blocking(() -> {
            Page p = page(from, limit, visible);
            return Reply.ok(new Model.EventPage(p.items(), p.next(), log().oldest()));
        });
    }

    /** A page: the matching events, and the last seq looked at. */
    private record Page(List<Model.Event> items, long next) {
    }

    private Page page(long after, int limit, Predicate<Event> visible) {
        List<Model.Event> out = new ArrayList<>();
        long next = after;
        int scanned = 0;
        while (out.size() < limit && scanned < SCAN_LIMIT) {
            List<Event.Logged> batch = log().read(next, Math.min(1000, SCAN_LIMIT - scanned));
            if (batch.isEmpty()) {
                break;
            }
            for (Event.Logged l : batch) {
                scanned++;
                next = l.seq();
                if (visible.test(l.event())) {
                    out.add(view(l));
                    if (out.size() >= limit) {
                        break;
                    }
                }
            }
        }
        return new Page(out, next);
    }

    static Model.Event view(Event.Logged l) {
        Event e = l.event();
        return new Model.Event(e.id(), l.seq(), e.type(), Instant.ofEpochMilli(e.time()), e.tenant(), e.subject(),
                e.payload());
    }

    private Future<Reply> stream(Call call, long after, Predicate<Event> visible) {
        if (!ctx.limits().openStream(call)) {
            return Future.succeededFuture(ctx.limits().tooManyStreams(call));
        }
        HttpServerResponse res = call.rc().response();
        res.setChunked(true).putHeader("Content-Type", "text/event-stream").putHeader("Cache-Control", "no-cache")
                .putHeader("X-Accel-Buffering", "no");
        res.write(": stream of events after " + after + "\n\n");
        Promise<Reply> done = Promise.promise();
        Streamer s = new Streamer(res, after, visible, done);
        metrics.events().eventStream(1);
        res.closeHandler(v -> {
            ctx.limits().streamClosed(call);
            metrics.events().eventStream(-1);
            s.stop();
        });
        s.poll();
        return done.future();
    }

    /** One stream: reads the log after its cursor, writes what the caller may see, then waits and reads again. */
    private final class Streamer {
        private final HttpServerResponse res;
        private final Predicate<Event> visible;
        private final Promise<Reply> done;
        private long cursor;
        private long quietSince = System.currentTimeMillis();
        private volatile boolean stopped;

        Streamer(HttpServerResponse res, long after, Predicate<Event> visible, Promise<Reply> done) {
            this.res = res;
            this.cursor = after;
            this.visible = visible;
            this.done = done;
        }

        void stop() {
            stopped = true;
            done.tryComplete(Reply.ok(""));
        }

        void poll() {
            if (stopped) {
                return;
            }
            long from = cursor;
            ctx.blocking(() -> page(from, 1000, visible)).onComplete(ar -> {
                if (stopped) {
                    return;
                }
                if (ar.succeeded()) {
                    Page p = ar.result();
                    StringBuilder chunk = new StringBuilder();
                    for (Model.Event e : p.items()) {
                        try {
                            chunk.append("id: ").append(e.seq()).append('\n').append("event: ").append(e.type())
                                    .append('\n').append("data: ").append(Wire.JSON.writeValueAsString(e))
                                    .append("\n\n");
                        } catch (Exception x) {
                            throw new IllegalStateException(x);
                        }
                    }
                    cursor = p.next();
                    long now = System.currentTimeMillis();
                    if (chunk.length() > 0) {
                        res.write(chunk.toString());
                        quietSince = now;
                    } else if (now - quietSince >= KEEP_ALIVE_MILLIS) {
                        res.write(": keep-alive\n\n");
                        quietSince = now;
                    }
                    if (p.next() != from) {
                        poll(); // more may be waiting
                        return;
                    }
                }
                ctx.vertx().setTimer(POLL_MILLIS, t -> poll());
            });
        }
    }
}
