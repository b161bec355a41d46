package io.ichiba.ledger.market;

import io.ichiba.pricing.SpotPriceCurve;

/**
 * The tunable rules of the market.
 *
 * @param maxTermSeconds       the longest term an offer or bid may name
 * @param maxPrice             the highest price an order may name, minor units per unit-hour
 * @param defaultNoticeSeconds the notice a recall gives when it names none
 * @param compensation         what the lender pays, per grant preempted by its recall, to the borrower (out of what
 *                             the loan earned it, at most all of it)
 * @param urgentPremiumPercent what an urgent purchase pays on top of the spot price, in percent
 * @param spotWindowMillis     the window over which the posted spot price follows its curve
 * @param curve                the spot price of a kind as a function of its utilisation
 */
public record MarketSettings(long maxTermSeconds, long maxPrice, long defaultNoticeSeconds, long compensation,
                             long urgentPremiumPercent, long spotWindowMillis, SpotPriceCurve curve) {

    /** Validates the settings. */
    public MarketSettings {
        if (maxTermSeconds < 1 || maxPrice < 1 || defaultNoticeSeconds < 0 || compensation < 0
                || urgentPremiumPercent < 0 || spotWindowMillis < 1 || curve == null) {
            throw new IllegalArgumentException("invalid market settings");
        }
    }

    /** The default spot curve: 1 per unit-hour up to 50 % utilisation, rising to 100 at 100 % (cubic). */
    public static final SpotPriceCurve DEFAULT_CURVE = new SpotPriceCurve(1, 100, 0.5, 3.0);

    /**
     * The defaults: terms up to 30 days, prices up to 10^9, 5 minutes' notice, compensation 100, premium 50 %,
     * spot smoothed over a minute on {@link #DEFAULT_CURVE}.
     */
    public static MarketSettings defaults() {
        return new MarketSettings(30L * 86_400, 1_000_000_000L, 300, 100, 50, 60_000, DEFAULT_CURVE);
    }
}
