package io.ichiba.broker.http;

import io.ichiba.api.Model;
import io.ichiba.broker.BrokerMetrics;
import io.ichiba.ledger.Auditor;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/** Health, readiness and the audit (holdings and credits). */
final class OpsApi {
    private static final Logger LOG = LoggerFactory.getLogger(OpsApi.class);
    private final ApiContext ctx;
    private final Auditor auditor;
    private final BrokerMetrics metrics;
    private final BooleanSupplier ready;
    private final Supplier<String> member;
    private final IntSupplier clusterSize;

    /** Whether anyone sees the member's address in /health and /ready (else the operator only). */
    private final boolean publicMember;

    OpsApi(ApiContext ctx, BrokerMetrics metrics, BooleanSupplier ready, Supplier<String> member,
           IntSupplier clusterSize, boolean publicMember) {
        this.publicMember = publicMember;
        this.ctx = ctx;
        this.auditor = new Auditor(ctx.ledger());
        this.metrics = metrics;
        this.ready = ready;
        this.member = member;
        this.clusterSize = clusterSize;
    }

    Map<String, ApiRouter.Op> ops() {
        return Map.of("health", c -> Future.succeededFuture(Reply.ok(new Model.Status("UP", member(c), null))),
                "ready", this::ready, "audit", this::audit);
    }

    private Future<Reply> ready(Call call) {
        if (!ready.getAsBoolean()) {
            return Future.succeededFuture(Problems.of(503, "NOT_READY", "the member is still joining its cluster"));
        }
        boolean engine = false;
        Long epoch = null;
        if (ctx.ledger().store() instanceof io.ichiba.ledger.engine.EngineStore es) {
            engine = es.engine().active();
            epoch = es.engine().epoch();
        }
        return Future.succeededFuture(Reply.ok(new Model.Status("READY", member(call), clusterSize.getAsInt(), engine,
                epoch)));
    }

    /** The member's address, for anyone or only the operator ({@code ICHIBA_PUBLIC_METRICS=false}). */
    private String member(Call call) {
        return publicMember || (call.caller() != null && call.caller().operator()) ? member.get() : null;
    }

    private Future<Reply> audit(Call call) {
        if (!call.caller().operator()) {
            return Future.succeededFuture(Problems.forbidden("only the operator audits"));
        }
        return ctx.blocking(() -> {
            Auditor.Report r = auditor.audit();
            metrics.claims().audited(r);
            if (!r.ok()) {
                r.drift().forEach(d -> LOG.warn("audit drift subject={} recorded={} live={} detail={}",
                        d.subject(), d.recorded(), d.live(), d.detail()));
            }
            Model.CreditAudit credits = r.credits() == null ? null
                    : new Model.CreditAudit(r.credits().minted(), r.credits().total(), r.credits().inFlight());
            return Reply.ok(new Model.Audit(r.ok(), r.drift().stream()
                    .map(d -> new Model.Drift(d.subject(), d.recorded(), d.live(), d.detail())).toList(),
                    credits, Views.time(r.checkedAt())));
        });
    }
}
