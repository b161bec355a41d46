package io.ichiba.broker.handlers;

import io.ichiba.api.Model;
import io.ichiba.api.Wire;
import io.ichiba.ledger.Handlers;
import io.ichiba.ledger.event.Event;
import io.ichiba.ledger.handler.Binding;
import io.ichiba.ledger.handler.Delivery;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Delivers events to their handlers: on the member that runs the admission loop, every {@value #TICK_MILLIS} ms it
 * hands new events of the log to the matching bindings ({@link Handlers#ingest}), then attempts every delivery step
 * that is due: a webhook's HTTP POST (signed with the binding's secret) or an event-bus request, each within the
 * binding's timeout, and records the outcome ({@link Handlers#attempted}), which retries, settles, acknowledges or
 * dead-letters by the policy. Per owner, the deliveries of one claim (or node) go one at a time, in log order; and
 * each handler gets one delivery at a time (the next one carries the session the previous answer left).
 * A member that takes the loop over attempts again what was in flight: deliveries are at least once.
 */
public final class HandlerDispatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HandlerDispatcher.class);
    /** How often the dispatcher looks for work. */
    public static final long TICK_MILLIS = 100;
    /** The signature header of webhook deliveries. */
    public static final String SIGNATURE = "Ichiba-Signature";
    /** The most of a webhook's answer read: a longer answer fails the attempt (the rest is not read). */
    public static final int MAX_ANSWER = 64 * 1024;

    private final Vertx vertx;
    private final Handlers handlers;
    private final WorkerExecutor worker;
    private final BooleanSupplier owner;
    private final java.util.function.Consumer<String> attempts;
    private final HttpClient web;
    private final WebhookTargets targets;
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    /** Bindings with an attempt under way: a handler gets one delivery at a time, so its session stays coherent. */
    private final Set<String> busyBindings = ConcurrentHashMap.newKeySet();
    private final long timer;
    private volatile boolean ticking;

    /**
     * Starts dispatching while {@code owner} says this member runs the loop; {@code attempts} is told the outcome
     * of each attempt ({@code ok}, {@code failed}, {@code refused}, {@code skipped}); webhooks go only where
     * {@code targets} allow.
     */
    public HandlerDispatcher(Vertx vertx, Handlers handlers, WorkerExecutor worker, BooleanSupplier owner,
                             java.util.function.Consumer<String> attempts, WebhookTargets targets) {
        this.targets = targets;
        this.vertx = vertx;
        this.attempts = attempts;
        this.handlers = handlers;
        this.worker = worker;
        this.owner = owner;
        // connected to the address checked, named by the URL's host (Host header, SNI and the certificate's name)
        this.web = vertx.createHttpClient(new HttpClientOptions().setForceSni(true).setVerifyHost(true)
                .setMaxRedirects(0).setKeepAlive(false));
        this.timer = vertx.setPeriodic(TICK_MILLIS, t -> tick());
    }

    /**
     * The signature of a delivery of {@code body} at {@code epochSeconds} under {@code secret}:
     * {@code t=<epochSeconds>,v1=<hex of HMAC-SHA256 of "<epochSeconds>.<body>">}. A receiver checks the HMAC and
     * refuses a {@code t} too far from its clock ({@link #verify}): a recorded delivery cannot be replayed later.
     */
    public static String sign(String secret, long epochSeconds, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((epochSeconds + ".").getBytes(StandardCharsets.US_ASCII));
            return "t=" + epochSeconds + ",v1=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from the JVM", e);
        }
    }

    /**
     * What a receiver does with a delivery: whether {@code header} signs {@code body} under {@code secret} at a time
     * within {@code toleranceSeconds} of {@code nowSeconds}.
     */
    public static boolean verify(String secret, String header, byte[] body, long nowSeconds, long toleranceSeconds) {
        if (header == null || !header.matches("t=\\d{1,12},v1=[0-9a-f]{64}")) {
            return false;
        }
        long t = Long.parseLong(header.substring(2, header.indexOf(',')));
        return Math.abs(nowSeconds - t) <= toleranceSeconds && java.security.MessageDigest.isEqual(
                sign(secret, t, body).getBytes(StandardCharsets.US_ASCII), header.getBytes(StandardCharsets.US_ASCII));
    }

    private void tick() {
        if (ticking || !owner.getAsBoolean()) {
            return;
        }
        ticking = true;
        worker.executeBlocking(() -> {
            while (handlers.ingest(500) > 0) {
                // hand every new event to its bindings
            }
            return handlers.pending();
        }, false).onComplete(ar -> {
            ticking = false;
            if (ar.failed()) {
                LOG.warn("handler dispatch failed, will retry: {}", ar.cause().toString());
                return;
            }
            long now = System.currentTimeMillis();
            Set<String> busy = new HashSet<>();
            for (Delivery d : ar.result()) {
                String lane = (d.owner() == null ? "*" : d.owner()) + "|" + d.event().subject();
                if (!busy.add(lane)) {
                    continue; // an earlier delivery of the same claim (or node) to this owner is not settled
                }
                for (Delivery.Step s : d.due(now)) {
                    String key = d.id() + "|" + s.binding();
                    if (!busyBindings.contains(s.binding()) && inFlight.add(key)) {
                        busyBindings.add(s.binding());
                        attempt(d, s, key);
                    }
                }
            }
        });
    }

    private void attempt(Delivery d, Delivery.Step s, String key) {
        worker.executeBlocking(() -> handlers.get(s.binding()), false).compose(b -> {
            if (b == null || !b.enabled()) {
                attempts.accept("skipped");
                return worker.executeBlocking(() -> handlers.skip(d.id(), s.binding()), false).map(x -> (Void) null);
            }
            return call(b, d, s.attempts() + 1).compose(outcome -> worker.executeBlocking(() -> {
                attempts.accept(outcome.ok() ? "ok" : REFUSED.equals(outcome.error()) ? "refused" : "failed");
                handlers.attempted(d.id(), b.id(), outcome.ok(), outcome.error(), outcome.session());
                return null;
            }, false));
        }).onComplete(ar -> {
            inFlight.remove(key);
            busyBindings.remove(s.binding());
            if (ar.failed()) {
                LOG.warn("delivery {} to {} not recorded, will retry: {}", d.id(), s.binding(), ar.cause().toString());
            }
        });
    }

    /** What one attempt gave: success, the error, the session the handler answered (JSON) or null. */
    record Outcome(boolean ok, String error, String session) {
    }

    private Future<Outcome> call(Binding b, Delivery d, int attempt) {
        JsonObject body = new JsonObject().put("delivery", d.id()).put("binding", b.id()).put("attempt", attempt)
                .put("event", new JsonObject(json(view(d)))).put("session", b.session() == null ? null
                        : new JsonObject(b.session()));
        if (b.address() != null) {
            return vertx.eventBus().<Object>request(b.address(), body, new DeliveryOptions()
                            .setSendTimeout(b.timeoutMs()))
                    .map(reply -> answered(reply.body() instanceof JsonObject j ? j : null))
                    .otherwise(e -> new Outcome(false, "event bus: " + e.getMessage(), null));
        }
        Buffer payload = body.toBuffer();
        URI url = URI.create(b.webhookUrl());
        return worker.executeBlocking(() -> InetAddress.getAllByName(url.getHost()), false).transform(ar -> {
            if (ar.failed()) {
                return Future.succeededFuture(new Outcome(false, REFUSED, null)); // no such name
            }
            for (InetAddress a : ar.result()) {
                if (!targets.allowed(a)) {
                    LOG.info("webhook of binding {} refused: {} resolves to an internal address", b.id(), url.getHost());
                    return Future.succeededFuture(new Outcome(false, REFUSED, null));
                }
            }
            return post(b, d, url, ar.result()[0], payload);
        });
    }

    /** What the tenant is told when the address is refused or cannot be reached (not what answered, or why). */
    static final String REFUSED = "refused";

    /**
     * POSTs {@code payload} to {@code url} at {@code address}, within the binding's timeout from start to the answer's
     * last byte (connection, request, every byte of the answer), reading at most {@link #MAX_ANSWER} of the answer.
     */
    private Future<Outcome> post(Binding b, Delivery d, URI url, InetAddress address, Buffer payload) {
        boolean https = "https".equalsIgnoreCase(url.getScheme());
        int port = url.getPort() > 0 ? url.getPort() : https ? 443 : 80;
        String path = (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath())
                + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
        RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST)
                .setServer(SocketAddress.inetSocketAddress(port, address.getHostAddress()))
                .setHost(url.getHost()).setPort(port).setSsl(https).setURI(path).setFollowRedirects(false)
                .setConnectTimeout(b.timeoutMs()).setIdleTimeout(b.timeoutMs())
                .putHeader("Content-Type", "application/json")
                .putHeader("User-Agent", "ichiba-handlers")
                .putHeader(SIGNATURE, sign(b.secret(), System.currentTimeMillis() / 1000, payload.getBytes()))
                .putHeader("Ichiba-Event-Id", d.event().id())
                .putHeader("Ichiba-Delivery", d.id());
        Promise<Outcome> done = Promise.promise();
        java.util.concurrent.atomic.AtomicReference<HttpClientRequest> sent = new java.util.concurrent.atomic.AtomicReference<>();
        long deadline = vertx.setTimer(b.timeoutMs(), t -> {
            if (done.tryComplete(new Outcome(false, "timeout", null)) && sent.get() != null) {
                sent.get().reset();
            }
        });
        web.request(request).compose(req -> {
            sent.set(req);
            return req.send(payload);
        }).onComplete(ar -> {
            if (ar.failed()) {
                done.tryComplete(new Outcome(false, REFUSED, null));
                return;
            }
            HttpClientResponse r = ar.result();
            if (r.statusCode() / 100 != 2) {
                done.tryComplete(new Outcome(false, "HTTP " + r.statusCode(), null));
                r.request().reset();
                return;
            }
            Buffer answer = Buffer.buffer();
            r.exceptionHandler(e -> done.tryComplete(new Outcome(false, REFUSED, null)));
            r.handler(chunk -> {
                if (answer.length() + chunk.length() > MAX_ANSWER) {
                    if (done.tryComplete(new Outcome(false, "answer over " + MAX_ANSWER + " bytes", null))) {
                        r.request().reset();
                    }
                } else {
                    answer.appendBuffer(chunk);
                }
            });
            r.endHandler(v -> {
                JsonObject json;
                try {
                    json = answer.length() == 0 ? null : answer.toJsonObject();
                } catch (RuntimeException notJson) {
                    json = null;
                }
                done.tryComplete(answered(json));
            });
        });
        return done.future().onComplete(x -> vertx.cancelTimer(deadline));
    }

    /** A success, with the session the handler answered if any (too large: a failure). */
    private static Outcome answered(JsonObject answer) {
        JsonObject session = answer == null ? null : answer.getJsonObject("session");
        if (session == null) {
            return new Outcome(true, null, null);
        }
        String text = session.encode();
        if (text.length() > Binding.MAX_SESSION) {
            return new Outcome(false, "session of " + text.length() + " characters is over " + Binding.MAX_SESSION, null);
        }
        return new Outcome(true, null, text);
    }

    private static Model.Event view(Delivery d) {
        Event e = d.event();
        return new Model.Event(e.id(), d.seq(), e.type(), Instant.ofEpochMilli(e.time()), e.tenant(), e.subject(),
                e.payload());
    }

    private static String json(Object o) {
        try {
            return Wire.JSON.writeValueAsString(o);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Pending deliveries, for tests. */
    public List<Delivery> pending() {
        return handlers.pending();
    }

    @Override
    public void close() {
        vertx.cancelTimer(timer);
        web.close();
    }
}
