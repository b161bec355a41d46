package io.ichiba.ledger;

/**
 * The tunable rules of the ledger.
 *
 * @param agingMillisPerPriority a waiting claim gains one priority point per this many millis
 * @param starvationMillis       a claim waiting for capacity longer than this stops backfill on its pools
 * @param staleGrantingMillis    a grant attempt older than this is presumed dead and undone
 * @param retentionMillis        ended claims are kept this long, then purged
 * @param maxLeaseSeconds        the longest lease a claim may ask for
 * @param nodeGraceMillis        a node whose last report is older than this is lost (0: nodes are never lost)
 */
public record LedgerSettings(long agingMillisPerPriority, long starvationMillis, long staleGrantingMillis,
                             long retentionMillis, long maxLeaseSeconds, long nodeGraceMillis) {

    /** Validates the settings. */
    public LedgerSettings {
        if (agingMillisPerPriority < 1 || starvationMillis < 0 || staleGrantingMillis < 1 || retentionMillis < 0
                || maxLeaseSeconds < 1 || nodeGraceMillis < 0) {
            throw new IllegalArgumentException("invalid ledger settings");
        }
    }

    /** Settings under which nodes are never lost, whatever their reports. */
    public LedgerSettings(long agingMillisPerPriority, long starvationMillis, long staleGrantingMillis,
                          long retentionMillis, long maxLeaseSeconds) {
        this(agingMillisPerPriority, starvationMillis, staleGrantingMillis, retentionMillis, maxLeaseSeconds, 0);
    }

    /** Returns these settings with another node grace period. */
    public LedgerSettings withNodeGraceMillis(long millis) {
        return new LedgerSettings(agingMillisPerPriority, starvationMillis, staleGrantingMillis, retentionMillis,
                maxLeaseSeconds, millis);
    }

    /**
     * The defaults: one priority point per 10 s of waiting, no backfill past a claim waiting 60 s, a node lost
     * after 15 s without a report.
     */
    public static LedgerSettings defaults() {
        return new LedgerSettings(10_000, 60_000, 10_000, 3_600_000, 86_400, 15_000);
    }
}
