package io.ichiba.ledger.credit;

import io.ichiba.ledger.Rejection;

import java.io.Serializable;

/**
 * The record that drives one journal entry across the accounts it touches, as a claim drives its grant.
 *
 * <pre>
 *   PENDING --(every leg applied)--> COMMITTED --(entry written, legs settled)--> POSTED
 *   PENDING --(a debit refused)----> REFUSED   (legs undone)
 *   PENDING --(stale: its poster died)--> ABORTED (legs undone)
 * </pre>
 * The move out of {@code PENDING} is atomic on the posting's key, so a poster and a recovery sweep never
 * both win: a leg left pending in an account is settled if its posting is {@code COMMITTED} or
 * {@code POSTED}, and undone otherwise. Postings are kept for the retention time, so that an entry id is
 * never posted twice.
 *
 * @param entry     the entry
 * @param state     where the posting is
 * @param refusal   why it was refused or aborted, or {@code null}
 * @param createdAt epoch millis
 * @param updatedAt epoch millis of the last move
 * @param driver    a token of the caller that created it: only that caller applies its legs while it is
 *                  {@code PENDING} (another one that posts the same entry then answers "in progress"), so a leg is
 *                  never applied again after it settled
 */
public record Posting(JournalEntry entry, State state, Rejection refusal, long createdAt, long updatedAt,
                      String driver) implements Serializable {

    /** Where a posting is. */
    public enum State {
        /** Legs are being applied. */
        PENDING,
        /** Every leg is applied: the entry will be written and settled, whatever happens. */
        COMMITTED,
        /** The entry is in the journal and every leg settled. */
        POSTED,
        /** A debit was refused (insufficient credit); nothing moved. */
        REFUSED,
        /** Its poster died before committing; nothing moved. */
        ABORTED;

        /** Whether the entry's legs take effect. */
        public boolean effective() {
            return this == COMMITTED || this == POSTED;
        }

        /** Whether the posting has ended. */
        public boolean isFinal() {
            return this == POSTED || this == REFUSED || this == ABORTED;
        }
    }

    /** Returns a new pending posting. */
    public static Posting pending(JournalEntry entry, long now, String driver) {
        return new Posting(entry, State.PENDING, null, now, now, driver);
    }

    /** Returns the entry id. */
    public String id() {
        return entry.id();
    }

    Posting moved(State to, Rejection why, long now) {
        return new Posting(entry, to, why, createdAt, now, driver);
    }
}
