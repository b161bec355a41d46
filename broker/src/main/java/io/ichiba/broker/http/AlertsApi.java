package io.ichiba.broker.http;

import io.ichiba.api.Model;
import io.ichiba.ledger.PriceAlerts;
import io.ichiba.ledger.Result;
import io.ichiba.ledger.handler.PriceAlert;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * Price alerts: a tenant's thresholds on spot prices (create, list, read, delete), which emit {@code price.crossed}
 * events (read through {@code GET /v1/events}).
 *
 * <p>An alert is its tenant's own: any other tenant is answered 404, as if it did not exist; the operator and agents
 * have none (403). Its id is derived from the tenant and the {@code Idempotency-Key}, so a retry whose first answer
 * was lost creates nothing twice.
 */
final class AlertsApi {
    private final ApiContext ctx;

    AlertsApi(ApiContext ctx) {
        this.ctx = ctx;
    }

    Map<String, ApiRouter.Op> ops() {
        return Map.of("createPriceAlert", this::create, "listPriceAlerts", this::list,
                "getPriceAlert", this::get, "deletePriceAlert", this::delete);
    }

    private PriceAlerts alerts() {
        return ctx.ledger().alerts();
    }

    private static Reply refused(Call call) {
        return call.caller().operator() ? Problems.forbidden("price alerts are tenants'; the operator has none")
                : Problems.forbidden("agents have no price alerts");
    }

    private Future<Reply> create(Call call) {
        if (!call.caller().tenant()) {
            return Future.succeededFuture(refused(call));
        }
        String tenant = call.caller().subject();
        JsonObject body = call.body();
        Long above = body.getLong("above");
        Long below = body.getLong("below");
        if ((above == null) == (below == null)) {
            return Future.succeededFuture(Problems.of(400, "INVALID_REQUEST",
                    "give exactly one of 'above' and 'below' (the threshold and its direction)"));
        }
        PriceAlert.Direction direction = above != null ? PriceAlert.Direction.ABOVE : PriceAlert.Direction.BELOW;
        long threshold = above != null ? above : below;
        String key = call.header(Idempotency.HEADER);
        String id = key == null ? UUID.randomUUID().toString()
                : UUID.nameUUIDFromBytes(("price-alert\n" + tenant + "\n" + key).getBytes(StandardCharsets.UTF_8))
                .toString();
        String kind = body.getString("kind");
        return ctx.blocking(() -> {
            Result<PriceAlert> r = alerts().create(id, tenant, kind, direction, threshold);
            return r.ok() ? Reply.created(view(r.value())) : Problems.of(r.rejection());
        });
    }

    private Future<Reply> list(Call call) {
        if (!call.caller().tenant()) {
            return Future.succeededFuture(refused(call));
        }
        String tenant = call.caller().subject();
        return ctx.blocking(() -> Reply.ok(new Model.Items<>(alerts().list(tenant).stream().map(AlertsApi::view)
                .toList())));
    }

    private Future<Reply> get(Call call) {
        if (!call.caller().tenant()) {
            return Future.succeededFuture(refused(call));
        }
        String tenant = call.caller().subject();
        String id = call.path("id");
        return ctx.blocking(() -> {
            PriceAlert a = alerts().get(id);
            return a == null || !a.tenant().equals(tenant) ? Problems.notFound("no price alert " + id)
                    : Reply.ok(view(a));
        });
    }

    private Future<Reply> delete(Call call) {
        if (!call.caller().tenant()) {
            return Future.succeededFuture(refused(call));
        }
        String tenant = call.caller().subject();
        String id = call.path("id");
        return ctx.blocking(() -> {
            Result<PriceAlert> r = alerts().delete(id, tenant);
            return r.ok() ? Reply.ok(view(r.value())) : Problems.of(r.rejection());
        });
    }

    /** The wire view: the threshold under {@code above} or {@code below}, times as instants, absent when unset. */
    static Model.PriceAlert view(PriceAlert a) {
        boolean up = a.direction() == PriceAlert.Direction.ABOVE;
        return new Model.PriceAlert(a.id(), a.kind(), up ? a.threshold() : null, up ? null : a.threshold(),
                a.state().name(), Instant.ofEpochMilli(a.createdAt()), a.lastPrice() < 0 ? null : a.lastPrice(),
                instant(a.observedAt()), a.crossings(), instant(a.lastCrossedAt()), instant(a.deletedAt()));
    }

    private static Instant instant(long millis) {
        return millis <= 0 ? null : Instant.ofEpochMilli(millis);
    }
}
