package io.ichiba.ledger;

import io.ichiba.ledger.engine.EngineStore;
import io.ichiba.ledger.engine.Engines;
import io.ichiba.ledger.journal.Batch;
import io.ichiba.ledger.journal.Change;
import io.ichiba.ledger.journal.InMemoryJournal;
import io.ichiba.ledger.market.Book;
import io.ichiba.ledger.market.MarketOrder;
import io.ichiba.ledger.market.MarketSettings;
import io.ichiba.ledger.market.OrderRequest;
import io.ichiba.ledger.tenant.TenantLimits;
import io.ichiba.ledger.tenant.TenantState;
import io.ichiba.pricing.Side;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A market's book on the engine is journaled as its parts: a batch carries what an order changed (the order, those
 * it traded with, the book's head, the trades' price samples), never the book, whatever its size; and an operation
 * that fails after changing the book in place leaves it as it was.
 */
class EngineBookTest {
    private static final long NEVER = Long.MAX_VALUE;
    private final List<Batch> appended = new CopyOnWriteArrayList<>();
    private InMemoryJournal journal;
    private EngineStore engine;
    private Ledger ledger;

    @BeforeEach
    void setUp() {
        journal = new InMemoryJournal();
        engine = Engines.started(new Engines.Forwarding(journal) {
            @Override
            public void append(Batch batch) {
                appended.add(batch);
                super.append(batch);
            }
        });
        ledger = new Ledger(engine, new MutableClock(), LedgerSettings.defaults()
                .withLimits(TenantLimits.NONE), MarketSettings.defaults());
        ledger.accounts().openSystemAccounts();
        for (String t : List.of("lender", "borrower")) {
            assertThat(ledger.createTenant(t, Map.of("memory", 1L << 30)).ok()).isTrue();
            assertThat(ledger.accounts().mint("m-" + t, t, 1_000_000_000L, null, null).ok()).isTrue();
        }
        engine.atomically(() -> { // a thousand offers at 10 … 1009, none crossing
            for (int i = 0; i < 1000; i++) {
                Result<MarketOrder> r = ledger.exchange().place(OrderRequest.of("offer-" + i, "lender", "memory",
                        Side.OFFER, 100, 7200, 10 + i));
                assertThat(r.value().state()).isEqualTo(MarketOrder.State.OPEN);
            }
            return null;
        });
        appended.clear();
    }

    @AfterEach
    void close() {
        EngineExchangeTest.assertJournalHoldsTheBooks(journal, engine, List.of("memory"));
        Engines.closeAll();
    }

    @Test
    void aBatchCarriesWhatAnOrderChangedNotTheBook() {
        Result<MarketOrder> bid = ledger.exchange().place(OrderRequest.of("bid", "borrower", "memory", Side.BID, 150,
                3600, 11));
        assertThat(bid.value().state()).as("filled by the two cheapest offers").isEqualTo(MarketOrder.State.FILLED);
        List<Change> changes = appended.stream().flatMap(b -> b.changes().stream()).toList();
        assertThat(changes).noneMatch(c -> c.value() instanceof Book);
        assertThat(changes.stream().filter(c -> c.table().equals(Book.ORDERS)).map(Change::key).distinct())
                .as("the bid and the two offers it traded with").containsExactlyInAnyOrder("memory/bid",
                        "memory/offer-0", "memory/offer-1");
        assertThat(changes.stream().filter(c -> c.table().equals(Book.HEADS)).map(Change::key).distinct())
                .containsExactly("memory");
        assertThat(changes.stream().filter(c -> c.table().equals(Book.PRICES)).map(Change::key).distinct())
                .as("a trade print per trade").containsExactlyInAnyOrder("memory/t/1", "memory/t/2");
    }

    /**
     * The lender's thousand earmarks are not journaled again because one of them changed: another member gets the
     * lender as a patch (the rest of the tenant, and the earmarks and shares that changed).
     */
    @Test
    void aTenantThatChangedLittleTravelsAsItsPatch() throws Exception {
        TenantState was = engine.tenants().get("lender");
        ledger.exchange().place(OrderRequest.of("bid", "borrower", "memory", Side.BID, 150, 3600, 11));
        Change lender = appended.stream().flatMap(b -> b.changes().stream())
                .filter(c -> c.table().equals("tenants") && c.key().equals("lender")).reduce((a, b) -> b).orElseThrow();
        TenantState after = (TenantState) lender.value();
        assertThat(after.earmarks()).hasSize(999); // one offer traded whole, the next in part
        assertThat(lender.patch()).as("journaled as a patch").isNotNull();
        int whole = io.ichiba.ledger.hazelcast.KryoSerializer.toBytes(after).length;
        byte[] written = io.ichiba.ledger.hazelcast.KryoSerializer.toBytes(lender);
        assertThat(written.length).as("the patch against the whole tenant's %d bytes", whole).isLessThan(whole / 10);
        Change back = (Change) io.ichiba.ledger.hazelcast.KryoSerializer.fromBytes(written);
        assertThat(back.value()).isInstanceOf(io.ichiba.ledger.store.Incremental.Patched.class);

        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
            out.writeObject(lender);
        }
        Change byJava;
        try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(
                new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
            byJava = (Change) in.readObject();
        }
        assertThat(byJava.value()).as("Java serialization writes the patch too")
                .isInstanceOf(io.ichiba.ledger.store.Incremental.Patched.class);
        io.ichiba.ledger.store.Incremental.Patched patch = (io.ichiba.ledger.store.Incremental.Patched) back.value();
        assertThat(patch.applyTo(was)).as("applied to the tenant before").isEqualTo(after);
        assertThat(patch.applyTo(after)).as("applied again to one that holds it already").isEqualTo(after);
    }

    @Test
    void anOperationThatFailsAfterChangingTheBookLeavesItAsItWas() {
        Book.Snapshot before = snapshot();
        assertThatThrownBy(() -> engine.atomically(() -> {
            Result<MarketOrder> r = ledger.exchange().place(OrderRequest.of("bid", "borrower", "memory", Side.BID,
                    150, 3600, 11));
            assertThat(r.value().state()).isEqualTo(MarketOrder.State.FILLED); // the book was changed in place
            throw new IllegalStateException("failed after the trade");
        })).hasMessageContaining("failed after the trade");
        assertThat(snapshot()).as("the book as it was").isEqualTo(before);
        assertThat(ledger.exchange().order("bid", null)).isNull();

        // and it goes on: the same bid now trades as it would have
        Result<MarketOrder> again = ledger.exchange().place(OrderRequest.of("bid", "borrower", "memory", Side.BID,
                150, 3600, 11));
        assertThat(again.value().state()).isEqualTo(MarketOrder.State.FILLED);
        assertThat(ledger.exchange().fills("bid")).hasSize(2);
        assertThat(new Auditor(ledger).audit().drift()).isEmpty();
    }

    /** A market command that throws after changing the book in place leaves it as it was, too. */
    @Test
    void aBookCommandThatThrowsHalfWayLeavesTheBookAsItWas() {
        Book.Snapshot before = snapshot();
        MarketOrder bid = MarketOrder.create("bid", "borrower", "memory", Side.BID, 150, 3600, 11, NEVER, 1, null,
                null);
        assertThatThrownBy(() -> engine.books().execute("memory", (Command<Book, Object>) b -> {
            b.register(bid);
            b.place(bid, 1); // trades with two offers, in place
            throw new ArithmeticException("overflow half way");
        })).isInstanceOf(ArithmeticException.class);
        assertThat(snapshot()).isEqualTo(before);
    }

    private Book.Snapshot snapshot() {
        return engine.books().execute("memory", b -> Command.Outcome.keep(b.snapshot()));
    }
}
