package io.ichiba.ledger;

import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.claim.Funding;
import io.ichiba.ledger.event.Event;
import io.ichiba.ledger.market.Loan;
import io.ichiba.ledger.market.OrderRequest;
import io.ichiba.ledger.store.Store;
import io.ichiba.pricing.Side;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The market's events: a trade's loan carries {@code trade.executed} for each side, written with the loan; a purchase
 * from the house {@code purchase.executed} for the buyer; each tenant's event is its own, and a loan goes only once
 * its events are in the log.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.ichiba.ledger.engine.Engines.ClosedAfterEach.class)
class MarketEventsTest {
    /** An empty store: the engine's, over a journal in memory; each test's engine is closed after it. */
    Store createStore() {
        return io.ichiba.ledger.engine.Engines.started(new io.ichiba.ledger.journal.InMemoryJournal());
    }


    private static final long NEVER = Long.MAX_VALUE;
    private MutableClock clock;
    private Store store;
    private Ledger ledger;
    private Exchange exchange;

    @BeforeEach
    void setUp() {
        clock = new MutableClock();
        store = createStore();
        ledger = new Ledger(store, clock, LedgerSettings.defaults());
        ledger.accounts().openSystemAccounts();
        exchange = ledger.exchange();
        ledger.createTenant("team-a", Map.of("memory", 16_384L));
        ledger.createTenant("team-b", Map.of("memory", 4_096L));
        ledger.report("n1", Map.of("memory", 65_536L), Map.of());
        ledger.accounts().mint("m-a", "team-a", 100_000, null, null);
        ledger.accounts().mint("m-b", "team-b", 100_000, null, null);
        clock.advanceMillis(1);
    }

    private List<Event> log() {
        return store.events().read(-1, 1000).stream().map(Event.Logged::event).toList();
    }

    @Test
    void aTradeIsOneEventForEachSideWrittenWithItsLoan() {
        exchange.place(OrderRequest.of("o1", "team-a", "memory", Side.OFFER, 8192, 7200, 3));
        exchange.place(OrderRequest.of("b1", "team-b", "memory", Side.BID, 4096, 3600, 5));
        Loan loan = exchange.loans("team-b", true).get(0);
        assertThat(loan.outbox().pending()).as("in the log with the batch that wrote the loan").isEmpty();
        List<Event> trades = log().stream().filter(e -> e.type().equals("trade.executed")).toList();
        assertThat(trades).extracting(Event::id).containsExactly("loan:" + loan.id() + ":0", "loan:" + loan.id() + ":1");
        assertThat(trades).extracting(Event::tenant).containsExactly("team-a", "team-b");
        Event lender = trades.get(0);
        Event borrower = trades.get(1);
        assertThat(lender.payload()).containsEntry("role", "lender").containsEntry("counterparty", "team-b");
        assertThat(borrower.payload()).containsEntry("role", "borrower").containsEntry("counterparty", "team-a");
        for (Event e : trades) {
            assertThat(e.subject()).isEqualTo(loan.id());
            assertThat(e.time()).isEqualTo(loan.startedAt());
            assertThat(e.payload()).containsEntry("loan", loan.id()).containsEntry("kind", "memory")
                    .containsEntry("amount", "4096").containsEntry("price", "3").containsEntry("cost", "12288")
                    .containsEntry("endsAt", String.valueOf(loan.endsAt()));
        }
        // settling the same trade again (a sweep finishing the book's work) writes no second pair
        exchange.sweepBooks();
        assertThat(log().stream().filter(e -> e.type().equals("trade.executed"))).hasSize(2);
    }

    @Test
    void aPurchaseFromTheHouseIsTheBuyersEventOnly() {
        Funding buy = new Funding(Funding.Mode.BUY, 0, false);
        assertThat(ledger.submit(ClaimRequest.of("c1", "team-b", Bundle.of(Map.of("memory", 5096L), List.of()), 1,
                3600, null).funded(buy)).ok())
                .isTrue();
        new Admission(ledger).pass();
        List<Event> bought = log().stream().filter(e -> e.type().equals("purchase.executed")).toList();
        assertThat(bought).hasSize(1);
        Event e = bought.get(0);
        assertThat(e.tenant()).isEqualTo("team-b");
        assertThat(e.id()).isEqualTo("loan:c1:buy:memory:0");
        assertThat(e.payload()).containsEntry("role", "buyer").containsEntry("counterparty", Loan.HOUSE)
                .containsEntry("amount", "1000").containsEntry("kind", "memory");
        assertThat(log()).noneMatch(x -> x.type().equals("trade.executed"));
    }

    @Test
    void anEndedLoanIsPurgedOnlyOnceItsEventsAreInTheLog() {
        exchange.place(OrderRequest.of("o1", "team-a", "memory", Side.OFFER, 8192, 60, 3));
        exchange.place(OrderRequest.of("b1", "team-b", "memory", Side.BID, 4096, 60, 5));
        Loan loan = exchange.loans("team-b", true).get(0);
        clock.advanceMillis(61_000);
        exchange.sweepLoans();
        assertThat(exchange.loan(loan.id()).state()).isEqualTo(Loan.State.ENDED);
        clock.advanceMillis(ledger.settings().retentionMillis() + 1);
        exchange.sweepLoans(); // purges
        assertThat(exchange.loan(loan.id())).isNull();
        assertThat(log()).extracting(Event::id).contains("loan:" + loan.id() + ":0", "loan:" + loan.id() + ":1");
    }
}
