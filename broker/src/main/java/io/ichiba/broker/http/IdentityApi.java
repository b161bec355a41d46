package io.ichiba.broker.http;

import io.ichiba.api.Model;
import io.ichiba.broker.Tokens;
import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.Result;
import io.ichiba.ledger.pool.KindDef;
import io.ichiba.ledger.tenant.TenantState;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Tenants, agents and kinds: what the operator defines. */
final class IdentityApi {
    private static final Logger LOG = LoggerFactory.getLogger(IdentityApi.class);
    private final ApiContext ctx;

    IdentityApi(ApiContext ctx) {
        this.ctx = ctx;
    }

    Map<String, ApiRouter.Op> ops() {
        return Map.of("createTenant", this::createTenant, "listTenants", this::listTenants,
                "getTenant", this::getTenant, "createAgent", this::createAgent,
                "defineKind", this::defineKind, "listKinds", this::listKinds,
                "rotateTenantToken", this::rotateTenantToken, "rotateAgentToken", this::rotateAgentToken);
    }

    static Map<String, Long> amounts(JsonObject o) {
        Map<String, Long> out = new TreeMap<>();
        if (o != null) {
            o.forEach(e -> out.put(e.getKey(), ((Number) e.getValue()).longValue()));
        }
        return out;
    }

    private Future<Reply> createTenant(Call call) {
        if (!call.caller().operator()) {
            return Future.succeededFuture(Problems.forbidden("only the operator creates tenants"));
        }
        JsonObject body = call.body();
        String id = body.getString("id");
        Map<String, Long> quota = amounts(body.getJsonObject("quota"));
        return ctx.blocking(() -> {
            Ledger ledger = ctx.ledger();
            Result<TenantState> r = ledger.createTenant(id, quota);
            if (!r.ok()) {
                return Problems.of(r.rejection());
            }
            String token = Tokens.newToken();
            ledger.issueTenantToken(id, Tokens.hash(token));
            LOG.info("tenant created tenant={} quota={}", id, r.value().quota());
            return Reply.created(new Model.TenantCreated(id, token, r.value().quota()));
        });
    }

    private Future<Reply> listTenants(Call call) {
        if (!call.caller().operator()) {
            return Future.succeededFuture(Problems.forbidden("only the operator lists tenants"));
        }
        return ctx.blocking(() -> {
            List<Model.Tenant> out = new ArrayList<>();
            ctx.ledger().store().tenants().entries().values().forEach(t -> out.add(Views.tenant(t,
                    ctx.ledger().settings().limits(), null)));
            return Reply.ok(new Model.Items<>(out));
        });
    }

    private Future<Reply> getTenant(Call call) {
        String id = call.path("id");
        if (!call.caller().operator() && !(call.caller().tenant() && call.caller().subject().equals(id))) {
            return Future.succeededFuture(Problems.notFound("no tenant " + id));
        }
        return ctx.blocking(() -> {
            TenantState t = ctx.ledger().store().tenants().get(id);
            if (t == null) {
                return Problems.notFound("no tenant " + id);
            }
            Map<String, Long> usage = ctx.ledger().limitUsage(id);
            return Reply.ok(Views.tenant(t, ctx.ledger().settings().limits(), usage));
        });
    }

    private Future<Reply> createAgent(Call call) {
        if (!call.caller().operator()) {
            return Future.succeededFuture(Problems.forbidden("only the operator creates agents"));
        }
        String node = call.body().getString("node");
        return ctx.blocking(() -> {
            String token = Tokens.newToken();
            var r = ctx.ledger().registerAgent(node, Tokens.hash(token));
            if (!r.ok()) {
                return Problems.of(r.rejection());
            }
            LOG.info("agent registered node={}", node);
            return Reply.created(new Model.AgentCreated(node, token));
        });
    }

    private Future<Reply> rotateTenantToken(Call call) {
        String id = call.path("id");
        if (!call.caller().operator() && !(call.caller().tenant() && call.caller().subject().equals(id))) {
            return Future.succeededFuture(Problems.notFound("no tenant " + id));
        }
        return rotated(id, token -> ctx.ledger().rotateTenantToken(id, Tokens.hash(token)), "tenant");
    }

    private Future<Reply> rotateAgentToken(Call call) {
        if (!call.caller().operator()) {
            return Future.succeededFuture(Problems.forbidden("only the operator rotates an agent's token"));
        }
        String node = call.path("node");
        return rotated(node, token -> ctx.ledger().rotateAgentToken(node, Tokens.hash(token)), "agent");
    }

    /**
     * Makes a new token stand for {@code subject} ({@code rotate}, given the token, answers the hashes revoked), then
     * answers it once every member has forgotten the revoked ones.
     */
    private Future<Reply> rotated(String subject, java.util.function.Function<String, Result<List<String>>> rotate,
                                  String what) {
        String token = Tokens.newToken();
        return ctx.blocking(() -> rotate.apply(token)).compose(r -> {
            if (!r.ok()) {
                return Future.succeededFuture(Problems.of(r.rejection()));
            }
            LOG.info("token rotated {}={} revoked={}", what, subject, r.value().size());
            Future<Void> told = ctx.revocations() == null ? Future.succeededFuture()
                    : ctx.revocations().revoke(r.value());
            return told.map(v -> Reply.ok(new Model.TokenRotated(subject, token, null)));
        });
    }

    private Future<Reply> defineKind(Call call) {
        if (!call.caller().operator()) {
            return Future.succeededFuture(Problems.forbidden("only the operator defines kinds"));
        }
        JsonObject body = call.body();
        return ctx.blocking(() -> {
            Result<KindDef> r = ctx.ledger().defineKind(body.getString("name"), body.getString("unit"));
            return r.ok() ? Reply.created(new Model.Kind(r.value().name(), r.value().unit(), false))
                    : Problems.of(r.rejection());
        });
    }

    private Future<Reply> listKinds(Call call) {
        return ctx.blocking(() -> {
            List<Model.Kind> out = new ArrayList<>();
            KindDef.BUILT_IN.forEach(k -> out.add(new Model.Kind(k, "MiB", true)));
            ctx.ledger().store().kinds().entries().values()
                    .forEach(k -> out.add(new Model.Kind(k.name(), k.unit(), false)));
            return Reply.ok(new Model.Items<>(out));
        });
    }
}
