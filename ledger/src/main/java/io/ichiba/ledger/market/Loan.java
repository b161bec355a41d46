package io.ichiba.ledger.market;

import io.ichiba.ledger.event.Emits;
import io.ichiba.ledger.event.Event;
import io.ichiba.ledger.event.Outbox;

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
 * @param outbox          events not yet in the event log: a trade's {@code trade.executed}, one for each side, or
 *                        a purchase's {@code purchase.executed}, written with the loan's creation
 */
public record Loan(String id, String kind, String lender, String borrower, long amount, long price, long cost,
                   String bidId, String offerId, long startedAt, long endsAt, State state, long recallDeadline,
                   long endedAt, String endReason, java.util.SortedSet<String> preempted, Outbox outbox)
        implements Emits<Loan> {

    /** Normalises the set. */
    public Loan {
        preempted = java.util.Collections.unmodifiableSortedSet(new java.util.TreeSet<>(
                preempted == null ? java.util.Set.of() : preempted));
        outbox = outbox == null ? Outbox.empty() : outbox;
    }

    /** The side of a loan an event is for (its tenant). */
    static final String ROLE = "role";

    /**
     * Returns a new active loan, with its events: a trade between tenants emits {@code trade.executed} twice, once
     * for the lender and once for the borrower; a purchase from the house emits {@code purchase.executed} for the
     * buyer.
     */
    public static Loan start(String id, String kind, String lender, String borrower, long amount, long price,
                             long cost, String bidId, String offerId, long now, long durationSeconds) {
        Outbox events = Outbox.empty();
        if (HOUSE.equals(lender)) {
            events = events.emit("purchase.executed", now, Outbox.details(ROLE, "buyer"));
        } else {
            events = events.emit("trade.executed", now, Outbox.details(ROLE, "lender"))
                    .emit("trade.executed", now, Outbox.details(ROLE, "borrower"));
        }
        return new Loan(id, kind, lender, borrower, amount, price, cost, bidId, offerId, now,
                Math.addExact(now, Math.multiplyExact(durationSeconds, 1000L)), State.ACTIVE, 0, 0, null, null,
                events);
    }

    /**
     * Renders one of its events: {@code loan:<id>:<n>}, for the tenant of the side it names (a trade's two events
     * are one for each side; each tenant sees only its own), with the loan's terms and the other side as
     * {@code counterparty} (as {@code GET /v1/loans} shows both sides to each).
     */
    @Override
    public Event toEvent(Outbox.Pending p) {
        String role = p.details().get(ROLE);
        boolean lends = "lender".equals(role);
        java.util.TreeMap<String, String> payload = new java.util.TreeMap<>(p.details());
        payload.put("loan", id);
        payload.put("kind", kind);
        payload.put("amount", String.valueOf(amount));
        payload.put("price", String.valueOf(price));
        payload.put("cost", String.valueOf(cost));
        payload.put("endsAt", String.valueOf(endsAt));
        payload.put("counterparty", lends ? borrower : lender);
        return new Event("loan:" + id + ":" + p.n(), p.type(), p.time(), lends ? lender : borrower, id, payload);
    }

    /** Returns this loan with another outbox (the engine acknowledges what its batch published). */
    @Override
    public Loan withOutbox(Outbox o) {
        return new Loan(id, kind, lender, borrower, amount, price, cost, bidId, offerId, startedAt, endsAt, state,
                recallDeadline, endedAt, endReason, preempted, o);
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

    public Loan recalled(long deadline) {
        return new Loan(id, kind, lender, borrower, amount, price, cost, bidId, offerId, startedAt, endsAt,
                State.RECALLING, deadline, endedAt, endReason, preempted, outbox);
    }

    public Loan ending(long now, String why) {
        return new Loan(id, kind, lender, borrower, amount, price, cost, bidId, offerId, startedAt, endsAt,
                State.ENDING, recallDeadline, now, why, preempted, outbox);
    }

    Loan withPreempted(String claimId) {
        java.util.TreeSet<String> p = new java.util.TreeSet<>(preempted);
        p.add(claimId);
        return new Loan(id, kind, lender, borrower, amount, price, cost, bidId, offerId, startedAt, endsAt, state,
                recallDeadline, endedAt, endReason, p, outbox);
    }

    public Loan ended() {
        return new Loan(id, kind, lender, borrower, amount, price, cost, bidId, offerId, startedAt, endsAt,
                State.ENDED, recallDeadline, endedAt, endReason, preempted, outbox);
    }
}
