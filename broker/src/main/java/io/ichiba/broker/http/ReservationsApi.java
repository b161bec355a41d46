package io.ichiba.broker.http;

import io.ichiba.api.Model;
import io.ichiba.broker.BrokerMetrics;
import io.ichiba.ledger.Rejection;
import io.ichiba.ledger.Reservations;
import io.ichiba.ledger.Result;
import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Funding;
import io.ichiba.ledger.pool.Timeline;
import io.ichiba.ledger.reservation.Reservation;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Advance reservations (book, list, read, cancel) and a pool's capacity over time.
 *
 * <p>A reservation is its tenant's (and the operator's): anyone else is answered 404, as for claims. Its id is
 * derived from the tenant and the {@code Idempotency-Key}, so a retry whose first answer was lost books nothing
 * twice. A pool's timeline is public to every caller, like the pool.
 */
final class ReservationsApi {
    private static final Logger LOG = LoggerFactory.getLogger(ReservationsApi.class);
    /** The most steps one timeline answer holds. */
    static final int MAX_STEPS = 1000;
    /** The longest span one timeline answer covers. */
    static final long MAX_SPAN_MILLIS = 400L * 86_400_000;

    private final ApiContext ctx;
    private final BrokerMetrics metrics;

    ReservationsApi(ApiContext ctx, BrokerMetrics metrics) {
        this.ctx = ctx;
        this.metrics = metrics;
    }

    Map<String, ApiRouter.Op> ops() {
        return Map.of("createReservation", this::create, "listReservations", this::list,
                "getReservation", this::get, "cancelReservation", this::cancel, "getPoolTimeline", this::timeline);
    }

    private Reservations reservations() {
        return ctx.ledger().reservations();
    }

    /** Parses an RFC 3339 time with an offset from a body field; throws with a message naming the field. */
    private static long bodyTime(JsonObject body, String field) {
        String text = body.getString(field);
        try {
            return OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant().toEpochMilli();
        } catch (DateTimeParseException | ArithmeticException | NullPointerException e) {
            throw new IllegalArgumentException(field + ": '" + text + "' is not an RFC 3339 time with an offset, "
                    + "e.g. 2026-01-31T09:00:00Z");
        }
    }

    private Future<Reply> create(Call call) {
        if (!call.caller().tenant()) {
            return Future.succeededFuture(Problems.forbidden("only a tenant reserves tokens"));
        }
        String tenant = call.caller().subject();
        JsonObject body = call.body();
        Bundle bundle;
        Funding funding;
        long start;
        long end;
        try {
            bundle = ClaimsApi.bundle(body.getJsonObject("bundle"));
            funding = ClaimsApi.funding(body.getJsonObject("funding"));
            start = bodyTime(body, "start");
            end = bodyTime(body, "end");
        } catch (IllegalArgumentException e) {
            return Future.succeededFuture(Problems.of(400, "INVALID_REQUEST", e.getMessage()));
        }
        String key = call.header(Idempotency.HEADER);
        String id = key == null ? UUID.randomUUID().toString()
                : UUID.nameUUIDFromBytes(("reservation\n" + tenant + "\n" + key).getBytes(StandardCharsets.UTF_8))
                .toString();
        Reservations.Request request = new Reservations.Request(bundle, body.getInteger("count", 1), start, end,
                body.getString("node"), funding, body.getLong("leaseSeconds", 0L), body.getInteger("priority", 0));
        return ctx.blocking(() -> {
            Reservations.Booked b = reservations().book(id, tenant, request);
            metrics.reservations().booking(b.ok() ? "booked" : b.rejection().code().name());
            if (!b.ok()) {
                Reply problem = Problems.of(b.rejection());
                if (b.rejection().code() == Rejection.Code.WINDOW_FULL && b.earliest() >= 0) {
                    Model.Problem p = (Model.Problem) problem.body();
                    long length = end - Math.max(start, ctx.ledger().clock().millis());
                    return new Reply(problem.status(), new Model.Problem(p.type(), p.title(), p.status(),
                            p.detail() + "; the earliest window of the same length that fits now starts at "
                                    + Instant.ofEpochMilli(b.earliest()), p.code(), p.errors(),
                            Instant.ofEpochMilli(b.earliest()), Instant.ofEpochMilli(b.earliest() + length)));
                }
                return problem;
            }
            ctx.nudge().run(); // a window that opens now is granted by the next pass
            return Reply.created(Views.reservation(b.reservation()));
        });
    }

    private Future<Reply> list(Call call) {
        ListScope scope = ListScope.of(call, "reservations");
        if (scope.refused() != null) {
            return Future.succeededFuture(scope.refused());
        }
        String tenant = scope.tenant();
        String state = call.query("state");
        return ctx.blocking(() -> Reply.ok(new Model.Items<>(reservations().list(tenant).stream()
                .map(Views::reservation).filter(r -> state == null || state.equals(r.state())).toList())));
    }

    /** The reservation if the caller may see it (its tenant, or the operator); else null. */
    private Reservation visible(Call call) {
        Reservation r = reservations().get(call.path("id"));
        if (r == null || !(call.caller().operator()
                || (call.caller().tenant() && call.caller().subject().equals(r.tenant())))) {
            return null;
        }
        return r;
    }

    private Future<Reply> get(Call call) {
        return ctx.blocking(() -> {
            Reservation r = visible(call);
            return r == null ? Problems.notFound("no reservation " + call.path("id"))
                    : Reply.ok(Views.reservation(r));
        });
    }

    private Future<Reply> cancel(Call call) {
        return ctx.blocking(() -> {
            Reservation r = visible(call);
            if (r == null) {
                return Problems.notFound("no reservation " + call.path("id"));
            }
            Result<Reservation> done = reservations().cancel(r.id(), r.tenant());
            if (!done.ok()) {
                return Problems.of(done.rejection());
            }
            ctx.nudge().run(); // what it held or promised may let waiting claims in
            LOG.info("reservation cancel reservation={} tenant={} state={} refunded={}", r.id(), r.tenant(),
                    done.value().state(), done.value().refunded());
            return Reply.ok(Views.reservation(done.value()));
        });
    }

    private Future<Reply> timeline(Call call) {
        String pool = call.path("id");
        long from;
        long to;
        try {
            from = AccountsApi.time(call, "from", System.currentTimeMillis());
            to = AccountsApi.time(call, "to", from + 86_400_000);
        } catch (AccountsApi.BadParameter e) {
            return Future.succeededFuture(Problems.of(400, "INVALID_REQUEST", e.getMessage()));
        }
        if (from >= to) {
            return Future.succeededFuture(Problems.of(400, "INVALID_REQUEST", "from must be before to"));
        }
        if (to - from > MAX_SPAN_MILLIS) {
            return Future.succeededFuture(Problems.of(400, "INVALID_REQUEST", "from..to spans more than "
                    + MAX_SPAN_MILLIS / 86_400_000 + " days"));
        }
        long stepSeconds = call.queryLong("stepSeconds", Math.max(1, -Math.floorDiv(-(to - from), 48_000L)));
        long stepMillis = stepSeconds * 1000;
        if (-Math.floorDiv(-(to - from), stepMillis) > MAX_STEPS) {
            return Future.succeededFuture(Problems.of(400, "INVALID_REQUEST", "from..to in steps of " + stepSeconds
                    + " s is more than " + MAX_STEPS + " steps: widen the step"));
        }
        return ctx.blocking(() -> {
            List<Timeline.Step> steps = reservations().timeline(pool, from, to, stepMillis);
            if (steps == null) {
                return Problems.notFound("no pool " + pool);
            }
            return Reply.ok(new Model.PoolTimeline(pool, Instant.ofEpochMilli(from), Instant.ofEpochMilli(to),
                    stepSeconds, steps.stream().map(Views::step).toList()));
        });
    }
}
