package io.ichiba.ledger;

import io.ichiba.ledger.engine.EngineStore;
import io.ichiba.ledger.engine.Engines;
import io.ichiba.ledger.journal.InMemoryJournal;
import io.ichiba.ledger.market.Book;
import io.ichiba.ledger.store.Store;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The market's scenarios through the engine over the reference journal. After each, the market's book made again
 * from what the journal holds (its parts: head, orders, price samples) is the book the engine holds, field by field:
 * the journal carries a book exactly, without carrying it whole.
 */
class EngineExchangeTest extends ExchangeTest {
    private InMemoryJournal journal;
    private EngineStore engine;

    @Override
    protected Store createStore() {
        Engines.closeAll();
        journal = new InMemoryJournal();
        engine = Engines.started(journal);
        return engine;
    }

    @AfterEach
    void theJournalCarriesTheBook() {
        assertJournalHoldsTheBooks(journal, engine, List.of("memory"));
    }

    @AfterAll
    static void closeEngines() {
        Engines.closeAll();
    }

    /** Asserts that each kind's book rebuilt from the journal (state tables, then batches) is the engine's book. */
    static void assertJournalHoldsTheBooks(InMemoryJournal journal, EngineStore engine, List<String> kinds) {
        Map<String, Map<String, Object>> replayed = Engines.replayed(journal.peek());
        for (String kind : kinds) {
            Book.Snapshot live = engine.books().execute(kind, b -> Command.Outcome.keep(b == null ? null
                    : b.snapshot()));
            Book rebuilt = rebuild(replayed, kind);
            assertThat(rebuilt == null ? null : rebuilt.snapshot()).as("the book of %s from the journal", kind)
                    .usingRecursiveComparison().isEqualTo(live);
        }
    }

    /** The book of {@code kind} from a journal's tables, or {@code null} if they hold none. */
    static Book rebuild(Map<String, Map<String, Object>> tables, String kind) {
        Book.Head head = (Book.Head) tables.getOrDefault(Book.HEADS, Map.of()).get(kind);
        List<Book.Entry> entries = tables.getOrDefault(Book.ORDERS, Map.of()).entrySet().stream()
                .filter(e -> Book.kindOf(e.getKey()).equals(kind)).map(e -> (Book.Entry) e.getValue()).toList();
        Map<String, Book.Sample> samples = new HashMap<>();
        tables.getOrDefault(Book.PRICES, Map.of()).forEach((k, v) -> {
            if (Book.kindOf(k).equals(kind)) {
                samples.put(k, (Book.Sample) v);
            }
        });
        if (head == null && entries.isEmpty()) {
            return null;
        }
        return Book.rebuild(kind, head, entries, samples);
    }
}
