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
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

    private final Vertx vertx;
    private final Handlers handlers;
    private final WorkerExecutor worker;
    private final BooleanSupplier owner;
    private final java.util.function.Consumer<String> attempts;
    private final WebClient web;
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    /** Bindings with an attempt under way: a handler gets one delivery at a time, so its session stays coherent. */
    private final Set<String> busyBindings = ConcurrentHashMap.newKeySet();
    private final long timer;
    private volatile boolean ticking;

    /**
     * Starts dispatching while {@code owner} says this member runs the loop; {@code attempts} is told the outcome
     * of each attempt ({@code ok}, {@code failed}, {@code skipped}).
     */
    public HandlerDispatcher(Vertx vertx, Handlers handlers, WorkerExecutor worker, BooleanSupplier owner,
                             java.util.function.Consumer<String> attempts) {
        this.vertx = vertx;
        this.attempts = attempts;
        this.handlers = handlers;
        this.worker = worker;
        this.owner = owner;
        this.web = WebClient.create(vertx, new WebClientOptions().setUserAgent("ichiba-handlers")
                .setFollowRedirects(false));
        this.timer = vertx.setPeriodic(TICK_MILLIS, t -> tick());
    }

    /** Signs {@code body} with {@code secret}: {@code sha256=<hex of HMAC-SHA256>}. */
    public static String sign(String secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from the JVM", e);
        }
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
                attempts.accept(outcome.ok() ? "ok" : "failed");
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
        return web.postAbs(b.webhookUrl()).timeout(b.timeoutMs())
                .putHeader("Content-Type", "application/json")
                .putHeader(SIGNATURE, sign(b.secret(), payload.getBytes()))
                .putHeader("Ichiba-Event-Id", d.event().id())
                .putHeader("Ichiba-Delivery", d.id())
                .sendBuffer(payload)
                .map(r -> {
                    if (r.statusCode() / 100 != 2) {
                        return new Outcome(false, "HTTP " + r.statusCode(), null);
                    }
                    JsonObject answer = null;
                    try {
                        answer = r.body() == null || r.body().length() == 0 ? null : r.bodyAsJsonObject();
                    } catch (RuntimeException notJson) {
                        answer = null;
                    }
                    return answered(answer);
                })
                .otherwise(e -> new Outcome(false, e.getClass().getSimpleName() + ": " + e.getMessage(), null));
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
