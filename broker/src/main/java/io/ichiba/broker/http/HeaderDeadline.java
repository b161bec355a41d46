package io.ichiba.broker.http;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Closes a connection whose first request has not arrived whole (its request line and headers) within a deadline: a
 * client that opens connections and sends its headers a byte now and then (slowloris) holds none for long. Between
 * requests on a kept-alive connection, the server's idle timeout applies. The server's connection handler, with
 * {@link #arrived} wrapped around its request handler.
 */
public final class HeaderDeadline implements Handler<HttpConnection> {
    private final Vertx vertx;
    private final long millis;
    private final Map<HttpConnection, Long> timers = new ConcurrentHashMap<>();

    /** A deadline of {@code millis} (0: none). */
    public HeaderDeadline(Vertx vertx, long millis) {
        this.vertx = vertx;
        this.millis = millis;
    }

    @Override
    public void handle(HttpConnection c) {
        if (millis <= 0) {
            return;
        }
        timers.put(c, vertx.setTimer(millis, t -> {
            if (timers.remove(c) != null) {
                c.close();
            }
        }));
        c.closeHandler(v -> cancel(c));
    }

    /** {@code handler}, first noting that a request arrived on its connection (which then has no deadline). */
    public Handler<HttpServerRequest> arrived(Handler<HttpServerRequest> handler) {
        return req -> {
            cancel(req.connection());
            handler.handle(req);
        };
    }

    private void cancel(HttpConnection c) {
        Long t = timers.remove(c);
        if (t != null) {
            vertx.cancelTimer(t);
        }
    }

    /** Connections still waiting for their first request (for tests). */
    int waiting() {
        return timers.size();
    }
}
