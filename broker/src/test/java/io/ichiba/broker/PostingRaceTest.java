package io.ichiba.broker;

import io.ichiba.ledger.Account;
import io.ichiba.ledger.AgentRecord;
import io.ichiba.ledger.Auditor;
import io.ichiba.ledger.Book;
import io.ichiba.ledger.Claim;
import io.ichiba.ledger.Command;
import io.ichiba.ledger.IdempotencyRecord;
import io.ichiba.ledger.Job;
import io.ichiba.ledger.JournalEntry;
import io.ichiba.ledger.KindDef;
import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.LedgerSettings;
import io.ichiba.ledger.Loan;
import io.ichiba.ledger.LockState;
import io.ichiba.ledger.MoneyCommands;
import io.ichiba.ledger.NodeState;
import io.ichiba.ledger.OrderRef;
import io.ichiba.ledger.Posting;
import io.ichiba.ledger.Principal;
import io.ichiba.ledger.TenantState;
import io.ichiba.ledger.store.InMemoryStore;
import io.ichiba.ledger.store.Store;
import io.ichiba.ledger.store.Table;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One journal entry posted by two posters at once — as the market does: every request on a kind's book and the
 * book sweep give back what ended bids did not spend ({@code <bid>:release}), and a loan's end runs from its
 * sweep and from a recall ({@code <loan>:settle}, {@code :refund}) — must move its credits once (law 4).
 *
 * <p>The interleaving is forced, not hoped for: poster B reads the posting PENDING and applies the debit, then
 * stalls before the credit leg; poster A, finding B's posting, is let run as far as it goes — with applying the
 * legs itself, it commits and settles both and stalls before marking the posting POSTED — and then B goes on.
 * {@code MarketConcurrencyIT} met this interleaving now and then under load (a tenant credited twice, or a leg left
 * pending for ever); here it comes every time.
 */
class PostingRaceTest {
    private static final String TENANT = "t";
    private static final String CREDITED = Account.ofTenant(TENANT);

    @Test
    void anEntryPostedByTwoPostersAtOnceMovesItsCreditsOnce() throws Exception {
        Pausing store = new Pausing(new InMemoryStore());
        Ledger ledger = new Ledger(store, Clock.systemUTC(), LedgerSettings.defaults());
        ledger.accounts().openSystemAccounts();
        assertThat(ledger.createTenant(TENANT, Map.of("memory", 1L)).ok()).isTrue();
        assertThat(ledger.accounts().mint("mint", TENANT, 1000, null, null).ok()).isTrue();
        assertThat(ledger.accounts().post(JournalEntry.transfer("bid:hold", 1, JournalEntry.Reason.BID_HOLD, "hold",
                null, "bid", CREDITED, Account.ESCROW, 100)).ok()).isTrue();
        JournalEntry release = JournalEntry.transfer("bid:release", 2, JournalEntry.Reason.BID_RELEASE, "release",
                null, "bid", Account.ESCROW, CREDITED, 100);

        ExecutorService posters = Executors.newFixedThreadPool(2);
        CompletableFuture<Void> b = CompletableFuture.runAsync(() -> {
            Thread.currentThread().setName("poster-B");
            ledger.accounts().post(release);
        }, posters);
        assertThat(store.bAtCredit.await(10, TimeUnit.SECONDS)).as("B stalls before the credit leg").isTrue();
        CompletableFuture<Void> a = CompletableFuture.runAsync(() -> {
            Thread.currentThread().setName("poster-A");
            ledger.accounts().post(release);
        }, posters);
        // A either settles both legs and stalls before POSTED (then B goes on), or declines at once because B is
        // posting the entry (then B goes on too)
        a.whenComplete((x, failure) -> store.aSettled.countDown());
        b.get(20, TimeUnit.SECONDS);
        a.get(20, TimeUnit.SECONDS);
        posters.shutdown();

        assertThat(store.journal().get("bid:release")).isNotNull();
        Auditor.Report report = new Auditor(ledger).audit();
        assertThat(report.drift()).as("balances against the journal").isEmpty();
        assertThat(ledger.accounts().account(CREDITED).balance()).isEqualTo(1000);
        assertThat(ledger.accounts().account(CREDITED).pending()).isEmpty();
        assertThat(ledger.accounts().account(Account.ESCROW).balance()).isZero();
    }

    /** A store that stalls poster B before its credit leg, and poster A before it marks the posting POSTED. */
    static final class Pausing implements Store {
        final CountDownLatch bAtCredit = new CountDownLatch(1);
        final CountDownLatch aSettled = new CountDownLatch(1);
        final CountDownLatch bDone = new CountDownLatch(1);
        private final Store inner;

        Pausing(Store inner) {
            this.inner = inner;
        }

        private static void await(CountDownLatch latch) {
            try {
                if (!latch.await(10, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the other poster never came");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        @Override
        public io.ichiba.ledger.store.Timer every(String name, java.time.Duration period, Runnable body) {
            return inner.every(name, period, body);
        }

        @Override
        public Table<Account> accounts() {
            return new Wrapped<>(inner.accounts()) {
                @Override
                public <R> R execute(String key, Command<Account, R> command) {
                    boolean bCredit = "poster-B".equals(Thread.currentThread().getName()) && CREDITED.equals(key)
                            && command instanceof MoneyCommands.Apply;
                    if (bCredit) {
                        bAtCredit.countDown();
                        await(aSettled);
                    }
                    return super.execute(key, command);
                }
            };
        }

        @Override
        public Table<Posting> postings() {
            return new Wrapped<>(inner.postings()) {
                @Override
                public <R> R execute(String key, Command<Posting, R> command) {
                    String me = Thread.currentThread().getName();
                    if ("poster-A".equals(me) && command instanceof MoneyCommands.Move m
                            && m.to() == Posting.State.POSTED) {
                        aSettled.countDown();
                        await(bDone);
                    }
                    R r = super.execute(key, command);
                    if ("poster-B".equals(me) && command instanceof MoneyCommands.Move m
                            && m.to() == Posting.State.POSTED) {
                        bDone.countDown();
                    }
                    return r;
                }
            };
        }

        // the rest as it is

        @Override
        public Table<NodeState> nodes() {
            return inner.nodes();
        }

        @Override
        public Table<LockState> locks() {
            return inner.locks();
        }

        @Override
        public Table<TenantState> tenants() {
            return inner.tenants();
        }

        @Override
        public Table<Claim> claims() {
            return inner.claims();
        }

        @Override
        public Table<Job> jobs() {
            return inner.jobs();
        }

        @Override
        public Table<Principal> principals() {
            return inner.principals();
        }

        @Override
        public Table<AgentRecord> agents() {
            return inner.agents();
        }

        @Override
        public Table<KindDef> kinds() {
            return inner.kinds();
        }

        @Override
        public Table<JournalEntry> journal() {
            return inner.journal();
        }

        @Override
        public Table<Book> books() {
            return inner.books();
        }

        @Override
        public Table<OrderRef> orders() {
            return inner.orders();
        }

        @Override
        public Table<Loan> loans() {
            return inner.loans();
        }

        @Override
        public Table<io.ichiba.ledger.Binding> bindings() {
            return inner.bindings();
        }

        @Override
        public Table<io.ichiba.ledger.Delivery> deliveries() {
            return inner.deliveries();
        }

        @Override
        public Table<io.ichiba.ledger.DeadLetter> deadLetters() {
            return inner.deadLetters();
        }

        @Override
        public Table<io.ichiba.ledger.HandlerCommands.Cursor> cursors() {
            return inner.cursors();
        }

        @Override
        public io.ichiba.ledger.store.EventLog events() {
            return inner.events();
        }

        @Override
        public Table<io.ichiba.ledger.Reservation> reservations() {
            return inner.reservations();
        }

        @Override
        public Table<io.ichiba.ledger.PriceAlert> alerts() {
            return inner.alerts();
        }

        @Override
        public Table<IdempotencyRecord> idempotency() {
            return inner.idempotency();
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    /** A table that passes everything on. */
    static class Wrapped<V> implements Table<V> {
        private final Table<V> inner;

        Wrapped(Table<V> inner) {
            this.inner = inner;
        }

        @Override
        public V get(String key) {
            return inner.get(key);
        }

        @Override
        public <R> R execute(String key, Command<V, R> command) {
            return inner.execute(key, command);
        }

        @Override
        public Map<String, V> entries() {
            return inner.entries();
        }

        @Override
        public Collection<V> values(Filter<V> filter) {
            return inner.values(filter);
        }

        @Override
        public Collection<String> localKeys(Filter<V> filter) {
            return inner.localKeys(filter);
        }

        @Override
        public void listen(Consumer<V> listener) {
            inner.listen(listener);
        }

        @Override
        public void listenLocal(Consumer<V> listener) {
            inner.listenLocal(listener);
        }
    }
}
