package io.ichiba.ledger;

import io.ichiba.ledger.store.EndedBefore;

import java.io.Serializable;

/**
 * The first answer to a request sent with an {@code Idempotency-Key}, kept so that a retry gets it again (law 5).
 *
 * @param fingerprint a hash of the request (method, path, body) that the key was first used with
 * @param startedAt   epoch millis the first request began
 * @param done        whether the first answer is complete
 * @param status      the HTTP status of the first answer
 * @param body        the body of the first answer
 */
public record IdempotencyRecord(String fingerprint, long startedAt, boolean done, int status, String body)
        implements Serializable {

    /** What a request with a key should do. */
    public enum Verdict {
        /** Run it: the key is new (or its first run was abandoned). */
        PROCEED,
        /** Answer the stored first answer. */
        REPLAY,
        /** The first request with this key is still running. */
        IN_PROGRESS,
        /** The key was used with a different request. */
        MISMATCH
    }

    /** The verdict and the stored record. */
    public record Decision(Verdict verdict, IdempotencyRecord record) implements Serializable {
    }

    /** Claims the key for a request, unless it is already used; a run older than {@code staleBefore} is taken over. */
    public record Begin(String fingerprint, long now, long staleBefore) implements Command<IdempotencyRecord, Decision> {
        @Override
        public Outcome<IdempotencyRecord, Decision> apply(IdempotencyRecord r) {
            if (r == null || (!r.done() && r.startedAt() < staleBefore && r.fingerprint().equals(fingerprint))) {
                IdempotencyRecord mine = new IdempotencyRecord(fingerprint, now, false, 0, null);
                return Outcome.write(mine, new Decision(Verdict.PROCEED, mine));
            }
            if (!r.fingerprint().equals(fingerprint)) {
                return Outcome.keep(new Decision(Verdict.MISMATCH, r));
            }
            return Outcome.keep(new Decision(r.done() ? Verdict.REPLAY : Verdict.IN_PROGRESS, r));
        }
    }

    /** Stores the first answer. */
    public record Complete(String fingerprint, int status, String body) implements Command<IdempotencyRecord, Boolean> {
        @Override
        public Outcome<IdempotencyRecord, Boolean> apply(IdempotencyRecord r) {
            if (r == null || r.done() || !r.fingerprint().equals(fingerprint)) {
                return Outcome.keep(false);
            }
            return Outcome.write(new IdempotencyRecord(fingerprint, r.startedAt(), true, status, body), true);
        }
    }

    /** Frees the key after a run that failed on the server's side, so that a retry runs again. */
    public record Abandon(String fingerprint) implements Command<IdempotencyRecord, Boolean> {
        @Override
        public Outcome<IdempotencyRecord, Boolean> apply(IdempotencyRecord r) {
            if (r == null || r.done() || !r.fingerprint().equals(fingerprint)) {
                return Outcome.keep(false);
            }
            return Outcome.write(null, true);
        }
    }

    /** Records of requests that began before {@code cutoff}: past their retention. */
    public record StartedBefore(long cutoff) implements EndedBefore<IdempotencyRecord> {
        @Override
        public boolean test(IdempotencyRecord r) {
            return r.startedAt() < cutoff;
        }

        @Override
        public io.ichiba.ledger.store.Table.Index<IdempotencyRecord> index() {
            return new ByStart();
        }
    }

    /** Every record, by the second it began (in order): what the purge of old ones looks at. */
    public record ByStart() implements io.ichiba.ledger.store.Table.OrderedIndex<IdempotencyRecord> {
        @Override
        public void keys(IdempotencyRecord r, java.util.function.Consumer<String> out) {
            out.accept(EndedBefore.second(r.startedAt()));
        }
    }

    /** Removes the record if it began before {@code cutoff}. */
    public record Expire(long cutoff) implements Command<IdempotencyRecord, Boolean> {
        @Override
        public Outcome<IdempotencyRecord, Boolean> apply(IdempotencyRecord r) {
            return r != null && r.startedAt() < cutoff ? Outcome.write(null, true) : Outcome.keep(false);
        }
    }

    /**
     * Forgets the first answers to requests that began before {@code cutoff} (their retention is over: a retry
     * after it runs again), among the keys this member sweeps; answers how many.
     */
    public static int purge(io.ichiba.ledger.store.Table<IdempotencyRecord> table, long cutoff) {
        int n = 0;
        for (String key : table.localKeys(new StartedBefore(cutoff))) {
            if (Boolean.TRUE.equals(table.execute(key, new Expire(cutoff)))) {
                n++;
            }
        }
        return n;
    }
}
