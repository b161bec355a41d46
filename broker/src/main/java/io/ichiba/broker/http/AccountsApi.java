package io.ichiba.broker.http;

import io.ichiba.api.Model;
import io.ichiba.ledger.Rejection;
import io.ichiba.ledger.Result;
import io.ichiba.ledger.credit.Account;
import io.ichiba.ledger.credit.Accounts;
import io.ichiba.ledger.credit.JournalEntry;
import io.ichiba.ledger.market.MarketOrder;
import io.ichiba.ledger.tenant.TenantState;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Credits: the operator mints them and sets credit limits; a tenant (or the operator) reads its account and
 * statement; the operator lists every account.
 *
 * <p>A tenant's account and statement are visible to that tenant and the operator only; anyone else is answered
 * 404, as if the tenant did not exist (as for claims). Minting and limits are the operator's: others get 403.
 *
 * <p>Notes: a mint's journal entry id is derived from the caller and the {@code Idempotency-Key}, as claim ids are,
 * so a retry that runs again (its first run's member died, or its key's answer was forgotten after 24 h) finds
 * the entry already posted and moves nothing. Statement cursors are the ledger's {@code (time, id)} cursor in
 * base64url: opaque to clients, and checked when they come back.
 */
final class AccountsApi {
    private static final Logger LOG = LoggerFactory.getLogger(AccountsApi.class);
    private static final int DEFAULT_LIMIT = 100;
    private static final Pattern RFC_3339 = Pattern.compile(
            "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$");
    private static final Pattern UNENCODED_PLUS = Pattern.compile(" ([0-9]{2}:[0-9]{2})$");
    private static final Pattern LEDGER_CURSOR = Pattern.compile("^[0-9]{19}~.+$", Pattern.DOTALL);
    private final ApiContext ctx;

    AccountsApi(ApiContext ctx) {
        this.ctx = ctx;
    }

    Map<String, ApiRouter.Op> ops() {
        return Map.of("mintCredits", this::mint, "updateTenant", this::update, "getAccount", this::account,
                "getStatement", this::statement, "listAccounts", this::list);
    }

    private Accounts accounts() {
        return ctx.ledger().accounts();
    }

    /** Whether the caller may read tenant {@code id}'s account: that tenant or the operator. */
    private static boolean mayRead(Call call, String id) {
        return call.caller().operator() || (call.caller().tenant() && call.caller().subject().equals(id));
    }

    /** The id of a mint's entry: derived from the caller and the key when there is one, else random. */
    static String mintEntryId(Call call) {
        String key = call.header(Idempotency.HEADER);
        return key == null ? UUID.randomUUID().toString()
                : UUID.nameUUIDFromBytes(("mint\n" + call.caller().key() + "\n" + key)
                .getBytes(StandardCharsets.UTF_8)).toString();
    }

    private Future<Reply> mint(Call call) {
        if (!call.caller().operator()) {
            return Future.succeededFuture(Problems.forbidden("only the operator mints credits"));
        }
        String tenant = call.path("id");
        long amount = call.body().getLong("amount");
        String memo = call.body().getString("memo");
        String key = call.header(Idempotency.HEADER);
        String entryId = mintEntryId(call);
        return ctx.blocking(() -> {
            Result<JournalEntry> r = accounts().mint(entryId, tenant, amount, memo, key);
            if (!r.ok()) {
                return Problems.of(r.rejection());
            }
            String accountId = Account.ofTenant(tenant);
            Account a = accounts().account(accountId);
            LOG.info("credits minted entry={} tenant={} amount={} balance={}", entryId, tenant, amount,
                    a == null ? null : a.balance());
            return Reply.created(new Model.Minted(Views.entry(r.value(), accountId), a == null ? 0 : a.balance()));
        });
    }

    private List<MarketOrder> openOrders(String tenant) {
        return ctx.ledger().exchange().openOrders(tenant);
    }

    private Future<Reply> update(Call call) {
        if (!call.caller().operator()) {
            return Future.succeededFuture(Problems.forbidden("only the operator changes a tenant's settings"));
        }
        String id = call.path("id");
        Long limit = call.body().getLong("creditLimit");
        JsonObject lending = call.body().getJsonObject("lendingLimit");
        Map<String, Long> l = new TreeMap<>();
        if (lending != null) {
            lending.forEach(e -> l.put(e.getKey(), ((Number) e.getValue()).longValue()));
        }
        JsonObject own = call.body().getJsonObject("limits");
        Map<String, Long> limits = own == null ? null : new TreeMap<>();
        if (own != null) {
            own.forEach(e -> limits.put(e.getKey(), ((Number) e.getValue()).longValue()));
        }
        // every setting or none (issue 13, defect 7): one operation of the ledger, one command of the engine
        return ctx.blocking(() -> {
            Result<TenantState> r = ctx.ledger().setLimits(id, limit, lending == null ? null : l, limits);
            if (!r.ok()) {
                return limit != null && r.rejection().code() == Rejection.Code.INSUFFICIENT_CREDIT
                        ? limitRefused(id, limit, r.rejection()) : Problems.of(r.rejection());
            }
            LOG.info("limits set tenant={} creditLimit={} lendingLimit={} limits={}", id, limit,
                    lending == null ? null : l, limits);
            return Reply.ok(Views.tenantAccount(r.value(), accounts().account(Account.ofTenant(id)), openOrders(id)));
        });
    }

    /** A 409 that says how far the tenant is past the limit asked for. */
    private Reply limitRefused(String tenant, long limit, Rejection why) {
        Account a = accounts().account(Account.ofTenant(tenant));
        long owed = a == null ? 0 : -a.balance();
        if (owed <= limit) {
            return Problems.of(why);
        }
        return Problems.of(409, why.code().name(), "tenant " + tenant + " owes " + owed + " (balance "
                + a.balance() + "): a credit limit of " + limit + " is " + (owed - limit)
                + " short of it; the limit stays " + a.creditLimit());
    }

    private Future<Reply> account(Call call) {
        String id = call.path("id");
        if (!mayRead(call, id)) {
            return Future.succeededFuture(Problems.notFound("no tenant " + id));
        }
        return ctx.blocking(() -> {
            TenantState t = ctx.ledger().store().tenants().get(id);
            return t == null ? Problems.notFound("no tenant " + id)
                    : Reply.ok(Views.tenantAccount(t, accounts().account(Account.ofTenant(id)), openOrders(id)));
        });
    }

    private Future<Reply> statement(Call call) {
        String id = call.path("id");
        if (!mayRead(call, id)) {
            return Future.succeededFuture(Problems.notFound("no tenant " + id));
        }
        long from;
        long to;
        String cursor;
        try {
            from = time(call, "from", Long.MIN_VALUE);
            to = time(call, "to", Long.MAX_VALUE);
            cursor = ledgerCursor(call.query("cursor"));
        } catch (BadParameter e) {
            return Future.succeededFuture(Problems.of(400, "INVALID_REQUEST", e.getMessage()));
        }
        if (from > to) {
            return Future.succeededFuture(Problems.of(400, "INVALID_REQUEST",
                    "from (" + call.queryAsSent("from") + ") is after to (" + call.queryAsSent("to") + ")"));
        }
        int limit = (int) call.queryLong("limit", DEFAULT_LIMIT);
        return ctx.blocking(() -> {
            if (ctx.ledger().store().tenants().get(id) == null) {
                return Problems.notFound("no tenant " + id);
            }
            Accounts.Statement s = accounts().statement(Account.ofTenant(id), from, to, cursor, limit);
            return Reply.ok(new Model.Statement(s.lines().stream().map(Views::line).toList(), clientCursor(s.next())));
        });
    }

    private Future<Reply> list(Call call) {
        if (!call.caller().operator()) {
            return Future.succeededFuture(Problems.forbidden("only the operator lists the accounts"));
        }
        return ctx.blocking(() -> {
            List<Account> all = accounts().accounts().values().stream()
                    .sorted(Comparator.comparing(Account::id)).toList();
            long minted = all.stream().filter(a -> a.type() == Account.Type.ISSUE)
                    .mapToLong(a -> Math.negateExact(a.balance())).sum();
            return Reply.ok(new Model.AccountList(all.stream().map(Views::account).toList(), minted));
        });
    }

    // ---------------------------------------------------------------- query parameters

    /** A query parameter that the contract let through but that means nothing. */
    static final class BadParameter extends Exception {
        BadParameter(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Parses an RFC 3339 time (with an offset) to epoch millis, or answers {@code dflt} when it is absent. A
     * {@code +} offset left unencoded in the URL arrives as a space, and is read as the {@code +} it was.
     */
    static long time(Call call, String name, long dflt) throws BadParameter {
        String text = call.queryAsSent(name);
        if (text == null) {
            return dflt;
        }
        String iso = UNENCODED_PLUS.matcher(text.toUpperCase(Locale.ROOT)).replaceFirst("+$1");
        try {
            if (RFC_3339.matcher(iso).matches()) {
                return OffsetDateTime.parse(iso, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant().toEpochMilli();
            }
        } catch (DateTimeParseException | ArithmeticException e) {
            // answered below
        }
        throw new BadParameter("query parameter " + name + ": '" + text + "' is not an RFC 3339 time with an offset, "
                + "e.g. 2025-01-31T09:00:00Z");
    }

    private static String ledgerCursor(String cursor) throws BadParameter {
        if (cursor == null) {
            return null;
        }
        try {
            String decoded = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            if (LEDGER_CURSOR.matcher(decoded).matches()) {
                return decoded;
            }
        } catch (IllegalArgumentException e) {
            // not base64url: answered below
        }
        throw new BadParameter("query parameter cursor: not a cursor this broker gave (pass a page's next as it is)");
    }

    private static String clientCursor(String ledgerCursor) {
        return ledgerCursor == null ? null
                : Base64.getUrlEncoder().withoutPadding().encodeToString(ledgerCursor.getBytes(StandardCharsets.UTF_8));
    }
}
