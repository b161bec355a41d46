package io.ichiba.ledger.credit;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One balanced movement of credits, written once and never changed.
 *
 * @param id             entry id (derived from the request's idempotency key, or from what caused it)
 * @param time           epoch millis
 * @param reason         why credits moved
 * @param memo           a sentence for the statement: what was bought, refunded or compensated, and why
 * @param idempotencyKey the key of the request that caused it, or {@code null}
 * @param ref            the claim, order or loan it concerns, or {@code null}
 * @param legs           the amounts per account; they sum to zero
 */
public record JournalEntry(String id, long time, Reason reason, String memo, String idempotencyKey, String ref,
                           List<Leg> legs) implements Serializable {

    /** Why credits moved. */
    public enum Reason {
        /** The operator minted credits for a tenant. */
        MINT,
        /** A bid put up its most it could pay; it stays in escrow until filled, cancelled or expired. */
        BID_HOLD,
        /** The part of a bid's hold that was not spent (unfilled, or filled below its maximum price). */
        BID_RELEASE,
        /** Escrow paid a lender for a term served. */
        LOAN_SETTLEMENT,
        /** Escrow refunded a borrower the unused part of a term (recall, expiry of the lender's offer). */
        LOAN_REFUND,
        /** A tenant bought capacity from the house at the spot price. */
        PURCHASE,
        /** The house refunded the unused part of a purchase that was preempted. */
        PURCHASE_REFUND,
        /** Whoever caused a preemption compensated the tenant whose grant was preempted. */
        COMPENSATION,
        /** A tenant bought a reservation's window from the house at the spot price of the time of booking. */
        RESERVATION,
        /** The house refunded a cancelled reservation (less the cancellation fee). */
        RESERVATION_REFUND
    }

    /**
     * One account's side of an entry.
     *
     * @param account the account id
     * @param amount  credit (positive) or debit (negative), never zero
     */
    public record Leg(String account, long amount) implements Serializable {
        /** Validates the leg. */
        public Leg {
            if (account == null || account.isBlank() || amount == 0) {
                throw new IllegalArgumentException("a leg names an account and a non-zero amount");
            }
        }
    }

    /** Validates the entry: at least two legs on distinct accounts, summing to zero without overflow. */
    public JournalEntry {
        if (id == null || id.isBlank() || reason == null) {
            throw new IllegalArgumentException("an entry has an id and a reason");
        }
        legs = List.copyOf(legs);
        if (legs.size() < 2) {
            throw new IllegalArgumentException("an entry has at least two legs");
        }
        Set<String> accounts = new HashSet<>();
        long sum = 0;
        for (Leg l : legs) {
            if (!accounts.add(l.account())) {
                throw new IllegalArgumentException("an entry names account " + l.account() + " twice");
            }
            sum = Math.addExact(sum, l.amount());
        }
        if (sum != 0) {
            throw new IllegalArgumentException("the legs of entry " + id + " sum to " + sum + ", not zero");
        }
    }

    /** Returns an entry that moves {@code amount} from {@code from} to {@code to}. */
    public static JournalEntry transfer(String id, long time, Reason reason, String memo, String key, String ref,
                                        String from, String to, long amount) {
        if (amount <= 0) {
            throw new IllegalArgumentException("a transfer moves a positive amount, not " + amount);
        }
        return new JournalEntry(id, time, reason, memo, key, ref,
                List.of(new Leg(from, -amount), new Leg(to, amount)));
    }

    /** Returns this entry's amount for {@code account} (0 if it has no leg there). */
    public long amountFor(String account) {
        for (Leg l : legs) {
            if (l.account().equals(account)) {
                return l.amount();
            }
        }
        return 0;
    }

    /** Whether the entry has a leg on {@code account}. */
    public boolean touches(String account) {
        return legs.stream().anyMatch(l -> l.account().equals(account));
    }

    /** The legs in the order a posting applies them: debits first (they may be refused), then credits. */
    public List<Leg> debitsFirst() {
        List<Leg> out = new ArrayList<>(legs);
        out.sort((a, b) -> a.amount() < 0 == b.amount() < 0 ? a.account().compareTo(b.account())
                : a.amount() < 0 ? -1 : 1);
        return out;
    }
}
