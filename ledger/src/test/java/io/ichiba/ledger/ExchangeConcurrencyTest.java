package io.ichiba.ledger;

import com.hazelcast.core.HazelcastInstance;
import io.ichiba.ledger.Rejection.Code;
import io.ichiba.ledger.credit.Account;
import io.ichiba.ledger.credit.CreditFilters;
import io.ichiba.ledger.engine.EngineStore;
import io.ichiba.ledger.hazelcast.EmbeddedHazelcast;
import io.ichiba.ledger.market.Loan;
import io.ichiba.ledger.market.MarketCommands;
import io.ichiba.ledger.market.MarketFilters;
import io.ichiba.ledger.market.MarketOrder;
import io.ichiba.ledger.market.MarketSettings;
import io.ichiba.ledger.market.OrderRequest;
import io.ichiba.ledger.store.Store;
import io.ichiba.ledger.tenant.TenantState;
import io.ichiba.pricing.NewOrder;
import io.ichiba.pricing.Side;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hammers the market from many threads on a cluster of two Hazelcast members in this JVM, with each member's ledger
 * over the engine's store on it: the engine runs on one member, the other sends its calls there, and every change
 * of a book, an order, a loan, a tenant or an account is journaled with a synchronous backup before it is answered.
 *
 * <p>Eight workers — four through each member — place offers and bids at crossing prices (terms of one or two
 * hours, some good for half an hour or an hour), cancel their own orders, and recall loans as their lenders (mostly
 * with notice 0, which ends the loan at once, sometimes with 10 minutes' notice). A round ends when every worker is
 * done; between rounds the shared clock moves 40 minutes, so that later rounds' sweeps end loans at their terms and
 * expire orders while new ones trade. Two ways to share the books:
 * <ul>
 *   <li>{@link Mode#SHARED_BOOK}: one kind; four tenants with a worker on each member; a sweeper per member runs
 *       {@link Exchange#sweep()} over and over, so both members finish the same book's work at once, as the
 *       placing threads do (over the old per-key store this met the double posting of
 *       {@link #theSameEntryPostedAtOnceMovesCreditsOnce}; the engine runs one command at a time);</li>
 *   <li>{@link Mode#ONE_WRITER_PER_BOOK}: eight kinds, one per worker, each trading for any of the four tenants, so
 *       tenants, accounts, earmarks and loans are shared by all, but one thread at a time finishes a book's work;
 *       between rounds the first member sweeps the books and both members sweep their own loans at once.</li>
 * </ul>
 *
 * <p>Then the market is quiesced (sweeps until no trade is unsettled, no final order unreleased and
 * no loan due) and checked, through both members: every order filled at most its amount, spent at most its hold,
 * and filled and spent exactly what its loans add up to; every order a worker saw accepted is in the book as its
 * tenant's, and no order a worker saw refused is in the book; the tenants' loan shares
 * match the live loans and, kind by kind, what they lend is what is borrowed; every resting offer earmarks exactly
 * its remainder; escrow by the journal holds exactly the cost of the live loans plus what the open bids have not
 * spent; the audit is clean (no drift, nothing in flight, the balances add up to what was minted, none below its
 * floor); each book is not crossed and its own invariants hold; and escrow's balance is what the journal says.
 * Last, every order is cancelled and the clock moved past every term: escrow is 0 and nothing is lent, borrowed or
 * earmarked. Every wait is bounded; nothing sleeps.
 */
class ExchangeConcurrencyTest {
    private static final String KIND = "memory";
    private static final List<String> TENANTS = List.of("t0", "t1", "t2", "t3");
    private static final int WORKERS = 8;
    private static final int ROUNDS = 4;
    private static final int OPS_PER_ROUND = 30;
    private static final long MINTED_EACH = 5_000_000;
    private static final long BOUND_SECONDS = 60;
    /** Kept a day, so that no order or loan is purged during the run and every fill can be counted. */
    private static final LedgerSettings SETTINGS = new LedgerSettings(10_000, 60_000, 86_400_000, 86_400);
    private static final MarketSettings MARKET = new MarketSettings(4 * 3600, 1_000, 300, 100, 50, 60_000,
            MarketSettings.DEFAULT_CURVE);
    private static List<HazelcastInstance> members;

    @BeforeAll
    static void startCluster() {
        members = EmbeddedHazelcast.startCluster(ExchangeConcurrencyTest.class, 5971, 2);
    }

    /** The engines' stores of the running test, closed after it. */
    private static final List<EngineStore> opened = new java.util.concurrent.CopyOnWriteArrayList<>();

    @org.junit.jupiter.api.AfterEach
    void closeStores() {
        opened.forEach(EngineStore::close);
        opened.clear();
    }

    @AfterAll
    static void stopCluster() {
        if (members != null) {
            members.forEach(m -> m.getLifecycleService().terminate());
        }
    }

    /**
     * The hammer as the market is meant to run: any thread on any member places, cancels and recalls, while both
     * members sweep the same books at the same time.
     */
    @Test
    void offersBidsCancelsRecallsAndSweepsOnOneBookFromBothMembers() throws Exception {
        hammer(Mode.SHARED_BOOK);
    }

    /**
     * The same hammer with one writer per book at a time: each worker trades its own kind (eight kinds) for any of
     * the four tenants, so tenants, accounts, earmarks and loans are shared by every worker on both members, but no
     * two threads finish the same book's work at once; between rounds one member sweeps the books while both sweep
     * their own loans at the same time. This is what stays clear of the double posting above.
     */
    @Test
    void offersBidsCancelsAndRecallsOnBothMembersWithOneWriterPerBook() throws Exception {
        hammer(Mode.ONE_WRITER_PER_BOOK);
    }

    private void hammer(Mode mode) throws Exception {
        Market m = new Market(mode);
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS + 2);
        try {
            for (int round = 0; round < ROUNDS; round++) {
                m.round(pool, round);
                m.clock.advanceMillis(40 * 60_000);
            }
            m.quiesce(pool);
            m.check();
            assertThat(m.trades()).as("trades were made").isGreaterThan(50);
            assertThat(m.accepted).as("orders were accepted").hasSizeGreaterThan(WORKERS * ROUNDS * OPS_PER_ROUND / 3);
            assertThat(m.cancelled.get()).as("orders were cancelled").isPositive();
            assertThat(m.recalled.get()).as("loans were recalled").isPositive();
            assertThat(m.sweeps.get()).as("sweeps ran").isGreaterThanOrEqualTo(ROUNDS);
            assertThat(m.endedLoans()).as("loans ended, by recall and by term").isGreaterThan(10);

            m.drain(pool);
        } finally {
            pool.shutdownNow();
            assertThat(pool.awaitTermination(BOUND_SECONDS, TimeUnit.SECONDS)).isTrue();
            members.forEach(EmbeddedHazelcast::destroyLedgerMaps);
        }
    }

    /** Who may finish a book's work at the same time. */
    enum Mode {
        /** One kind; every worker trades it; both members sweep all the time. */
        SHARED_BOOK,
        /** A kind per worker; one member sweeps the books, between rounds. */
        ONE_WRITER_PER_BOOK
    }

    /** The two members' ledgers and markets over the same maps, a shared clock, and what the workers saw. */
    static final class Market {
        final Mode mode;
        final List<String> kinds = new ArrayList<>();
        final MutableClock clock = new MutableClock();
        final List<Store> stores = new ArrayList<>();
        final List<Ledger> ledgers = new ArrayList<>();
        final List<Exchange> exchanges = new ArrayList<>();
        /** Orders a worker saw accepted, to their owner; and those it saw refused. */
        final Map<String, String> accepted = new java.util.concurrent.ConcurrentHashMap<>();
        final Set<String> refused = java.util.concurrent.ConcurrentHashMap.newKeySet();
        final AtomicInteger cancelled = new AtomicInteger();
        final AtomicInteger recalled = new AtomicInteger();
        final AtomicInteger sweeps = new AtomicInteger();
        final long minted = TENANTS.size() * MINTED_EACH;

        Market(Mode mode) {
            this.mode = mode;
            for (EngineStore s : EmbeddedHazelcast.engineStores(members)) {
                opened.add(s);
                Ledger l = new Ledger(s, clock, SETTINGS, MARKET);
                l.accounts().openSystemAccounts();
                stores.add(s);
                ledgers.add(l);
                exchanges.add(l.exchange());
            }
            kinds.add(KIND);
            if (mode == Mode.ONE_WRITER_PER_BOOK) {
                kinds.add("disk");
                for (int k = 2; k < WORKERS; k++) {
                    assertThat(ledgers.get(k % 2).defineKind("k" + k, "units").ok()).isTrue();
                    kinds.add("k" + k);
                }
            }
            Map<String, Long> quota = new TreeMap<>();
            kinds.forEach(k -> quota.put(k, 20_000L));
            for (String t : TENANTS) {
                assertThat(ledgers.get(0).createTenant(t, quota).ok()).isTrue();
                assertThat(ledgers.get(1).accounts().mint("mint-" + t, t, MINTED_EACH, null, null).ok()).isTrue();
            }
            clock.advanceMillis(1);
        }

        /** One round: the workers on both members, and a sweeper per member until every worker is done. */
        void round(ExecutorService pool, int round) throws Exception {
            AtomicInteger working = new AtomicInteger(WORKERS);
            List<Callable<Void>> tasks = new ArrayList<>();
            for (int w = 0; w < WORKERS; w++) {
                int id = w;
                tasks.add(() -> {
                    try {
                        work(round, id);
                    } finally {
                        working.decrementAndGet();
                    }
                    return null;
                });
            }
            if (mode == Mode.SHARED_BOOK) {
                for (Exchange x : exchanges) {
                    tasks.add(() -> {
                        do {
                            x.sweep();
                            sweeps.incrementAndGet();
                        } while (working.get() > 0);
                        return null;
                    });
                }
            }
            for (Future<Void> f : pool.invokeAll(tasks, BOUND_SECONDS, TimeUnit.SECONDS)) {
                assertThat(f.isCancelled()).as("a task of round %d finished within %d s", round, BOUND_SECONDS)
                        .isFalse();
                f.get(); // rethrows
            }
            if (mode == Mode.ONE_WRITER_PER_BOOK) {
                sweep(pool);
            }
        }

        /**
         * Sweeps once: in {@code SHARED_BOOK} both members run {@link Exchange#sweep()} at the same time; else the
         * first member sweeps the books, then both members sweep their own loans at the same time.
         */
        void sweep(ExecutorService pool) throws Exception {
            List<Callable<Integer>> both = new ArrayList<>();
            if (mode == Mode.SHARED_BOOK) {
                exchanges.forEach(x -> both.add(x::sweep));
            } else {
                exchanges.get(0).sweepBooks();
                exchanges.forEach(x -> both.add(x::sweepLoans));
            }
            for (Future<Integer> f : pool.invokeAll(both, BOUND_SECONDS, TimeUnit.SECONDS)) {
                assertThat(f.isCancelled()).isFalse();
                f.get();
            }
            sweeps.incrementAndGet();
        }

        /**
         * Worker {@code id}, through member {@code id % 2}: in {@code SHARED_BOOK} it acts for tenant {@code id / 2}
         * on the one kind (so each tenant has a worker on each member); else it trades kind {@code id} for any
         * tenant.
         */
        void work(int round, int id) {
            Exchange x = exchanges.get(id % 2);
            String kind = mode == Mode.SHARED_BOOK ? KIND : kinds.get(id);
            Random random = new Random(round * 1_000L + id);
            List<String> mine = new ArrayList<>();
            for (int k = 0; k < OPS_PER_ROUND; k++) {
                String tenant = mode == Mode.SHARED_BOOK ? TENANTS.get(id / 2) : TENANTS.get(random.nextInt(4));
                int dice = random.nextInt(100);
                if (dice < 70) {
                    boolean bid = dice < 35;
                    String order = "r" + round + "-w" + id + "-" + k;
                    long now = clock.millis();
                    long goodUntil = random.nextInt(4) == 0 ? now + (1 + random.nextInt(2)) * 30 * 60_000L
                            : NewOrder.NO_EXPIRY;
                    long seconds = bid ? 3600 * (1 + random.nextInt(2)) : 7200;
                    Result<MarketOrder> r = x.place(OrderRequest.of(order, tenant, kind, bid ? Side.BID : Side.OFFER,
                            1 + random.nextInt(400), seconds, 1 + random.nextInt(10)).until(goodUntil));
                    if (r.ok()) {
                        accepted.put(order, tenant);
                        mine.add(order);
                    } else {
                        assertThat(r.rejection().code()).as("%s: %s", order, r.rejection())
                                .isIn(Code.NOT_LENDABLE, Code.INSUFFICIENT_CREDIT);
                        refused.add(order);
                    }
                } else if (dice < 85) {
                    if (!mine.isEmpty()) {
                        String order = mine.remove(random.nextInt(mine.size()));
                        Result<MarketOrder> r = x.cancel(order, accepted.get(order));
                        assertThat(r.ok()).as("cancel %s: %s", order, r.rejection()).isTrue();
                        assertThat(r.value().state().isFinal()).isTrue();
                        cancelled.incrementAndGet();
                    }
                } else if (dice < 95) {
                    List<Loan> lent = x.loans(tenant, true).stream()
                            .filter(l -> l.lender().equals(tenant) && l.kind().equals(kind)).toList();
                    if (!lent.isEmpty()) {
                        Loan l = lent.get(random.nextInt(lent.size()));
                        long notice = random.nextInt(4) == 0 ? 600 : 0;
                        Result<Loan> r = x.recall(l.id(), tenant, notice);
                        assertThat(r.ok() || r.rejection().code() == Code.WRONG_STATE).as("recall %s: %s", l.id(),
                                r.rejection()).isTrue();
                        recalled.incrementAndGet();
                    }
                } else if (mode == Mode.SHARED_BOOK) {
                    x.sweep();
                    sweeps.incrementAndGet();
                }
            }
        }

        /** Sweeps until nothing is left to finish. */
        void quiesce(ExecutorService pool) throws Exception {
            for (int i = 0; i < 20 && !quiet(); i++) {
                sweep(pool);
            }
            assertThat(quiet()).as("the market quiesced").isTrue();
        }

        boolean quiet() {
            Store s = stores.get(0);
            for (String kind : kinds) {
                if (!s.books().execute(kind, new MarketCommands.Unsettled()).isEmpty()
                        || !s.books().execute(kind, new MarketCommands.NeedingWork()).isEmpty()) {
                    return false;
                }
            }
            return s.loans().values(new MarketFilters.LoansDue(clock.millis())).isEmpty();
        }

        long trades() {
            return stores.get(0).loans().entries().size();
        }

        long endedLoans() {
            return stores.get(0).loans().entries().values().stream().filter(l -> l.state() == Loan.State.ENDED).count();
        }

        /** Everything checkable of a quiet market, through each member's store. */
        void check() {
            for (int i = 0; i < stores.size(); i++) {
                Store s = stores.get(i);
                // the market first, against the journal (the truth that balances cache), then the balances
                long escrow = checkOrdersAndLoans(s);
                long journalEscrow = s.journal().values(new CreditFilters.Touching(Account.ESCROW)).stream()
                        .mapToLong(e -> e.amountFor(Account.ESCROW)).sum();
                assertThat(journalEscrow).as("escrow by the journal: the live loans' cost and what the open bids "
                        + "have not spent").isEqualTo(escrow);
                Auditor.Report report = new Auditor(ledgers.get(i)).audit();
                assertThat(report.drift()).as("audit through member %d", i).isEmpty();
                assertThat(report.credits().inFlight()).isZero();
                assertThat(report.credits().minted()).isEqualTo(minted);
                assertThat(report.credits().total()).as("law 4").isEqualTo(minted);
                for (Account a : s.accounts().entries().values()) {
                    assertThat(a.balance()).as(a.id()).isGreaterThanOrEqualTo(a.floor());
                }
                if (((EngineStore) s).engine().active()) { // a book is read on the engine's member only
                    for (String kind : kinds) {
                        s.books().get(kind).checkInvariants();
                    }
                }
                assertThat(s.accounts().get(Account.ESCROW).balance()).as("escrow's balance").isEqualTo(escrow);
            }
        }

        /** Checks the orders, loans, shares and earmarks; answers what escrow must hold. */
        long checkOrdersAndLoans(Store s) {
            long now = clock.millis();
            Map<String, Loan> loans = s.loans().entries();
            Map<String, TenantState> tenants = s.tenants().entries();
            Map<String, TenantState.Earmark> earmarks = new TreeMap<>();
            tenants.values().forEach(t -> earmarks.putAll(t.earmarks()));
            long escrow = 0;
            Set<String> inBook = new HashSet<>();
            List<MarketOrder> orders = new ArrayList<>();
            kinds.forEach(k -> orders.addAll(s.books().execute(k, new MarketCommands.OrdersOf(null, false))));
            for (MarketOrder o : orders) {
                inBook.add(o.id());
                assertThat(o.state()).isNotEqualTo(MarketOrder.State.NEW);
                assertThat(accepted).as("order %s in the book was accepted (a refused one leaves nothing)", o.id())
                        .containsKey(o.id());
                assertThat(o.owner()).isEqualTo(accepted.get(o.id()));
                assertThat(o.filled()).as(o.id()).isBetween(0L, o.amount());
                long filled = 0;
                long spent = 0;
                for (Loan l : loans.values()) {
                    if (o.id().equals(o.side() == Side.BID ? l.bidId() : l.offerId())) {
                        filled += l.amount();
                        spent += l.cost();
                    }
                }
                assertThat(o.filled()).as("%s filled, from its loans", o.id()).isEqualTo(filled);
                if (o.side() == Side.BID) {
                    assertThat(o.spent()).as("%s spent, from its loans", o.id()).isEqualTo(spent);
                    assertThat(o.spent()).as("%s spends at most its hold", o.id()).isLessThanOrEqualTo(o.hold());
                    if (!(o.state().isFinal() && o.released())) {
                        escrow += o.hold() - o.spent();
                    }
                }
                if (o.state().isResting()) {
                    assertThat(o.goodUntil()).isGreaterThan(now);
                    if (o.side() == Side.OFFER) {
                        assertThat(earmarks.remove(o.id())).as("earmark of %s", o.id())
                                .isEqualTo(new TenantState.Earmark(o.kind(), o.remaining()));
                    }
                }
            }
            assertThat(inBook).as("every accepted order is in the book").containsAll(accepted.keySet());
            assertThat(earmarks).as("earmarks without a resting offer").isEmpty();

            Map<String, Long> lent = new TreeMap<>();
            Map<String, Long> borrowed = new TreeMap<>();
            Map<String, Long> live = new TreeMap<>();
            for (TenantState t : tenants.values()) {
                for (var e : t.loans().entrySet()) {
                    Loan l = loans.get(e.getKey());
                    assertThat(l).as("%s's share of %s", t.id(), e.getKey()).isNotNull();
                    assertThat(l.state()).as("%s's share of %s", t.id(), l.id()).isNotEqualTo(Loan.State.ENDED);
                    assertThat(e.getValue().amount()).isEqualTo(l.amount());
                    assertThat(e.getValue().lent() ? l.lender() : l.borrower()).isEqualTo(t.id());
                }
                t.lent().forEach((k, v) -> lent.merge(k, v, Long::sum));
                t.borrowed().forEach((k, v) -> borrowed.merge(k, v, Long::sum));
            }
            for (Loan l : loans.values()) {
                assertThat(l.state()).as("loan %s", l.id()).isNotEqualTo(Loan.State.ENDING);
                if (l.state() != Loan.State.ENDED) {
                    assertThat(tenants.get(l.lender()).loans()).containsKey(l.id());
                    assertThat(tenants.get(l.borrower()).loans()).containsKey(l.id());
                    live.merge(l.kind(), l.amount(), Long::sum);
                    escrow += l.cost();
                }
            }
            assertThat(lent).as("lent per kind, by the tenants' shares, is what live loans lend").isEqualTo(live);
            assertThat(borrowed).as("borrowed per kind, by the tenants' shares").isEqualTo(live);
            return escrow;
        }

        /** Cancels every order, moves past every term, sweeps both members: escrow empties, nothing is lent. */
        void drain(ExecutorService pool) throws Exception {
            for (String t : TENANTS) {
                for (MarketOrder o : exchanges.get(0).openOrders(t)) {
                    assertThat(exchanges.get(1).cancel(o.id(), t).ok()).isTrue();
                }
            }
            clock.advanceMillis(5 * 3600_000L);
            quiesce(pool);
            check();
            Store s = stores.get(1);
            assertThat(s.loans().values(new MarketFilters.LoansOf(null, true))).as("live loans").isEmpty();
            assertThat(s.accounts().get(Account.ESCROW).balance()).as("escrow at the end").isZero();
            assertThat(s.accounts().get(Account.HOUSE).balance()).isZero();
            long tenantsTotal = 0;
            for (String t : TENANTS) {
                TenantState ts = s.tenants().get(t);
                assertThat(ts.loans()).isEmpty();
                assertThat(ts.earmarks()).isEmpty();
                tenantsTotal += s.accounts().get(Account.ofTenant(t)).balance();
            }
            assertThat(tenantsTotal).as("the tenants hold every credit minted").isEqualTo(minted);
        }
    }

    // ------------------------------------------------------------------------------------------------ bugs found

    private static void awaitLatch(CountDownLatch latch) {
        try {
            assertThat(latch.await(BOUND_SECONDS, TimeUnit.SECONDS)).as("the other thread got there").isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------------------------------------ members
}
