package io.ichiba.ledger.credit;

import io.ichiba.ledger.store.EndedBefore;
import io.ichiba.ledger.store.Table;
import io.ichiba.ledger.store.Table.Filter;
import io.ichiba.ledger.store.Table.Index;
import io.ichiba.ledger.store.Table.Indexed;

import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;

/**
 * Filters and indexes over the credits: an account's journal entries, postings in flight or to purge, accounts with
 * legs pending. Serialisable, evaluated where the data lives; the engine keeps an index the first time a filter asks
 * for it.
 */
public final class CreditFilters {
    private CreditFilters() {
    }

    /** Final postings, by the second of their last move (in order). */
    public record PostingsByEnd() implements Table.OrderedIndex<Posting> {
        @Override
        public void keys(Posting p, Consumer<String> out) {
            if (p.state().isFinal()) {
                out.accept(EndedBefore.second(p.updatedAt()));
            }
        }
    }

    /** Journal entries by each account they have a leg on: a statement reads its own account's entries. */
    public record EntriesByAccount() implements Index<JournalEntry> {
        @Override
        public void keys(JournalEntry e, Consumer<String> out) {
            for (JournalEntry.Leg l : e.legs()) {
                out.accept(l.account());
            }
        }
    }

    /** Postings not yet final whose last move is older than {@code staleBefore}. */
    public record PostingsInFlight(long staleBefore) implements Filter<Posting> {
        @Override
        public boolean test(Posting p) {
            return !p.state().isFinal() && p.updatedAt() < staleBefore;
        }
    }

    /** Final postings whose last move is older than {@code cutoff}. */
    public record PurgeablePostings(long cutoff) implements EndedBefore<Posting> {
        @Override
        public boolean test(Posting p) {
            return p.state().isFinal() && p.updatedAt() < cutoff;
        }

        @Override
        public Index<Posting> index() {
            return new PostingsByEnd();
        }
    }

    /** Accounts with legs applied but not settled. */
    public record WithPendingLegs() implements Filter<Account> {
        @Override
        public boolean test(Account a) {
            return !a.pending().isEmpty();
        }
    }

    /** Journal entries with a leg on {@code account}. */
    public record Touching(String account) implements Indexed<JournalEntry> {
        @Override
        public boolean test(JournalEntry e) {
            return e.touches(account);
        }

        @Override
        public Index<JournalEntry> index() {
            return new EntriesByAccount();
        }

        @Override
        public Collection<String> indexKeys() {
            return List.of(account);
        }

        @Override
        public boolean exact() {
            return true;
        }
    }
}
