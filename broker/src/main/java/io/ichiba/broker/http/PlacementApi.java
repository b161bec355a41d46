package io.ichiba.broker.http;

import io.ichiba.api.Model;
import io.ichiba.broker.BrokerMetrics;
import io.ichiba.ledger.Explain;
import io.ichiba.ledger.Hints;
import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.Rejection;
import io.ichiba.ledger.claim.Claim;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Placement hints ({@code POST /v1/placement/hints}: one stage ranked over the nodes, or a plan for a DAG of stages)
 * and claim explanations ({@code GET /v1/claims/{id}/explain}). Both read a snapshot of the ledger and change
 * nothing; the logic is the ledger's {@link Hints} and {@link Explain}.
 *
 * <p>Both are for tenants: a hint is computed against the caller's quota, and an explanation is of the caller's
 * own claim only (another tenant's is answered 404, as by {@code GET /v1/claims/{id}}; the operator and agents 403).
 */
final class PlacementApi {
    private final ApiContext ctx;
    private final BrokerMetrics metrics;

    PlacementApi(ApiContext ctx, BrokerMetrics metrics) {
        this.ctx = ctx;
        this.metrics = metrics;
    }

    Map<String, ApiRouter.Op> ops() {
        return Map.of("placementHints", this::hints, "explainClaim", this::explain);
    }

    // ---------------------------------------------------------------- hints

    private Future<Reply> hints(Call call) {
        if (!call.caller().tenant()) {
            return Future.succeededFuture(Problems.forbidden("placement hints are for tenants"));
        }
        String tenant = call.caller().subject();
        JsonObject body = call.body();
        JsonObject single = body.getJsonObject("stage");
        JsonArray many = body.getJsonArray("stages");
        if ((single == null) == (many == null)) {
            return Future.succeededFuture(Problems.of(400, "INVALID_REQUEST",
                    "send exactly one of stage (one stage) and stages (a plan)"));
        }
        boolean plan = many != null;
        List<String> defaultPrefer = prefer(body.getJsonObject("prefer"));
        List<Hints.Stage> stages = new ArrayList<>();
        try {
            if (plan) {
                for (int i = 0; i < many.size(); i++) {
                    stages.add(stage(many.getJsonObject(i), defaultPrefer, "/stages/" + i));
                }
            } else {
                stages.add(stage(single, defaultPrefer, "/stage"));
            }
        } catch (IllegalArgumentException e) {
            return Future.succeededFuture(Problems.of(400, "INVALID_REQUEST", e.getMessage()));
        }
        Long deadline;
        String rawDeadline = body.getString("deadline");
        try {
            deadline = rawDeadline == null ? null
                    : OffsetDateTime.parse(rawDeadline, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant().toEpochMilli();
        } catch (DateTimeParseException | ArithmeticException e) {
            return Future.succeededFuture(Problems.of(400, "INVALID_REQUEST", "deadline: '" + rawDeadline
                    + "' is not an RFC 3339 time with an offset, e.g. 2030-01-31T09:00:00Z",
                    List.of(new Model.FieldError("/deadline", "not an RFC 3339 time with an offset"))));
        }
        boolean quota = !"BUY".equals(body.getString("funding", "QUOTA"));
        return ctx.blocking(() -> {
            Ledger ledger = ctx.ledger();
            for (Hints.Stage s : stages) {
                if (s.leaseSeconds() > ledger.settings().maxLeaseSeconds()) {
                    return Problems.of(400, "INVALID_REQUEST", "leaseSeconds must be at most "
                            + ledger.settings().maxLeaseSeconds() + ", was " + s.leaseSeconds());
                }
            }
            Hints.Snapshot snap = Hints.Snapshot.of(ledger, tenant);
            Rejection bad = Hints.validate(stages, plan, ledger.kinds(), snap.nodes().keySet(), deadline, snap.now());
            if (bad != null) {
                return Problems.of(bad);
            }
            String funding = quota ? "QUOTA" : "BUY";
            Model.PlacementHints answer = plan
                    ? new Model.PlacementHints(Views.time(snap.now()), "plan", funding, time(deadline), null,
                    Hints.plan(snap, stages, deadline, quota).stages().stream().map(PlacementApi::planned).toList())
                    : new Model.PlacementHints(Views.time(snap.now()), "stage", funding, time(deadline),
                    stageHint(Hints.rank(snap, stages.get(0), deadline, quota)), null);
            metrics.claims().hinted(answer.mode());
            return Reply.ok(answer);
        });
    }

    private static List<String> prefer(JsonObject o) {
        List<String> out = new ArrayList<>();
        if (o != null && o.getJsonArray("nodes") != null) {
            o.getJsonArray("nodes").forEach(n -> out.add((String) n));
        }
        return out;
    }

    /** Parses a stage; the contract has checked its shape and ranges already. */
    private static Hints.Stage stage(JsonObject o, List<String> defaultPrefer, String where) {
        TreeMap<String, Long> bundle = new TreeMap<>();
        o.getJsonObject("bundle").forEach(e -> bundle.put(e.getKey(), ((Number) e.getValue()).longValue()));
        List<String> prefer = o.getJsonObject("prefer") == null ? defaultPrefer : prefer(o.getJsonObject("prefer"));
        List<String> after = new ArrayList<>();
        if (o.getJsonArray("after") != null) {
            o.getJsonArray("after").forEach(a -> after.add((String) a));
        }
        try {
            return new Hints.Stage(o.getString("name"), o.getLong("tasks"), bundle, o.getLong("leaseSeconds", 60L),
                    prefer, after);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    private static java.time.Instant time(Long millis) {
        return millis == null ? null : Views.time(millis);
    }

    private static Model.StageHint stageHint(Hints.StageHint h) {
        return new Model.StageHint(h.tasks(), h.pricePerTaskHour(), h.quotaTasks(), h.startNow(), h.placement(),
                time(h.earliestAt()), h.nodes().stream().map(n -> new Model.NodeHint(n.node(), n.rank(), n.preferred(),
                n.lost(), n.fitsNow(), n.fitsByDeadline(), time(n.earliestAt()), n.waitSeconds(), n.pricePerTaskHour(),
                n.reason())).toList());
    }

    private static Model.PlannedStage planned(Hints.PlannedStage p) {
        return new Model.PlannedStage(p.name(), p.tasks(), p.after(), p.startNow(), time(p.startsAt()), p.placement(),
                time(p.allStartedAt()), time(p.endsAt()), p.byDeadline(), p.waitSeconds(), p.pricePerTaskHour(),
                p.reason());
    }

    // ---------------------------------------------------------------- explain

    private Future<Reply> explain(Call call) {
        if (!call.caller().tenant()) {
            return Future.succeededFuture(Problems.forbidden("a claim is explained to its tenant only"));
        }
        String tenant = call.caller().subject();
        String id = call.path("id");
        return ctx.blocking(() -> {
            Claim c = ctx.ledger().claim(id);
            if (c == null || !c.tenant().equals(tenant)) {
                return Problems.notFound("no claim " + id);
            }
            boolean waits = c.state() == io.ichiba.ledger.claim.ClaimState.QUEUED;
            Explain.Explanation e = Explain.of(c, waits ? Explain.Input.of(ctx.ledger(), tenant) : null);
            metrics.claims().explained();
            return Reply.ok(explanation(e));
        });
    }

    private static Model.ClaimExplanation explanation(Explain.Explanation e) {
        Model.Claim claim = Views.claim(e.claim());
        if (e.queue() == null) {
            return new Model.ClaimExplanation(claim, null, null, null, null, null);
        }
        Explain.Queue q = e.queue();
        Model.QueuePlace queue = new Model.QueuePlace(q.position(), q.length(),
                new Model.Counted(q.aheadOwn(), q.aheadOthers()), new Model.Counted(q.overtakingOwn(), q.overtakingOthers()));
        List<Model.QuotaGap> quota = e.quota().stream().map(g -> new Model.QuotaGap(g.kind(), g.asked(), g.entitled(),
                g.used(), g.booked(), g.missing())).toList();
        List<Model.NodeGap> nodes = e.nodes().stream().map(PlacementApi::nodeGap).toList();
        List<Model.LockGap> locks = e.locks().stream().map(l -> new Model.LockGap(l.lock(), l.permits(), l.held(),
                new Model.Counted(l.own(), l.others()), time(l.freesAt()))).toList();
        Explain.Purchase p = e.purchase();
        return new Model.ClaimExplanation(claim, queue, quota, nodes, locks,
                new Model.Purchase(e.claim().leaseSeconds(), p.missing(), p.spotCost(), p.urgentCost()));
    }

    private static Model.NodeGap nodeGap(Explain.NodeGap n) {
        return new Model.NodeGap(n.node(), n.lost(),
                n.kinds().stream().map(k -> new Model.KindGap(k.kind(), k.asked(), k.capacity(), k.free(), k.booked(),
                        k.missing(), k.overcommitted())).toList(),
                new Model.Holders(n.own().stream().map(h -> new Model.OwnHold(h.claim(), h.amounts(), time(h.until())))
                        .toList(), n.others(), n.otherAmounts()),
                n.releases().stream().map(r -> new Model.Release(Views.time(r.at()), r.amounts())).toList(),
                n.bookings().stream().map(b -> new Model.BookingWindow(Views.time(b.from()), Views.time(b.to()),
                        b.amounts())).toList(),
                time(n.fitsAt()));
    }
}
