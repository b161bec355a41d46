package io.ichiba.broker.http;

import io.ichiba.broker.BrokerMetrics;

import java.util.HashMap;
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
        ops.put("listActions", trail::list);
        return ops;
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
