package io.ichiba.ledger;

import java.io.Serializable;
import java.math.BigInteger;

/**
 * A trade's loan of quota from a lender to a borrower for a term, and the record that drives its end.
 *
 * <p>At the trade, the borrower's quota grows and the lender's shrinks by {@code amount} (a share on each
 * tenant, by loan id), and {@code cost} sits in escrow (put up by the bid). The loan ends at {@code endsAt}, or
 * at a recall's deadline: the borrower's grants that no longer fit its quota are preempted, the shares are
 * removed, escrow pays the lender for the time served and refunds the borrower the rest.
 *
 * <pre>
 *   ACTIVE --recall--> RECALLING(deadline) --deadline--> ENDING --shares removed, escrow paid out--> ENDED
 *   ACTIVE --term over-----------------------------------> ENDING
 * </pre>
 *
 * @param id              loan id ({@code <kind>:<trade sequence>})
 * @param kind            the kind lent
 * @param lender          the lending tenant
 * @param borrower        the borrowing tenant
 * @param amount          units lent
 * @param price           minor units per unit-hour
 * @param cost            what the whole term costs (held in escrow)
 * @param bidId           the bid filled
 * @param offerId         the offer filled
 * @param startedAt       epoch millis of the trade
 * @param endsAt          epoch millis the term ends
 * @param state           where it is
 * @param recallDeadline  epoch millis a recall takes effect, 0 if not recalled
 * @param endedAt         epoch millis it began to end (the time served is counted up to here), 0 before
 * @param endReason       {@code TERM}, {@code RECALL}, or {@code null}
 * @param preempted       the borrower's claims preempted because the loan ended
 */
public record Loan(String id, String kind, String lender, String borrower, long amount, long price, long cost,
                   String bidId, String offerId, long startedAt, long endsAt, State state, long recallDeadline,
                   long endedAt, String endReason, java.util.SortedSet<String> preempted) implements Serializable {

    /** Normalises the set. */
    public Loan {
        preempted = java.util.Collections.unmodifiableSortedSet(new java.util.TreeSet<>(
                preempted == null ? java.util.Set.of() : preempted));
    }

    /** Returns a new active loan. */
    public static Loan start(String id, String kind, String lender, String borrower, long amount, long price,
                             long cost, String bidId, String offerId, long now, long durationSeconds) {
        return new Loan(id, kind, lender, borrower, amount, price, cost, bidId, offerId, now,
                Math.addExact(now, Math.multiplyExact(durationSeconds, 1000L)), State.ACTIVE, 0, 0, null, null);
    }

    /** The lender of capacity bought from the house. */
    public static final String HOUSE = "house";

    /** Where a loan is. */
    public enum State {
        /** In its term. */
        ACTIVE,
        /** Recalled: ends at the recall deadline. */
        RECALLING,
        /** Ending: grants that relied on it are preempted, the shares and escrow settled. */
        ENDING,
        /** Over and settled. */
        ENDED
    }

    /** The epoch millis the loan is due to end: the recall deadline, else the end of the term. */
    public long dueAt() {
        return state == State.RECALLING ? Math.min(recallDeadline, endsAt) : endsAt;
    }

    /** What the lender earned for the time served up to {@code endedAt}: cost × served / term, rounded down. */
    public long earned() {
        long term = endsAt - startedAt;
        long served = Math.max(0, Math.min(endedAt, endsAt) - startedAt);
        if (term <= 0 || served >= term) {
            return cost;
        }
        return BigInteger.valueOf(cost).multiply(BigInteger.valueOf(served)).divide(BigInteger.valueOf(term))
                .longValueExact();
    }

    Loan recalled(long deadline) {
        return new Loan(id, kind, lender, borrower, amount, price, cost, bidId, offerId, startedAt, endsAt,
                State.RECALLING, deadline, endedAt, endReason, preempted);
    }

    Loan ending(long now, String why) {
        return new Loan(id, kind, lender, borrower, amount, price, cost, bidId, offerId, startedAt, endsAt,
                State.ENDING, recallDeadline, now, why, preempted);
    }

    Loan withPreempted(String claimId) {
        java.util.TreeSet<String> p = new java.util.TreeSet<>(preempted);
        p.add(claimId);
        return new Loan(id, kind, lender, borrower, amount, price, cost, bidId, offerId, startedAt, endsAt, state,
                recallDeadline, endedAt, endReason, p);
    }

    Loan ended() {
        return new Loan(id, kind, lender, borrower, amount, price, cost, bidId, offerId, startedAt, endsAt,
                State.ENDED, recallDeadline, endedAt, endReason, preempted);
    }
}
