package io.ichiba.ledger;

import io.ichiba.ledger.handler.AlertCommands;
import io.ichiba.ledger.handler.HandlerFilters;
import io.ichiba.ledger.handler.PriceAlert;
import io.ichiba.ledger.pool.PlaceCommands;
import io.ichiba.ledger.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Tenants' price thresholds on spot prices ({@link PriceAlert}): created, listed, deleted by their tenant, and told
 * each new posted price by the spot updater, each alert through a command on its own key.
 *
 * <p>The limit of live alerts per tenant is checked before the alert is written, not in one atomic step with it:
 * two creations racing at the limit may both pass (the tenant then has one or two more than the limit). It bounds
 * the spot updater's work; it is not a law.
 */
public final class PriceAlerts {
    private static final Logger LOG = LoggerFactory.getLogger(PriceAlerts.class);

    /** The most live alerts one tenant may have. */
    public static final int MAX_PER_TENANT = 100;

    private final Ledger ledger;
    private final Store store;

    /** Creates the alerts over the ledger. */
    public PriceAlerts(Ledger ledger) {
        this.ledger = ledger;
        this.store = ledger.store();
    }

    /**
     * Creates alert {@code id} of {@code tenant} on {@code kind}'s spot price; creating the same id again answers it
     * as stored (an idempotent retry). Refused: an unknown kind ({@code UNKNOWN_KIND}), a threshold outside 1 to the
     * market's largest price ({@code INVALID}), a tenant at its limit ({@code LIMIT_REACHED}).
     */
    public Result<PriceAlert> create(String id, String tenant, String kind, PriceAlert.Direction direction,
                                     long threshold) {
        PriceAlert existing = store.alerts().get(id);
        if (existing != null) {
            return existing.tenant().equals(tenant) ? Result.ok(existing)
                    : Result.rejected(Rejection.Code.ALREADY_EXISTS, "alert id " + id + " is taken");
        }
        if (!ledger.kinds().contains(kind)) {
            return Result.rejected(Rejection.Code.UNKNOWN_KIND, "kind '" + kind + "' has no spot price; known kinds: "
                    + ledger.kinds());
        }
        long max = ledger.exchange().settings().maxPrice();
        if (threshold < 1 || threshold > max) {
            return Result.rejected(Rejection.Code.INVALID, "the threshold must be between 1 and " + max
                    + " (the largest price), was " + threshold);
        }
        int live = store.alerts().values(new HandlerFilters.AlertsOf(tenant, true)).size();
        if (live >= MAX_PER_TENANT) {
            return Result.rejected(Rejection.Code.LIMIT_REACHED, "tenant " + tenant + " has " + live
                    + " price alerts, the most allowed is " + MAX_PER_TENANT + ": delete one first");
        }
        PriceAlert created = store.alerts().execute(id, new PlaceCommands.CreateIfAbsent<>(
                PriceAlert.create(id, tenant, kind, direction, threshold, ledger.clock().millis())));
        if (!created.tenant().equals(tenant)) {
            return Result.rejected(Rejection.Code.ALREADY_EXISTS, "alert id " + id + " is taken");
        }
        LOG.info("price alert created alert={} tenant={} kind={} {}={}", id, tenant, kind, direction.wire(), threshold);
        return Result.ok(created);
    }

    /** Returns the alert, or {@code null}. */
    public PriceAlert get(String id) {
        return store.alerts().get(id);
    }

    /** Returns the live alerts of {@code tenant} (every tenant's if {@code null}), oldest first. */
    public List<PriceAlert> list(String tenant) {
        List<PriceAlert> out = new ArrayList<>(store.alerts().values(new HandlerFilters.AlertsOf(tenant, true)));
        out.sort(Comparator.comparingLong(PriceAlert::createdAt).thenComparing(PriceAlert::id));
        return out;
    }

    /** Deletes {@code tenant}'s alert; answers it DELETED, or NOT_FOUND if it is not the tenant's. */
    public Result<PriceAlert> delete(String id, String tenant) {
        PriceAlert a = store.alerts().execute(id, new AlertCommands.Delete(tenant, ledger.clock().millis()));
        if (a == null) {
            return Result.rejected(Rejection.Code.NOT_FOUND, "no price alert " + id);
        }
        LOG.info("price alert deleted alert={} tenant={}", id, tenant);
        return Result.ok(a);
    }

    /**
     * Tells every live alert of each kind in {@code prices} the kind's new posted price, each through a command on
     * its key; returns how many fired.
     */
    public int observe(Map<String, Long> prices) {
        if (prices.isEmpty()) {
            return 0;
        }
        long now = ledger.clock().millis();
        int fired = 0;
        for (PriceAlert a : store.alerts().values(
                new HandlerFilters.AlertsOn(new java.util.TreeSet<>(prices.keySet())))) {
            if (store.alerts().execute(a.id(), new AlertCommands.Observe(prices.get(a.kind()), now))) {
                fired++;
                LOG.info("price crossed alert={} tenant={} kind={} {}={} price={}", a.id(), a.tenant(), a.kind(),
                        a.direction().wire(), a.threshold(), prices.get(a.kind()));
            }
        }
        return fired;
    }

    /** Removes the alerts deleted more than the retention time ago (their events left with their batches). */
    public int purge() {
        long cutoff = ledger.clock().millis() - ledger.settings().retentionMillis();
        int purged = 0;
        for (String id : store.alerts().localKeys(new HandlerFilters.PurgeableAlerts(cutoff))) {
            if (store.alerts().execute(id, new AlertCommands.Purge(cutoff))) {
                purged++;
            }
        }
        return purged;
    }
}
