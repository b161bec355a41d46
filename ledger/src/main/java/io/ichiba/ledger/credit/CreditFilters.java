package io.ichiba.ledger.credit;

import io.ichiba.ledger.store.Table.Index;
import io.ichiba.ledger.store.Table.Indexed;

import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;

/**
 * Filters and indexes over the credits: an account's journal entries. Serialisable, evaluated where the data lives;
 * the engine keeps an index the first time a filter asks for it.
 */
public final class CreditFilters {
    private CreditFilters() {
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
