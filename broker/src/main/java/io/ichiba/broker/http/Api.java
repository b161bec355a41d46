package io.ichiba.broker.http;

import io.ichiba.broker.BrokerMetrics;
import io.vertx.core.Future;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/** Every operation of the contract, by operation id (the Prometheus scrape is bound apart, as a raw handler). */
public final class Api {
    private Api() {
    }

    /** Returns the handlers of every operation but {@code metrics}. */
    public static Map<String, ApiRouter.Op> operations(ApiContext ctx, BrokerMetrics metrics, BooleanSupplier ready,
                                                       Supplier<String> member, IntSupplier clusterSize,
                                                       boolean publicMember) {
        Map<String, ApiRouter.Op> ops = new HashMap<>();
        ops.putAll(new IdentityApi(ctx).ops());
        ops.putAll(new PoolsApi(ctx).ops());
        ops.putAll(new ClaimsApi(ctx).ops());
        ops.putAll(new PlacementApi(ctx, metrics).ops());
        ops.putAll(new JobsApi(ctx).ops());
        ops.putAll(new AccountsApi(ctx).ops());
        ops.putAll(new MarketApi(ctx).ops());
        ops.putAll(new ReservationsApi(ctx, metrics).ops());
        ops.putAll(new EventsApi(ctx, metrics).ops());
        ops.putAll(new HandlersApi(ctx, new io.ichiba.ledger.Handlers(ctx.ledger())).ops());
        ops.putAll(new AlertsApi(ctx).ops());
        ops.putAll(new OpsApi(ctx, metrics, ready, member, clusterSize, publicMember).ops());
        ops.replaceAll((id, op) -> countingLimits(op, metrics));
        ActionTrail trail = new ActionTrail(ctx, ops, metrics.registry());
        ops.replaceAll(trail::wrap);
        ops.put("listActions", call -> listActions(ctx, call));
        return ops;
    }

    /** A recorded text as JSON: as it was, or as a string if it was cut ({@code null} stays {@code null}). */
    private static com.fasterxml.jackson.databind.JsonNode json(String text) {
        if (text == null) {
            return null;
        }
        try {
            return io.ichiba.api.Wire.JSON.readTree(text);
        } catch (java.io.IOException cut) {
            return io.ichiba.api.Wire.JSON.getNodeFactory().textNode(text);
        }
    }

    /** {@code GET /v1/audit/actions}: a page of the audit trail, for the operator. */
    private static Future<Reply> listActions(ApiContext ctx, Call call) {
        if (!call.caller().operator()) {
            return Future.succeededFuture(Problems.forbidden("only the operator reads the audit trail"));
        }
        String after = call.query("after");
        int limit = (int) call.queryLong("limit", 100);
        return ctx.blocking(() -> {
            List<io.ichiba.ledger.audit.OperatorAction> page = ctx.ledger().actions(after, limit);
            List<io.ichiba.api.Model.OperatorAction> items = new ArrayList<>();
            for (io.ichiba.ledger.audit.OperatorAction a : page) {
                items.add(new io.ichiba.api.Model.OperatorAction(a.id(), java.time.Instant.ofEpochMilli(a.at()),
                        a.actor(), a.operation(), a.target(), json(a.before()), json(a.after())));
            }
            return Reply.ok(new io.ichiba.api.Model.ActionPage(items, page.size() < limit ? null
                    : page.get(page.size() - 1).id()));
        });
    }

    /** {@code op}, counting its answers refused by a tenant limit (429 {@code TENANT_LIMIT}) by the limit's name. */
    private static ApiRouter.Op countingLimits(ApiRouter.Op op, BrokerMetrics metrics) {
        return call -> op.handle(call).map(r -> {
            if (r.status() == 429 && r.body() instanceof io.ichiba.api.Model.Problem p && p.limit() != null) {
                metrics.claims().tenantLimitRefused(p.limit());
            }
            return r;
        });
    }
}
