package io.ichiba.broker.http;

import io.ichiba.api.Model;
import io.ichiba.ledger.Result;
import io.ichiba.ledger.pool.LockState;
import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.pool.PoolView;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;

/** Pools: agents' reports, locks, and reading the pools. */
final class PoolsApi {
    private static final Logger LOG = LoggerFactory.getLogger(PoolsApi.class);
    private final ApiContext ctx;

    PoolsApi(ApiContext ctx) {
        this.ctx = ctx;
    }

    Map<String, ApiRouter.Op> ops() {
        return Map.of("reportNode", this::reportNode, "createLock", this::createLock,
                "listPools", this::listPools, "getPool", this::getPool,
                "listNodes", this::listNodes, "getNode", this::getNode);
    }

    private Future<Reply> reportNode(Call call) {
        String node = call.path("node");
        if (!call.caller().agentOf(node)) {
            return Future.succeededFuture(Problems.forbidden("only the agent of node " + node + " reports for it"));
        }
        JsonObject body = call.body();
        Map<String, Long> allocatable = IdentityApi.amounts(body.getJsonObject("allocatable"));
        Map<String, Long> free = IdentityApi.amounts(body.getJsonObject("free"));
        return ctx.blocking(() -> {
            NodeState before = ctx.ledger().store().nodes().get(node);
            Result<NodeState> r = ctx.ledger().report(node, allocatable, free);
            if (!r.ok()) {
                return Problems.of(r.rejection());
            }
            if (before != null && before.lost()) {
                LOG.info("node back node={} allocatable={}", node, r.value().capacity());
            }
            logOvercommit(before, r.value());
            logWithheld(before, r.value());
            if (before != null) {
                call.rc().put(ActionTrail.BEFORE, Views.node(before)); // for the audit trail: read once, here
            }
            List<Model.Pool> pools = PoolView.of(r.value()).stream().map(Views::pool).toList();
            return Reply.ok(new Model.Items<>(pools));
        });
    }

    private static void logOvercommit(NodeState before, NodeState after) {
        for (String kind : after.kinds().keySet()) {
            boolean was = before != null && before.overcommitted(kind);
            if (after.overcommitted(kind) && !was) {
                LOG.warn("pool over-committed pool={} granted={} capacity={}: grants stay, nothing more is granted "
                        + "until releases bring it under", NodeState.poolId(kind, after.node()), after.granted(kind),
                        after.capacity(kind));
            } else if (was && !after.overcommitted(kind)) {
                LOG.info("pool no longer over-committed pool={}", NodeState.poolId(kind, after.node()));
            }
        }
    }

    private Future<Reply> listNodes(Call call) {
        return ctx.blocking(() -> Reply.ok(new Model.Items<>(ctx.ledger().store().nodes().entries().values().stream()
                .map(Views::node).toList())));
    }

    private Future<Reply> getNode(Call call) {
        String node = call.path("node");
        return ctx.blocking(() -> {
            NodeState n = ctx.ledger().store().nodes().get(node);
            return n == null ? Problems.notFound("no node " + node + " has reported") : Reply.ok(Views.node(n));
        });
    }

    private static void logWithheld(NodeState before, NodeState after) {
        for (String kind : after.kinds().keySet()) {
            long was = before == null ? 0 : before.withheld(kind);
            if (after.withheld(kind) != was) {
                LOG.info("pool withheld pool={} withheld={} measuredFree={}: capacity the machine does not have",
                        NodeState.poolId(kind, after.node()), after.withheld(kind), after.measuredFree().get(kind));
            }
        }
    }

    private Future<Reply> createLock(Call call) {
        if (!call.caller().operator()) {
            return Future.succeededFuture(Problems.forbidden("only the operator creates locks"));
        }
        JsonObject body = call.body();
        String name = body.getString("name");
        long permits = body.getLong("permits", 1L);
        return ctx.blocking(() -> {
            Result<LockState> r = ctx.ledger().createLock(name, permits);
            if (!r.ok()) {
                return Problems.of(r.rejection());
            }
            LOG.info("lock created lock={} permits={}", name, permits);
            return Reply.created(Views.pool(PoolView.of(r.value())));
        });
    }

    private Future<Reply> listPools(Call call) {
        return ctx.blocking(() -> Reply.ok(new Model.Items<>(ctx.ledger().pools().stream().map(Views::pool).toList())));
    }

    private Future<Reply> getPool(Call call) {
        String id = call.path("id");
        return ctx.blocking(() -> {
            PoolView p = ctx.ledger().pool(id);
            return p == null ? Problems.notFound("no pool " + id) : Reply.ok(Views.pool(p));
        });
    }
}
