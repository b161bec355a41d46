package io.ichiba.ledger.claim;

import java.io.Serializable;

/**
 * How a claim may be paid for.
 *
 * <ul>
 *   <li>{@code QUOTA}: only the tenant's own and borrowed quota; the claim waits for it ({@code QUOTA}).</li>
 *   <li>{@code BORROW}: as {@code QUOTA}, and what is missing when the claim is submitted is bid for on the
 *       kind's book at up to {@code maxPrice}, for the lease; the claim waits until the bids fill.</li>
 *   <li>{@code BUY}: as {@code QUOTA}, and what is missing when the claim's turn comes is bought from the house at
 *       the spot price for the lease (not above {@code maxPrice}, if set).</li>
 *   <li>{@code urgent}: buys the whole node-local bundle from the house at the spot price plus the urgency premium,
 *       is admitted ahead of every non-urgent claim, and may preempt other tenants' non-urgent grants (lowest
 *       priority first) to fit.</li>
 * </ul>
 *
 * @param mode     the mode
 * @param maxPrice the most it pays per unit-hour ({@code 0}: no cap; required for {@code BORROW})
 * @param urgent   whether it is an urgent purchase
 */
public record Funding(Mode mode, long maxPrice, boolean urgent) implements Serializable {
    /** Own and borrowed quota only. */
    public static final Funding QUOTA_ONLY = new Funding(Mode.QUOTA, 0, false);

    /** The funding modes. */
    public enum Mode {
        /** Own and borrowed quota. */
        QUOTA,
        /** Also bid for what is missing. */
        BORROW,
        /** Also buy what is missing from the house. */
        BUY
    }

    /** Validates: an urgent claim buys; a borrowing one names its maximum price. */
    public Funding {
        if (mode == null) {
            mode = Mode.QUOTA;
        }
        if (maxPrice < 0) {
            throw new IllegalArgumentException("funding.maxPrice must not be negative");
        }
        if (urgent && mode != Mode.BUY) {
            throw new IllegalArgumentException("an urgent claim buys: funding.mode must be BUY");
        }
        if (mode == Mode.BORROW && maxPrice == 0) {
            throw new IllegalArgumentException("funding.maxPrice is required to BORROW");
        }
    }

    /** Whether the claim buys from the house. */
    public boolean buys() {
        return mode == Mode.BUY;
    }
}
