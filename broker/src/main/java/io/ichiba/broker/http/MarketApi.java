package io.ichiba.broker.http;

import io.ichiba.api.Model;
import io.ichiba.ledger.Exchange;
import io.ichiba.ledger.Result;
import io.ichiba.ledger.market.Book;
import io.ichiba.ledger.market.Loan;
import io.ichiba.ledger.market.MarketOrder;
import io.ichiba.ledger.market.OrderRequest;
import io.ichiba.pricing.PriceHistory;
import io.ichiba.pricing.Side;
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
 * The market: offers and bids (place, read, cancel), each kind's book and price history, and loans (list, read,
 * recall).
 *
 * <p>Orders and loans are their owners' (and the operator's): anyone else is answered 404, as for claims. A
 * book's depth and history are public to every caller. An order's id is derived from its tenant and the
 * {@code Idempotency-Key}, as claim ids are, so a retry whose first answer was lost places nothing twice.
 */
final class MarketApi {
    private static final Logger LOG = LoggerFactory.getLogger(MarketApi.class);
    private final ApiContext ctx;

    MarketApi(ApiContext ctx) {
        this.ctx = ctx;
    }

    Map<String, ApiRouter.Op> ops() {
        return Map.ofEntries(Map.entry("createOffer", c -> place(c, Side.OFFER)),
                Map.entry("createBid", c -> place(c, Side.BID)),
                Map.entry("getOffer", c -> get(c, Side.OFFER)), Map.entry("getBid", c -> get(c, Side.BID)),
                Map.entry("cancelOffer", c -> cancel(c, Side.OFFER)), Map.entry("cancelBid", c -> cancel(c, Side.BID)),
                Map.entry("getMarket", this::market), Map.entry("getMarketHistory", this::history),
                Map.entry("listLoans", this::loans), Map.entry("getLoan", this::loan),
                Map.entry("recallLoan", this::recall));
    }

    private Exchange exchange() {
        return ctx.ledger().exchange();
    }

    /** The id of a new order: derived from the tenant and the key when there is one, else random. */
    private static String orderId(Call call, String tenant) {
        String key = call.header(Idempotency.HEADER);
        return key == null ? UUID.randomUUID().toString()
                : UUID.nameUUIDFromBytes(("order\n" + tenant + "\n" + key).getBytes(StandardCharsets.UTF_8)).toString();
    }

    private Future<Reply> place(Call call, Side side) {
        if (!call.caller().tenant()) {
            return Future.succeededFuture(Problems.forbidden("only a tenant trades"));
        }
        String tenant = call.caller().subject();
        JsonObject b = call.body();
        String kind = b.getString("kind");
        long amount = b.getLong("amount");
        long duration = b.getLong("durationSeconds");
        long price = b.getLong(side == Side.BID ? "maxPrice" : "minPrice");
        String until = b.getString("goodUntil");
        long goodUntil;
        try {
            goodUntil = until == null ? Long.MAX_VALUE
                    : OffsetDateTime.parse(until, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant().toEpochMilli();
        } catch (DateTimeParseException | ArithmeticException e) {
            return Future.succeededFuture(Problems.of(400, "INVALID_REQUEST", "goodUntil: '" + until
                    + "' is not an RFC 3339 time with an offset, e.g. 2025-01-31T09:00:00Z",
                    List.of(new Model.FieldError("/goodUntil", "not an RFC 3339 time with an offset"))));
        }
        String id = orderId(call, tenant);
        String key = call.header(Idempotency.HEADER);
        return ctx.blocking(() -> {
            Result<MarketOrder> r = exchange().place(OrderRequest.of(id, tenant, kind, side, amount, duration,
                    price).until(goodUntil).withKey(key));
            if (!r.ok()) {
                return Problems.of(r.rejection());
            }
            MarketOrder o = r.value();
            LOG.debug("order placed order={} tenant={} side={} kind={} amount={} price={} state={} filled={}", id,
                    tenant, side, kind, amount, price, o.state(), o.filled());
            ctx.nudge().run(); // a fill may let waiting claims in
            return Reply.created(Views.order(o, exchange().fills(id)));
        });
    }

    /** The order if the caller may see it (its owner, or the operator) and it is of {@code side}; else null. */
    private MarketOrder visible(Call call, Side side) {
        String tenant = call.caller().operator() ? null : call.caller().tenant() ? call.caller().subject() : "";
        MarketOrder o = exchange().order(call.path("id"), tenant);
        return o == null || o.side() != side ? null : o;
    }

    private static String what(Side side) {
        return side == Side.BID ? "bid" : "offer";
    }

    private Future<Reply> get(Call call, Side side) {
        return ctx.blocking(() -> {
            MarketOrder o = visible(call, side);
            return o == null ? Problems.notFound("no " + what(side) + " " + call.path("id"))
                    : Reply.ok(Views.order(o, exchange().fills(o.id())));
        });
    }

    private Future<Reply> cancel(Call call, Side side) {
        return ctx.blocking(() -> {
            MarketOrder o = visible(call, side);
            if (o == null || !call.caller().tenant()) {
                return Problems.notFound("no " + what(side) + " " + call.path("id") + " of yours");
            }
            Result<MarketOrder> r = exchange().cancel(o.id(), o.owner());
            if (!r.ok()) {
                return Problems.of(r.rejection());
            }
            LOG.debug("order cancelled order={} tenant={} state={} filled={}", o.id(), o.owner(), r.value().state(),
                    r.value().filled());
            return Reply.ok(Views.order(r.value(), exchange().fills(o.id())));
        });
    }

    private Future<Reply> market(Call call) {
        String kind = call.path("kind");
        int levels = (int) call.queryLong("levels", 10);
        return ctx.blocking(() -> {
            Book.View v = exchange().view(kind, levels);
            if (v == null) {
                return Problems.notFound("no kind " + kind + " is traded");
            }
            return Reply.ok(Views.market(v, exchange().unitPrice(kind, true), exchange().spot(kind)));
        });
    }

    private Future<Reply> history(Call call) {
        String kind = call.path("kind");
        long step = call.queryLong("step", 60);
        long to;
        long from;
        try {
            to = AccountsApi.time(call, "to", System.currentTimeMillis());
            from = AccountsApi.time(call, "from", to - 3_600_000);
        } catch (AccountsApi.BadParameter e) {
            return Future.succeededFuture(Problems.of(400, "INVALID_REQUEST", e.getMessage()));
        }
        if (from >= to) {
            return Future.succeededFuture(Problems.of(400, "INVALID_REQUEST", "from must be before to"));
        }
        long stepMillis = step * 1000;
        if (-Math.floorDiv(-(to - from), stepMillis) > PriceHistory.MAX_BUCKETS) {
            return Future.succeededFuture(Problems.of(400, "INVALID_REQUEST", "from..to in steps of " + step
                    + " s is more than " + PriceHistory.MAX_BUCKETS + " buckets: widen the step"));
        }
        return ctx.blocking(() -> {
            if (exchange().view(kind, 0) == null) {
                return Problems.notFound("no kind " + kind + " is traded");
            }
            List<Model.HistoryBucket> buckets = exchange().history(kind, from, to, stepMillis).stream()
                    .map(Views::bucket).toList();
            return Reply.ok(new Model.MarketHistory(kind, Instant.ofEpochMilli(from), Instant.ofEpochMilli(to), step,
                    buckets));
        });
    }

    private Future<Reply> loans(Call call) {
        if (!call.caller().operator() && !call.caller().tenant()) {
            return Future.succeededFuture(Problems.forbidden("agents have no loans"));
        }
        String tenant = call.caller().operator() ? null : call.caller().subject();
        boolean all = "true".equals(call.query("all"));
        return ctx.blocking(() -> Reply.ok(new Model.Items<>(
                exchange().loans(tenant, !all).stream().map(Views::loan).toList())));
    }

    /** The loan if the caller may see it (its lender, its borrower, or the operator); else null. */
    private Loan visibleLoan(Call call) {
        Loan l = exchange().loan(call.path("id"));
        if (l == null || call.caller().operator()) {
            return l;
        }
        String me = call.caller().tenant() ? call.caller().subject() : null;
        return me != null && (me.equals(l.lender()) || me.equals(l.borrower())) ? l : null;
    }

    private Future<Reply> loan(Call call) {
        return ctx.blocking(() -> {
            Loan l = visibleLoan(call);
            return l == null ? Problems.notFound("no loan " + call.path("id")) : Reply.ok(Views.loan(l));
        });
    }

    private Future<Reply> recall(Call call) {
        JsonObject body = call.body();
        Long notice = body == null ? null : body.getLong("noticeSeconds");
        long seconds = notice == null ? exchange().settings().defaultNoticeSeconds() : notice;
        return ctx.blocking(() -> {
            Loan l = visibleLoan(call);
            if (l == null) {
                return Problems.notFound("no loan " + call.path("id"));
            }
            if (!call.caller().tenant() || !call.caller().subject().equals(l.lender())) {
                return Problems.forbidden("only the lender recalls a loan");
            }
            Result<Loan> r = exchange().recall(l.id(), l.lender(), seconds);
            if (!r.ok()) {
                return Problems.of(r.rejection());
            }
            LOG.info("loan recalled loan={} lender={} borrower={} notice={}s", l.id(), l.lender(), l.borrower(), seconds);
            return Reply.ok(Views.loan(r.value()));
        });
    }
}
