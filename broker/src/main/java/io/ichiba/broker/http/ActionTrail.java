package io.ichiba.broker.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ichiba.api.Model;
import io.ichiba.api.Wire;
import io.ichiba.ledger.audit.OperatorAction;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Records the operator's and agents' changes of what the ledger grants from in the audit trail
 * ({@code GET /v1/audit/actions}): who, which operation, on what, when, and the target as the API shows it before
 * (read by the target's own GET before the change runs, or handed over by an operation that reads it anyway) and
 * after (the answer, tokens left out). A node's report is recorded only when it changes the node's capacity (agents
 * report every few seconds). A tenant's own actions are not recorded here (they are in its statement and the event
 * log).
 *
 * <p>The action is written once the change has answered, in its own command of the engine; if that write fails
 * the change still stands and is answered: the failure is logged and counted
 * ({@code ichiba_audit_actions_unrecorded_total}). A keyed retry is answered from its first answer without running,
 * so it records nothing again.
 */
final class ActionTrail {
    private static final Logger LOG = LoggerFactory.getLogger(ActionTrail.class);
    /**
     * The operations recorded, each with the operation that reads its target before (or none: it makes it, or, as
     * {@code reportNode}, it reads its target itself and hands the view over under {@link #BEFORE}).
     */
    static final Map<String, String> AUDITED = Map.of("createTenant", "", "updateTenant", "getAccount",
            "mintCredits", "getAccount", "rotateTenantToken", "", "createAgent", "", "rotateAgentToken", "",
            "defineKind", "", "createLock", "", "reportNode", "");
    /** The routing-context key under which an operation that read its target before hands that view over. */
    static final String BEFORE = "ichiba.audit.before";
    private static final Set<String> SECRETS = Set.of("token", "secret");

    private final ApiContext ctx;
    private final Map<String, ApiRouter.Op> ops;
    private final MeterRegistry registry;
    private final Map<String, Counter> recorded = new ConcurrentHashMap<>();
    private final Counter unrecorded;

    ActionTrail(ApiContext ctx, Map<String, ApiRouter.Op> ops, MeterRegistry registry) {
        this.ctx = ctx;
        this.ops = Map.copyOf(ops);
        this.registry = registry;
        this.unrecorded = Counter.builder("ichiba.audit.actions.unrecorded")
                .description("operator and agent actions applied but not written to the audit trail (logged)")
                .register(registry);
    }

    /** {@code op}, recorded in the trail when the operator or an agent runs it and it succeeds. */
    ApiRouter.Op wrap(String id, ApiRouter.Op op) {
        String reader = AUDITED.get(id);
        if (reader == null) {
            return op;
        }
        return call -> {
            if (call.caller() == null || call.caller().tenant()) {
                return op.handle(call);
            }
            Future<Reply> before = reader.isEmpty() ? Future.succeededFuture(null)
                    : ops.get(reader).handle(call).otherwise((Reply) null);
            return before.compose(b -> op.handle(call).compose(reply -> record(id, call, b, reply)));
        };
    }

    private Future<Reply> record(String id, Call call, Reply before, Reply reply) {
        if (reply.status() / 100 != 2) {
            return Future.succeededFuture(reply);
        }
        Object handed = call.rc().get(BEFORE);
        JsonNode was = handed != null ? shown(handed)
                : before == null || before.status() != 200 ? null : shown(before.body());
        if (id.equals("reportNode") && was != null && sameCapacity(was, call.body())) {
            return Future.succeededFuture(reply);
        }
        long now = ctx.ledger().clock().millis();
        String actor = call.caller().operator() ? "operator" : "agent:" + call.caller().subject();
        OperatorAction a = new OperatorAction(OperatorAction.id(now, Long.toHexString(
                ThreadLocalRandom.current().nextLong() >>> 1)), now, actor, id, call.rc().normalizedPath(),
                was == null ? null : was.toString(), shown(reply.body()).toString());
        return ctx.onEngine(l -> {
            l.recordAction(a);
            return null;
        }).map(x -> {
            recorded.computeIfAbsent(id, o -> Counter.builder("ichiba.audit.actions").tag("operation", o)
                    .description("operator and agent actions written to the audit trail, by operation")
                    .register(registry)).increment();
            return reply;
        }).otherwise(e -> {
            unrecorded.increment();
            LOG.warn("audit trail: {} by {} on {} applied but not recorded: {}", id, actor, a.target(), e.toString());
            return reply;
        });
    }

    /** A body as JSON, without its secrets (a new token, a binding's secret). */
    private static JsonNode shown(Object body) {
        JsonNode n = body instanceof String s ? parse(s) : Wire.JSON.valueToTree(body);
        if (n instanceof ObjectNode o) {
            SECRETS.forEach(o::remove);
        }
        return n;
    }

    /** {@code GET /v1/audit/actions}: a page of the trail, oldest first, for the operator. */
    Future<Reply> list(Call call) {
        if (!call.caller().operator()) {
            return Future.succeededFuture(Problems.forbidden("only the operator reads the audit trail"));
        }
        String after = call.query("after");
        int limit = (int) call.queryLong("limit", 100);
        return ctx.blocking(() -> {
            List<OperatorAction> page = ctx.ledger().actions(after, limit);
            List<Model.OperatorAction> items = new ArrayList<>();
            for (OperatorAction a : page) {
                items.add(new Model.OperatorAction(a.id(), Instant.ofEpochMilli(a.at()), a.actor(), a.operation(),
                        a.target(), a.before() == null ? null : parse(a.before()), parse(a.after())));
            }
            return Reply.ok(new Model.ActionPage(items, page.size() < limit ? null : page.get(page.size() - 1).id()));
        });
    }

    /** A text as JSON: as it is, or as a JSON string if it is not JSON (an answer, or one cut at 8 KiB). */
    private static JsonNode parse(String s) {
        try {
            return Wire.JSON.readTree(s);
        } catch (java.io.IOException e) {
            return Wire.JSON.getNodeFactory().textNode(s);
        }
    }

    /** Whether a report asks the capacity the node has already. */
    private static boolean sameCapacity(JsonNode node, JsonObject report) {
        JsonObject asked = report == null ? null : report.getJsonObject("allocatable");
        JsonNode has = node.path("allocatable");
        if (asked == null || !has.isObject() || has.size() != asked.size()) {
            return false;
        }
        for (Map.Entry<String, Object> e : asked) {
            if (!(e.getValue() instanceof Number n) || !has.has(e.getKey()) || has.get(e.getKey()).asLong() != n.longValue()) {
                return false;
            }
        }
        return true;
    }
}
