package io.ichiba.ledger;

import io.ichiba.ledger.tenant.TenantLimits;
/**
 * The tunable rules of the ledger.
 *
 * @param agingMillisPerPriority a waiting claim gains one priority point per this many millis
 * @param starvationMillis       a claim waiting for capacity longer than this stops backfill on its pools
 * @param retentionMillis        ended claims are kept this long, then purged
 * @param maxLeaseSeconds        the longest lease a claim may ask for
 * @param nodeGraceMillis        a node whose last report is older than this is lost (0: nodes are never lost)
 * @param limits                 how many of each thing a tenant may have at once, unless the operator set its own
 * @param retainedMax            at most this many ended claims are kept: past it the oldest go before their
 *                               retention is over (0: no bound but the retention)
 */
public record LedgerSettings(long agingMillisPerPriority, long starvationMillis, long retentionMillis,
                             long maxLeaseSeconds, long nodeGraceMillis, TenantLimits limits,
                             long retainedMax) {

    /** The most ended claims kept by default: about 100 MB of the engine member's heap. */
    public static final long RETAINED_MAX = 100_000;

    /** Validates the settings. */
    public LedgerSettings {
        if (agingMillisPerPriority < 1 || starvationMillis < 0 || retentionMillis < 0
                || maxLeaseSeconds < 1 || nodeGraceMillis < 0 || limits == null || retainedMax < 0) {
            throw new IllegalArgumentException("invalid ledger settings");
        }
    }

    /** Settings that keep at most {@link #RETAINED_MAX} ended claims. */
    public LedgerSettings(long agingMillisPerPriority, long starvationMillis, long retentionMillis,
                          long maxLeaseSeconds, long nodeGraceMillis, TenantLimits limits) {
        this(agingMillisPerPriority, starvationMillis, retentionMillis, maxLeaseSeconds,
                nodeGraceMillis, limits, RETAINED_MAX);
    }

    /** Settings with the default tenant limits. */
    public LedgerSettings(long agingMillisPerPriority, long starvationMillis, long retentionMillis,
                          long maxLeaseSeconds, long nodeGraceMillis) {
        this(agingMillisPerPriority, starvationMillis, retentionMillis, maxLeaseSeconds,
                nodeGraceMillis, TenantLimits.defaults());
    }

    /** Settings under which nodes are never lost, whatever their reports. */
    public LedgerSettings(long agingMillisPerPriority, long starvationMillis, long retentionMillis,
                          long maxLeaseSeconds) {
        this(agingMillisPerPriority, starvationMillis, retentionMillis, maxLeaseSeconds, 0);
    }

    /** Returns these settings with another node grace period. */
    public LedgerSettings withNodeGraceMillis(long millis) {
        return new LedgerSettings(agingMillisPerPriority, starvationMillis, retentionMillis,
                maxLeaseSeconds, millis, limits, retainedMax);
    }

    /** Returns these settings with other tenant limits. */
    public LedgerSettings withLimits(TenantLimits tenantLimits) {
        return new LedgerSettings(agingMillisPerPriority, starvationMillis, retentionMillis,
                maxLeaseSeconds, nodeGraceMillis, tenantLimits, retainedMax);
    }

    /** Returns these settings keeping at most {@code max} ended claims (0: no bound but the retention). */
    public LedgerSettings withRetainedMax(long max) {
        return new LedgerSettings(agingMillisPerPriority, starvationMillis, retentionMillis,
                maxLeaseSeconds, nodeGraceMillis, limits, max);
    }

    /**
     * The defaults: one priority point per 10 s of waiting, no backfill past a claim waiting 60 s, a node lost
     * after 15 s without a report.
     */
    public static LedgerSettings defaults() {
        return new LedgerSettings(10_000, 60_000, 3_600_000, 86_400, 15_000);
    }
}
