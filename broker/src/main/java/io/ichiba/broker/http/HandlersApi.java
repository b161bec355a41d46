package io.ichiba.broker.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.ichiba.api.Model;
import io.ichiba.api.Wire;
import io.ichiba.broker.Tokens;
import io.ichiba.ledger.Handlers;
import io.ichiba.ledger.Result;
import io.ichiba.ledger.handler.Binding;
import io.ichiba.ledger.handler.DeadLetter;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Handler bindings: create, list, read (with their deliveries), enable/disable, remove, dead letters and replay.
 *
 * <p>A tenant's bindings are its own; the operator's are cluster-wide, and the operator sees and changes every
 * binding. Anyone else gets 404. The secret is answered once, when the binding is created.
 */
final class HandlersApi {
    private final ApiContext ctx;
    private final Handlers handlers;

    HandlersApi(ApiContext ctx, Handlers handlers) {
        this.ctx = ctx;
        this.handlers = handlers;
    }

    Map<String, ApiRouter.Op> ops() {
        return Map.of("createHandler", this::create, "listHandlers", this::list, "getHandler", this::get,
                "updateHandler", this::update, "deleteHandler", this::delete, "listDeadLetters", this::deadLetters,
                "replayDeadLetters", this::replay);
    }

    private Future<Reply> create(Call call) {
        if (!call.caller().tenant() && !call.caller().operator()) {
            return Future.succeededFuture(Problems.forbidden("agents do not bind handlers"));
        }
        String owner = call.caller().operator() ? null : call.caller().subject();
        JsonObject b = call.body();
        JsonObject retry = b.getJsonObject("retry", new JsonObject());
        JsonObject webhook = b.getJsonObject("webhook");
        Map<String, String> filter = new HashMap<>();
        b.getJsonObject("filter", new JsonObject()).forEach(e -> filter.put(e.getKey(), String.valueOf(e.getValue())));
        Handlers.Spec spec = new Handlers.Spec(owner, b.getString("eventType"), filter,
                webhook == null ? null : webhook.getString("url"), b.getString("address"), b.getInteger("priority", 0),
                Binding.AckPolicy.valueOf(b.getString("ackPolicy", "ALL")), b.getLong("timeoutMs", 5000L),
                retry.getInteger("attempts", 3), retry.getLong("backoffMs", 1000L), "api");
        if (spec.webhookUrl() != null) {
            String refused;
            try {
                refused = ctx.webhooks().refusedAtCreation(new java.net.URI(spec.webhookUrl()));
            } catch (java.net.URISyntaxException e) {
                refused = null; // the ledger says what is wrong with it
            }
            if (refused != null) {
                return Future.succeededFuture(Problems.of(400, "WEBHOOK_REFUSED", refused));
            }
        }
        String key = call.header(Idempotency.HEADER);
        String id = key == null ? UUID.randomUUID().toString() : UUID.nameUUIDFromBytes(("handler\n" + owner + "\n"
                + key).getBytes(StandardCharsets.UTF_8)).toString();
        String secret = Tokens.newToken().replace("ich_", "whsec_");
        return ctx.blocking(() -> {
            Result<Binding> r = handlers.create(id, spec, secret);
            return r.ok() ? Reply.created(view(r.value(), true, 0)) : Problems.of(r.rejection());
        });
    }

    /** The binding if the caller may see it: its tenant, or the operator; else null. */
    private Binding visible(Call call) {
        Binding b = handlers.get(call.path("id"));
        if (b == null || !(call.caller().operator()
                || (call.caller().tenant() && Objects.equals(b.owner(), call.caller().subject())))) {
            return null;
        }
        return b;
    }

    private Future<Reply> list(Call call) {
        if (!call.caller().tenant() && !call.caller().operator()) {
            return Future.succeededFuture(Problems.forbidden("agents have no handlers"));
        }
        return ctx.blocking(() -> {
            List<Binding> bs = call.caller().operator() ? handlers.all() : handlers.list(call.caller().subject());
            return Reply.ok(new Model.Items<>(bs.stream().map(x -> view(x, false, handlers.deadLetters(x.id()).size()))
                    .toList()));
        });
    }

    private Future<Reply> get(Call call) {
        return ctx.blocking(() -> {
            Binding b = visible(call);
            return b == null ? Problems.notFound("no handler " + call.path("id"))
                    : Reply.ok(view(b, false, handlers.deadLetters(b.id()).size()));
        });
    }

    private Future<Reply> update(Call call) {
        JsonObject body = call.body();
        Boolean enabled = body.getBoolean("enabled");
        Integer priority = body.getInteger("priority");
        return ctx.blocking(() -> {
            Binding b = visible(call);
            if (b == null) {
                return Problems.notFound("no handler " + call.path("id"));
            }
            if ("file".equals(b.source())) {
                return fromFile(b);
            }
            Result<Binding> r = handlers.update(b.id(), enabled, priority);
            return r.ok() ? Reply.ok(view(r.value(), false, handlers.deadLetters(b.id()).size()))
                    : Problems.of(r.rejection());
        });
    }

    private Future<Reply> delete(Call call) {
        return ctx.blocking(() -> {
            Binding b = visible(call);
            if (b != null && "file".equals(b.source())) {
                return fromFile(b);
            }
            if (b == null || !handlers.delete(b.id())) {
                return Problems.notFound("no handler " + call.path("id"));
            }
            return new Reply(204, "");
        });
    }

    private Future<Reply> deadLetters(Call call) {
        return ctx.blocking(() -> {
            Binding b = visible(call);
            if (b == null) {
                return Problems.notFound("no handler " + call.path("id"));
            }
            return Reply.ok(new Model.Items<>(handlers.deadLetters(b.id()).stream().map(HandlersApi::deadLetter)
                    .toList()));
        });
    }

    private Future<Reply> replay(Call call) {
        return ctx.blocking(() -> {
            Binding b = visible(call);
            if (b == null) {
                return Problems.notFound("no handler " + call.path("id"));
            }
            return Reply.ok(Map.of("replayed", handlers.replay(b.id())));
        });
    }

    private static Reply fromFile(Binding b) {
        return Problems.of(409, "WRONG_STATE", "handler " + b.id() + " is declared in the operator's bindings file, "
                + "its source of truth: change it there");
    }

    static Model.DeadLetter deadLetter(DeadLetter d) {
        return new Model.DeadLetter(d.id(), d.binding(), EventsApi.view(new io.ichiba.ledger.event.Event.Logged(d.seq(),
                d.event())), d.attempts(), d.lastError(), Instant.ofEpochMilli(d.at()));
    }

    static Model.Handler view(Binding b, boolean withSecret, int deadLetters) {
        JsonNode session = null;
        if (b.session() != null) {
            try {
                session = Wire.JSON.readTree(b.session());
            } catch (java.io.IOException e) {
                session = null;
            }
        }
        return new Model.Handler(b.id(), b.owner(), b.eventType(), b.filter().isEmpty() ? null : b.filter(),
                b.webhookUrl() == null ? null : new Model.Webhook(b.webhookUrl()), b.address(), b.priority(),
                b.ackPolicy().name(), b.enabled(), b.timeoutMs(), new Model.Retry(b.attempts(), b.backoffMs()),
                withSecret ? b.secret() : null, session, new Model.HandlerDeliveries(b.successes(), b.failures(),
                deadLetters, b.lastError(), b.lastAt() == 0 ? null : Instant.ofEpochMilli(b.lastAt())), b.source(),
                Instant.ofEpochMilli(b.createdAt()));
    }
}
