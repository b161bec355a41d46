package io.ichiba.broker.http;

import io.ichiba.api.Model;
import io.ichiba.ledger.Result;
import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.claim.Funding;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;

/** Claims: submit, read (with long-poll), list, renew, release, cancel. */
final class ClaimsApi {
    private static final Logger LOG = LoggerFactory.getLogger(ClaimsApi.class);
    private final ApiContext ctx;

    ClaimsApi(ApiContext ctx) {
        this.ctx = ctx;
    }

    Map<String, ApiRouter.Op> ops() {
        return Map.of("createClaim", this::create, "listClaims", this::list, "getClaim", this::get,
                "renewClaim", this::renew, "releaseClaim", this::release, "cancelClaim", this::cancel);
    }

    /** Parses a bundle body; the contract has checked its shape and ranges already. */
    static Bundle bundle(JsonObject o) {
        Map<String, Long> amounts = new TreeMap<>();
        List<String> locks = new ArrayList<>();
        o.forEach(e -> {
            if ("locks".equals(e.getKey())) {
                ((JsonArray) e.getValue()).forEach(l -> locks.add((String) l));
            } else {
                amounts.put(e.getKey(), ((Number) e.getValue()).longValue());
            }
        });
        return Bundle.of(amounts, locks);
    }

    /** Parses a funding body (absent: own quota); the contract has checked its shape and ranges already. */
    static Funding funding(JsonObject o) {
        if (o == null) {
            return Funding.QUOTA_ONLY;
        }
        return new Funding(Funding.Mode.valueOf(o.getString("mode", "QUOTA")), o.getLong("maxPrice", 0L),
                o.getBoolean("urgent", false));
    }

    private Future<Reply> create(Call call) {
        if (!call.caller().tenant()) {
            return Future.succeededFuture(Problems.forbidden("only a tenant claims tokens"));
        }
        String tenant = call.caller().subject();
        JsonObject body = call.body();
        Bundle bundle;
        try {
            bundle = bundle(body.getJsonObject("bundle"));
        } catch (IllegalArgumentException e) {
            return Future.succeededFuture(Problems.of(400, "INVALID_BUNDLE", e.getMessage()));
        }
        Funding funding;
        try {
            funding = funding(body.getJsonObject("funding"));
        } catch (IllegalArgumentException e) {
            return Future.succeededFuture(Problems.of(400, "INVALID_FUNDING", e.getMessage()));
        }
        String key = call.header(Idempotency.HEADER);
        String id = key == null ? UUID.randomUUID().toString()
                : UUID.nameUUIDFromBytes((tenant + "\n" + key).getBytes(StandardCharsets.UTF_8)).toString();
        int priority = body.getInteger("priority", 0);
        long lease = body.getLong("leaseSeconds", 60L);
        String node = body.getString("node");
        ClaimRequest request = new ClaimRequest(id, tenant, bundle, priority, lease, node, funding);
        return ctx.onEngine(l -> l.submit(request)).compose(r -> {
            if (!r.ok()) {
                return Future.succeededFuture(Problems.of(r.rejection()));
            }
            LOG.debug("claim queued claim={} tenant={} bundle={} priority={}", id, tenant, bundle.amounts(), priority);
            java.util.function.Predicate<Claim> unseen = c -> c.state() == ClaimState.QUEUED && !c.considered();
            if (!unseen.test(r.value())) {
                // the intake admitted it (granted, or looked at and waiting): the answer is the claim as it is
                return Future.succeededFuture(Reply.created(Views.claim(r.value())));
            }
            ctx.nudge().run();
            return ctx.await(id, System.currentTimeMillis() + ctx.grantWaitMillis(), unseen)
                    .map(c -> Reply.created(Views.claim(c == null ? r.value() : c)));
        });
    }

    private Future<Reply> list(Call call) {
        ListScope scope = ListScope.of(call, "claims");
        if (scope.refused() != null) {
            return Future.succeededFuture(scope.refused());
        }
        String tenant = scope.tenant();
        String state = call.query("state");
        ClaimState s = state == null ? null : ClaimState.valueOf(state);
        return ctx.blocking(() -> Reply.ok(new Model.Items<>(
                ctx.ledger().claims(tenant, s).stream().map(Views::claim).toList())));
    }

    /** Reads the claim and checks that the caller may see it: its tenant or the operator; else 404. */
    private Future<Claim> visible(Call call, String id) {
        return ctx.blocking(() -> {
            Claim c = ctx.ledger().claim(id);
            if (c == null || !(call.caller().operator()
                    || (call.caller().tenant() && call.caller().subject().equals(c.tenant())))) {
                return null;
            }
            return c;
        });
    }

    private Future<Reply> withClaim(Call call, Function<Claim, Future<Reply>> then) {
        String id = call.path("id");
        return visible(call, id).compose(c -> c == null
                ? Future.succeededFuture(Problems.notFound("no claim " + id)) : then.apply(c));
    }

    private Future<Reply> get(Call call) {
        long wait = call.queryLong("waitSeconds", 0);
        return withClaim(call, c -> {
            if (wait <= 0 || c.state() != ClaimState.QUEUED) {
                return Future.succeededFuture(Reply.ok(Views.claim(c)));
            }
            return ctx.limits().waiting(call, () -> ctx.await(c.id(), System.currentTimeMillis() + wait * 1000,
                    x -> x.state() == ClaimState.QUEUED).map(x -> Reply.ok(Views.claim(x == null ? c : x))));
        });
    }

    /** A change to a claim, sent with its read to the engine's member as a value: it captures only values. */
    @FunctionalInterface
    private interface Change extends java.io.Serializable {
        Result<Claim> apply(io.ichiba.ledger.Ledger ledger, Claim claim);
    }

    /**
     * Reads the claim, checks the caller may see it, and runs {@code change} on it, all in one command of the engine:
     * no worker thread on the engine's member, one call to it from any other; answers {@code null} for a claim the
     * caller may not see.
     */
    private Future<Result<Claim>> changeVisible(Call call, Change change) {
        String id = call.path("id");
        boolean operator = call.caller().operator();
        String tenant = call.caller().tenant() ? call.caller().subject() : null;
        return ctx.onEngine(l -> {
            Claim c = l.claim(id);
            return c == null || !(operator || c.tenant().equals(tenant)) ? null : change.apply(l, c);
        });
    }

    private Future<Reply> renew(Call call) {
        long seconds = call.body().getLong("leaseSeconds", 0L);
        return changeVisible(call, (l, c) -> l.renew(c.id(), seconds)).map(r -> r == null
                ? Problems.notFound("no claim " + call.path("id")) : answer(r));
    }

    private Future<Reply> release(Call call) {
        return changeVisible(call, (l, c) -> l.release(c.id())).map(r -> {
            if (r == null) {
                return Problems.notFound("no claim " + call.path("id"));
            }
            if (r.ok()) {
                LOG.debug("claim released claim={} tenant={} node={}", r.value().id(), r.value().tenant(),
                        r.value().node());
            }
            return answer(r);
        });
    }

    private Future<Reply> cancel(Call call) {
        return withClaim(call, c -> ctx.blocking(() -> ctx.ledger().cancel(c.id())).compose(r -> {
            if (!r.ok()) {
                return Future.succeededFuture(answer(r));
            }
            LOG.debug("claim cancelled claim={} tenant={}", c.id(), c.tenant());
            return Future.succeededFuture(answer(r));
        }));
    }

    private static Reply answer(Result<Claim> r) {
        return r.ok() ? Reply.ok(Views.claim(r.value())) : Problems.of(r.rejection());
    }
}
