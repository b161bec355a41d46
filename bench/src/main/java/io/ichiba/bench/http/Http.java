package io.ichiba.bench.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;

/**
 * The load generator's HTTP client: a pool of HTTP/1.1 keep-alive connections per server, no pipelining, spread
 * over the client's event loops. Every answer is read whole; a status outside 2xx is a failed future.
 */
final class Http implements AutoCloseable {
    private final HttpClientAgent client;

    /** An answer: its status and JSON body. */
    record Answer(int status, JsonObject json) {
    }

    /** A non-2xx answer. */
    static final class StatusException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;

        StatusException(int status, String body) {
            super("HTTP " + status + ": " + (body.length() > 300 ? body.substring(0, 300) : body), null, false, false);
            this.status = status;
        }
    }

    /** A client with up to {@code connections} connections to each server. */
    Http(Vertx vertx, int connections, int eventLoops) {
        this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setPipelining(false)
                        .setTcpNoDelay(true).setMaxRedirects(0),
                new PoolOptions().setHttp1MaxSize(connections).setEventLoopSize(eventLoops).setMaxWaitQueueSize(-1));
    }

    /** Sends {@code body} (may be {@code null}) and reads the JSON answer; fails after {@code idleMillis} of silence. */
    Future<Answer> call(HttpMethod method, String url, String token, String body, long idleMillis) {
        RequestOptions o = new RequestOptions().setMethod(method).setAbsoluteURI(url).setIdleTimeout(idleMillis)
                .putHeader("Authorization", "Bearer " + token);
        if (body != null) {
            o.putHeader("Content-Type", "application/json");
        }
        return client.request(o)
                .compose(req -> body == null ? req.send() : req.send(Buffer.buffer(body)))
                .compose(resp -> resp.body().compose(b -> {
                    if (resp.statusCode() / 100 != 2) {
                        return Future.failedFuture(new StatusException(resp.statusCode(), b.toString()));
                    }
                    return Future.succeededFuture(new Answer(resp.statusCode(), b.length() == 0 ? new JsonObject()
                            : b.toJsonObject()));
                }));
    }

    @Override
    public void close() {
        client.close().await();
    }
}
