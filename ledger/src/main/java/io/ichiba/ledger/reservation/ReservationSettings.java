package io.ichiba.ledger.reservation;

/**
 * The tunable rules of advance reservations.
 *
 * @param leadSeconds         how long before a reservation's start the broker recalls, with notice, what grants
 *                            still hold of its capacity past the start
 * @param maxCount            the most copies one reservation may ask for
 * @param maxAdvanceSeconds   how far ahead a window may start
 * @param maxWindowSeconds    the longest window
 * @param cancelFeePercent    what the house keeps of the refund when a bought reservation is cancelled, in percent
 * @param searchLimit         the most candidate starts looked at when searching the earliest window that fits
 */
public record ReservationSettings(long leadSeconds, int maxCount, long maxAdvanceSeconds, long maxWindowSeconds,
                                  long cancelFeePercent, int searchLimit) {

    /** Validates the settings. */
    public ReservationSettings {
        if (leadSeconds < 0 || maxCount < 1 || maxAdvanceSeconds < 1 || maxWindowSeconds < 1
                || cancelFeePercent < 0 || cancelFeePercent > 100 || searchLimit < 1) {
            throw new IllegalArgumentException("invalid reservation settings");
        }
    }

    /**
     * The defaults: recall 10 minutes before the start, up to 1 000 copies, windows starting within 90 days and
     * lasting up to 30 days, a 10 % cancellation fee, up to 10 000 candidate starts searched.
     */
    public static ReservationSettings defaults() {
        return new ReservationSettings(600, 1000, 90L * 86_400, 30L * 86_400, 10, 10_000);
    }

    /** Returns these settings with another lead time. */
    public ReservationSettings withLeadSeconds(long seconds) {
        return new ReservationSettings(seconds, maxCount, maxAdvanceSeconds, maxWindowSeconds, cancelFeePercent,
                searchLimit);
    }
}
