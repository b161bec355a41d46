package io.ichiba.ledger;

import io.ichiba.ledger.Rejection.Code;
import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimFilters;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.claim.Funding;
import io.ichiba.ledger.credit.Account;
import io.ichiba.ledger.credit.Accounts;
import io.ichiba.ledger.credit.JournalEntry;
import io.ichiba.ledger.market.Book;
import io.ichiba.ledger.market.Loan;
import io.ichiba.ledger.market.MarketCommands;
import io.ichiba.ledger.market.MarketFilters;
import io.ichiba.ledger.market.MarketOrder;
import io.ichiba.ledger.market.MarketSettings;
import io.ichiba.ledger.market.OrderRef;
import io.ichiba.ledger.market.OrderRequest;
import io.ichiba.ledger.pool.Hold;
import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.store.Store;
import io.ichiba.ledger.tenant.TenantState;
import io.ichiba.pricing.Depth;
import io.ichiba.pricing.NewOrder;
import io.ichiba.pricing.PriceLevel;
import io.ichiba.pricing.Side;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random runs of the market (DESIGN.md §5) over the in-memory store, checked after every step against laws 1, 3
 * and 4 and against what the market promises about orders, loans, quota and escrow.
 *
 * <p>A run is a list of operations by four tenants (and one that does not exist) over two kinds and two nodes:
 * mints (some invalid); offers and bids of random kinds, amounts, terms and prices, some good only for a while and
 * some impossible (more than the tenant may lend, more than it can pay for, or invalid in one field); cancels of
 * orders by their owner and by others; claims funded by quota, by purchase, by urgent purchase and by borrowing;
 * admission passes; releases and cancels of claims; recalls by lenders (with notice 0 or more, or invalid) and
 * attempts by tenants that did not lend; and clock advances of up to two hours, each followed by
 * {@link Exchange#sweep()} and a {@link LeaseReaper} sweep.
 *
 * <p>After every step:
 * <ul>
 *   <li>law 4: the audit finds no drift (pools, tenants, credits), nothing is in flight, and the balances add up to
 *       the credits minted as counted by this test from the mints it saw accepted; no balance or available
 *       balance is below its floor;</li>
 *   <li>laws 1–3 for pools and grants (as {@link LedgerInvariants#check}, with a tenant's limit being its
 *       entitlement — own quota plus borrowed, less lent and offered — not its own quota alone), and every
 *       tenant's usage of a kind is within {@code entitlement(kind, true)};</li>
 *   <li>loans and quota: every loan share a tenant has belongs to a live loan of that tenant with the loan's kind and
 *       amount; every live loan has its borrower's share and (unless the house lent it) its lender's; the amounts
 *       lent by tenants equal the amounts borrowed from tenants, kind by kind;</li>
 *   <li>offers: every resting offer earmarks exactly its unfilled amount, and no earmark exists without one;</li>
 *   <li>orders: no order is NEW, no trade is left unsettled, no final order is left unreleased, no resting order is
 *       past its {@code goodUntil}; {@code filled <= amount}; a bid spends at most its hold; what an order filled
 *       and spent is what its loans add up to; the book's own invariants hold (not crossed) and its depth is the
 *       sum of the resting orders' remainders;</li>
 *   <li>escrow: its balance is exactly the cost of the live loans between tenants plus, for every bid not yet
 *       released, its hold less what it spent.</li>
 * </ul>
 * Each operation's answer is checked too: its rejection code, that a refused request changed nothing, and the exact
 * credits a placed bid, a cancel and a recall with notice 0 moved. At the end every order is cancelled, every
 * claim ended and the clock moved past every term: escrow must be exactly 0 and no share, earmark or hold is left.
 *
 * <p>Terms are whole hours here, so that every cost is a whole number of credits: with other terms a bid filled in
 * parts spends more than its hold (see {@link #aBidFilledInPartsSpendsNoMoreThanItsHold}).
 */
class MarketProperties {
    @net.jqwik.api.lifecycle.AfterTry
    void closeEngines() {
        io.ichiba.ledger.engine.Engines.closeAll();
    }

    static final List<String> TENANTS = List.of("t0", "t1", "t2", "t3");
    static final String GHOST = "ghost";
    static final List<String> KINDS = List.of("memory", "disk");
    /** Nodes are never lost here (grace 0): node loss is not what these runs are about. */
    static final LedgerSettings SETTINGS = new LedgerSettings(10_000, 60_000, 3_600_000, 86_400);
    static final long MAX_TERM = 4 * 3600;
    static final long MAX_PRICE = 1_000;
    static final long COMPENSATION = 100;
    static final MarketSettings MARKET = new MarketSettings(MAX_TERM, MAX_PRICE, 300, COMPENSATION, 50, 60_000,
            MarketSettings.DEFAULT_CURVE);
    static final long NEVER = NewOrder.NO_EXPIRY;
    static final long MINTED_AT_START = 20_000;

    // ------------------------------------------------------------------------------------------------ operations

    sealed interface Op permits Mint, Order, CancelOrder, Submit, Pass, EndClaim, Recall, Advance {
    }

    /** Mints for {@code TENANTS[tenant]} ({@code 4}: a tenant that does not exist). */
    record Mint(int tenant, long amount) implements Op {
    }

    /** What makes an order invalid on purpose. */
    enum Flaw { NONE, GHOST_TENANT, UNKNOWN_KIND, ZERO_AMOUNT, TOO_LONG, ZERO_PRICE, TOO_DEAR, PAST }

    /** An offer or a bid; {@code goodFor} 0 means good until cancelled. */
    record Order(int tenant, int kind, boolean bid, long amount, long seconds, long price, long goodFor, Flaw flaw)
            implements Op {
    }

    /** Cancels the {@code order}-th order placed, by its owner ({@code by == 0}) or by another tenant. */
    record CancelOrder(int order, int by) implements Op {
    }

    /** How a claim is funded. */
    enum Pay { QUOTA, BUY, URGENT, BORROW }

    record Submit(int tenant, long memory, long disk, Pay pay, long maxPrice, int priority, long lease) implements Op {
    }

    record Pass() implements Op {
    }

    /** Releases or cancels the {@code claim}-th claim submitted. */
    record EndClaim(int claim, boolean release) implements Op {
    }

    /** Recalls the {@code loan}-th loan seen, by its lender or by a tenant that did not lend it. */
    record Recall(int loan, boolean byLender, int other, long notice) implements Op {
    }

    /** Moves the clock, then sweeps the market and the leases. */
    record Advance(long millis) implements Op {
    }

    @Provide
    Arbitrary<List<Op>> hourlyRuns() {
        return runs(Arbitraries.of(3600L, 7200L, 10_800L), Arbitraries.of(3600L, 7200L, 10_800L, 14_400L),
                Arbitraries.of(3600L, 7200L));
    }

    @Provide
    Arbitrary<List<Op>> anyTermRuns() {
        Arbitrary<Long> any = Arbitraries.longs().between(1, MAX_TERM);
        return runs(any, any, Arbitraries.longs().between(1, 7200));
    }

    /** Runs whose bids last {@code bidTerms}, offers {@code offerTerms}, and borrowing claims {@code borrowLeases}. */
    Arbitrary<List<Op>> runs(Arbitrary<Long> bidTerms, Arbitrary<Long> offerTerms, Arbitrary<Long> borrowLeases) {
        Arbitrary<Integer> tenant = Arbitraries.integers().between(0, 3);
        Arbitrary<Integer> index = Arbitraries.integers().between(0, 60).withDistribution(RandomDistribution.biased());
        Arbitrary<Op> mint = Combinators.combine(
                Arbitraries.frequencyOf(Tuple.of(12, tenant), Tuple.of(1, Arbitraries.just(4))),
                Arbitraries.frequencyOf(Tuple.of(10, Arbitraries.longs().between(1, 50_000)),
                        Tuple.of(1, Arbitraries.of(0L, -5L, Accounts.MAX_AMOUNT + 1)))).as(Mint::new);
        Arbitrary<Long> amount = Arbitraries.frequencyOf(Tuple.of(10, Arbitraries.longs().between(1, 800)),
                Tuple.of(3, Arbitraries.longs().between(801, 2500)),
                Tuple.of(1, Arbitraries.longs().between(2501, 6000)));
        Arbitrary<Long> goodFor = Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.just(0L)),
                Tuple.of(1, Arbitraries.longs().between(1, 7_200_000)));
        Arbitrary<Flaw> flaw = Arbitraries.frequencyOf(Tuple.of(24, Arbitraries.just(Flaw.NONE)),
                Tuple.of(1, Arbitraries.of(Flaw.class)));
        Arbitrary<Op> offer = Combinators.combine(tenant, Arbitraries.integers().between(0, 1), Arbitraries.just(false),
                amount, offerTerms, Arbitraries.longs().between(1, 10), goodFor, flaw).as(Order::new);
        Arbitrary<Op> bid = Combinators.combine(tenant, Arbitraries.integers().between(0, 1), Arbitraries.just(true),
                amount, bidTerms, Arbitraries.longs().between(2, 14), goodFor, flaw).as(Order::new);
        Arbitrary<Op> cancel = Combinators.combine(index, Arbitraries.of(0, 0, 0, 1, 2, 3)).as(CancelOrder::new);
        Arbitrary<Long> size = Arbitraries.of(0L, 0L, 200L, 500L, 1000L, 1500L, 2000L, 3500L);
        Arbitrary<Op> quota = Combinators.combine(tenant, size, size, Arbitraries.just(Pay.QUOTA), Arbitraries.just(0L),
                Arbitraries.integers().between(0, 5), Arbitraries.of(60L, 600L, 1800L, 3600L, 7200L)).as(Submit::new);
        Arbitrary<Op> buy = Combinators.combine(tenant, size, size, Arbitraries.of(Pay.BUY, Pay.URGENT),
                Arbitraries.of(0L, 0L, 1L, 2L, 5L), Arbitraries.integers().between(0, 5),
                Arbitraries.of(60L, 600L, 1800L, 3600L, 7200L)).as(Submit::new);
        Arbitrary<Op> borrow = Combinators.combine(tenant, size, size, Arbitraries.just(Pay.BORROW),
                Arbitraries.longs().between(4, 16), Arbitraries.integers().between(0, 5), borrowLeases).as(Submit::new);
        Arbitrary<Op> end = Combinators.combine(index, Arbitraries.of(true, false)).as(EndClaim::new);
        Arbitrary<Op> recall = Combinators.combine(index, Arbitraries.of(true, true, true, false),
                Arbitraries.integers().between(1, 3),
                Arbitraries.of(0L, 0L, 60L, 600L, 3600L, -1L, MAX_TERM + 1)).as(Recall::new);
        Arbitrary<Op> advance = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.of(0L, 1_000L, 60_000L, 600_000L, 1_800_000L, 3_600_000L, 7_200_000L)),
                Tuple.of(2, Arbitraries.longs().between(0, 7_200_000L))).map(Advance::new);
        Arbitrary<Op> op = Arbitraries.frequencyOf(Tuple.of(2, mint), Tuple.of(9, offer), Tuple.of(8, bid),
                Tuple.of(3, cancel), Tuple.of(3, quota), Tuple.of(2, buy), Tuple.of(3, borrow),
                Tuple.of(5, Arbitraries.<Op>just(new Pass())), Tuple.of(2, end), Tuple.of(4, recall),
                Tuple.of(3, advance));
        // now and then a tenant offers, another borrows it for a claim over its own quota, and the claim is granted:
        // the loan's end (by recall or term) then has grants to preempt
        Arbitrary<List<Op>> lendAndUse = Combinators.combine(tenant, Arbitraries.integers().between(1, 3),
                Arbitraries.integers().between(0, 1), Arbitraries.of(500L, 1000L, 1500L), Arbitraries.of(2000L, 3500L),
                Arbitraries.longs().between(1, 3), borrowLeases)
                .as((lender, shift, kind, lent, claimed, price, lease) -> {
                    int borrower = (lender + shift) % TENANTS.size();
                    long memory = kind == 0 ? claimed : 0;
                    long disk = kind == 1 ? claimed : 0;
                    return List.<Op>of(new Order(lender, kind, false, lent, MAX_TERM, price, 0, Flaw.NONE),
                            new Submit(borrower, memory, disk, Pay.BORROW, 4, 3, lease), new Pass());
                });
        // now and then t0 and t3 fill the nodes' memory, and t1 or t2 asks for memory urgently: it preempts
        Arbitrary<List<Op>> crowdAndUrge = Combinators.combine(Arbitraries.of(2000L, 2500L, 3000L),
                Arbitraries.of(1500L, 2500L), Arbitraries.integers().between(1, 2), Arbitraries.of(1000L, 2000L, 3000L),
                Arbitraries.of(600L, 1800L)).as((first, second, urgent, wanted, lease) -> List.<Op>of(
                        new Submit(0, first, 0, Pay.QUOTA, 0, 1, 7200), new Submit(3, second, 0, Pay.QUOTA, 0, 0, 7200),
                        new Pass(), new Submit(urgent, wanted, 0, Pay.URGENT, 0, 0, lease), new Pass()));
        return Arbitraries.frequencyOf(Tuple.of(14, op.map(List::of)), Tuple.of(1, lendAndUse),
                        Tuple.of(1, crowdAndUrge)).list()
                .ofMinSize(8).ofMaxSize(34).withSizeDistribution(RandomDistribution.uniform())
                .map(chunks -> chunks.stream().flatMap(List::stream).limit(40).toList());
    }

    @Property(tries = 100, edgeCases = EdgeCasesMode.NONE) // the edge cases of a list are runs of one op
    void theMarketKeepsItsBooksAfterEveryStep(@ForAll("hourlyRuns") List<Op> run) {
        World w = run(run);

        Statistics.label("trade").collect(w.trades > 0);
        Statistics.label("loan ended at its term").collect(w.endedByTerm > 0);
        Statistics.label("loan ended by a recall").collect(w.endedByRecall > 0);
        Statistics.label("grant preempted (recall or term)").collect(w.preemptedByLoan > 0);
        Statistics.label("bought from the house").collect(w.purchases > 0);
        Statistics.label("a borrowing claim's bid filled").collect(w.borrowFills > 0);
        Statistics.label("order expired").collect(w.expired > 0);
        Statistics.label("urgent claim preempted a grant").collect(w.urgentPreemptions > 0);
        Statistics.label("grants preempted for an urgent claim not granted (bug)")
                .collect(w.urgentPreemptedForNothing > 0);
        Statistics.label("trade").coverage(c -> c.check(true).percentage(p -> p > 50));
        Statistics.label("loan ended at its term").coverage(c -> c.check(true).percentage(p -> p > 30));
        Statistics.label("loan ended by a recall").coverage(c -> c.check(true).percentage(p -> p > 8));
        Statistics.label("grant preempted (recall or term)").coverage(c -> c.check(true).count(n -> n >= 1));
        Statistics.label("bought from the house").coverage(c -> c.check(true).percentage(p -> p > 15));
        Statistics.label("a borrowing claim's bid filled").coverage(c -> c.check(true).percentage(p -> p > 10));
        Statistics.label("order expired").coverage(c -> c.check(true).percentage(p -> p > 5));
        Statistics.label("urgent claim preempted a grant").coverage(c -> c.check(true).count(n -> n >= 3));
    }

    /**
     * The same runs with terms of any number of seconds.
     */
    @Property(tries = 100, edgeCases = EdgeCasesMode.NONE)
    void theMarketKeepsItsBooksWithTermsOfAnyLength(@ForAll("anyTermRuns") List<Op> run) {
        run(run);
    }

    static World run(List<Op> run) {
        World w = new World();
        w.check();
        for (Op op : run) {
            w.apply(op);
            w.check();
        }
        w.drain();
        return w;
    }

    // ------------------------------------------------------------------------------------------------ bugs found

    /**
     * A bid for 1000 MiB for 10 minutes at up to 5 per MiB-hour puts up ceil(5 × 1000 × 600 / 3600) = 834 and is
     * filled by three offers of 333, 333 and 334 at 5: the trades cost ceil(277.5) + ceil(277.5) + ceil(278.33) =
     * 278 + 278 + 279 = 835. The bid spends 835 of a hold of 834 ({@code unspent() == -1}, so its release posts
     * nothing), escrow holds 834 for loans that cost 835, and at the end of the term the last lender is paid out of
     * money escrow holds for someone else (here: another tenant's open bid).
     */
    @Example
    void aBidFilledInPartsSpendsNoMoreThanItsHold() {
        World w = new World();
        Exchange x = w.exchange;
        assertThat(x.place(OrderRequest.of("o1", "t1", "memory", Side.OFFER, 333, 3600, 5)).ok()).isTrue();
        assertThat(x.place(OrderRequest.of("o2", "t2", "memory", Side.OFFER, 333, 3600, 5)).ok()).isTrue();
        assertThat(x.place(OrderRequest.of("o3", "t3", "memory", Side.OFFER, 334, 3600, 5)).ok()).isTrue();
        // another tenant's money in escrow: an open bid for disk
        assertThat(x.place(OrderRequest.of("other", "t1", "disk", Side.BID, 100, 3600, 10)).ok()).isTrue();
        long t0 = w.balance("t0");

        MarketOrder bid = x.place(OrderRequest.of("b1", "t0", "memory", Side.BID, 1000, 600, 5)).value();
        assertThat(bid.state()).isEqualTo(MarketOrder.State.FILLED);
        assertThat(bid.hold()).isEqualTo(834);
        // each fill costs the rounded-up cost of the bid's fills so far, less that of the fills before it:
        // 999000/3600 -> 278, 1998000/3600 = 555 -> 277, 3000000/3600 -> 834 -> 279
        assertThat(x.fills("b1")).extracting(Loan::cost).containsExactly(278L, 277L, 279L);

        assertThat(bid.spent()).as("what the bid's fills cost, at most what it put up").isLessThanOrEqualTo(bid.hold());
        assertThat(bid.spent()).isEqualTo(834);
        assertThat(w.balance("t0")).as("the buyer pays what its loans cost").isEqualTo(t0 - 834);
        assertThat(w.balance(Account.ESCROW)).as("escrow: the loans' cost and the open bid's hold")
                .isEqualTo(834 + 1000);
    }

    /**
     * An urgent claim that can pay for its purchase, but not for its purchase plus the compensation of the grant it
     * preempts: t1's and t3's grants fill both nodes' memory, t2 has 1050 credits (the rest is held by an open bid)
     * and asks urgently for 500 MiB for an hour at the urgent price 2 (spot 1 + 50 %, rounded up), i.e. 1000.
     * Submitting is accepted (1000 <= 1050). The pass preempts t1's grant and pays it 100 of compensation — then
     * the purchase of 1000 is refused (950 left), and the urgent claim stays queued (INSUFFICIENT_CREDIT). A grant
     * was preempted for a claim that was not admitted; the next pass that finds the node full again preempts again.
     */
    @Example
    void anUrgentClaimThatCannotPayPreemptsNothing() {
        World w = new World();
        // fill both nodes with t1's and t3's grants
        assertThat(w.ledger.report("n1", Map.of("memory", 1000L, "disk", 1000L), Map.of()).ok()).isTrue();
        assertThat(w.ledger.report("n2", Map.of("memory", 1000L, "disk", 1000L), Map.of()).ok()).isTrue();
        assertThat(w.ledger.submit(ClaimRequest.of("v1", "t1", Bundle.of(Map.of("memory", 1000L), List.of()), 0,
                3600, null)).ok())
                .isTrue();
        assertThat(w.ledger.submit(ClaimRequest.of("v2", "t3", Bundle.of(Map.of("memory", 1000L), List.of()), 0,
                3600, null)).ok())
                .isTrue();
        w.admission.pass();
        assertThat(w.ledger.claim("v1").state()).isEqualTo(ClaimState.GRANTED);
        assertThat(w.ledger.claim("v2").state()).isEqualTo(ClaimState.GRANTED);
        // t2 has exactly the urgent purchase's price and 50 more
        long price = w.exchange.unitPrice("memory", true);
        long cost = MarketOrder.cost(price, 500, 3600);
        long t2 = w.balance("t2");
        assertThat(w.exchange.place(OrderRequest.of("drain", "t2", "disk", Side.BID, t2 - cost - 50, 3600, 1)).ok())
                .isTrue();
        assertThat(w.balance("t2")).isEqualTo(cost + 50);
        assertThat(w.ledger.submit(ClaimRequest.of("u", "t2", Bundle.of(Map.of("memory", 500L), List.of()), 0, 3600,
                null).funded(new Funding(Funding.Mode.BUY, 0, true))).ok()).as("it can pay for the purchase").isTrue();

        w.admission.pass();

        Claim u = w.ledger.claim("u");
        List<Claim> preempted = w.ledger.claims(null, ClaimState.PREEMPTED);
        if (u.state() != ClaimState.GRANTED) {
            assertThat(preempted).as("no grant is preempted for an urgent claim that is not admitted (u: %s %s)",
                    u.state(), u.reason()).isEmpty();
        }
    }

    /** What a placer that dies throws. */
    static final class PlacerDied extends RuntimeException {
        PlacerDied() {
            super("the placer died here", null, false, false);
        }
    }

    // ------------------------------------------------------------------------------------------------ the world

    /** One ledger and market, the credits this test saw minted, and what it placed, submitted and saw lent. */
    static final class World {
        final MutableClock clock = new MutableClock();
        final Store store;
        final Ledger ledger;
        final Exchange exchange;

        /** Whether an order is a bid a BORROW claim placed. */
        boolean isBorrowBid(String orderId) {
            MarketOrder o = exchange.order(orderId, null);
            return o != null && o.forClaim() != null;
        }
        final Admission admission;
        final LeaseReaper reaper;
        final Auditor auditor;
        final List<String> orders = new ArrayList<>();
        final List<String> claims = new ArrayList<>();
        /** Every loan ever seen, as last seen: loans are purged a while after they end. */
        final Map<String, Loan> loans = new LinkedHashMap<>();
        long minted;
        int next;
        int trades;
        int endedByTerm;
        int endedByRecall;
        int preemptedByLoan;
        int purchases;
        int borrowFills;
        int expired;
        int urgentPreemptions;
        int urgentPreemptedForNothing;

        World() {
            this(io.ichiba.ledger.engine.Engines.started(new io.ichiba.ledger.journal.InMemoryJournal()));
        }

        World(Store store) {
            this.store = store;
            this.ledger = new Ledger(store, clock, SETTINGS, MARKET);
            this.exchange = ledger.exchange();
            this.admission = new Admission(ledger);
            this.reaper = new LeaseReaper(ledger);
            this.auditor = new Auditor(ledger);
            ledger.accounts().openSystemAccounts();
            create("t0", 3000, 2000);
            create("t1", 2000, 3000);
            create("t2", 1000, 1000);
            create("t3", 2500, 500);
            assertThat(ledger.accounts().setCreditLimit("t3", 2_000).ok()).isTrue();
            assertThat(ledger.report("n1", Map.of("memory", 4000L, "disk", 4000L), Map.of()).ok()).isTrue();
            assertThat(ledger.report("n2", Map.of("memory", 3000L, "disk", 2500L), Map.of()).ok()).isTrue();
            for (String t : TENANTS) {
                assertThat(ledger.accounts().mint("start-" + t, t, MINTED_AT_START, null, null).ok()).isTrue();
                minted += MINTED_AT_START;
            }
            clock.advanceMillis(1);
        }

        private void create(String tenant, long memory, long disk) {
            assertThat(ledger.createTenant(tenant, Map.of("memory", memory, "disk", disk)).ok()).isTrue();
        }

        long balance(String tenantOrAccount) {
            String id = tenantOrAccount.equals(Account.ESCROW) || tenantOrAccount.equals(Account.HOUSE)
                    ? tenantOrAccount : Account.ofTenant(tenantOrAccount);
            Account a = ledger.accounts().account(id);
            return a == null ? 0 : a.balance();
        }

        Map<String, Long> balances() {
            Map<String, Long> out = new TreeMap<>();
            store.accounts().entries().forEach((id, a) -> out.put(id, a.balance()));
            return out;
        }

        void apply(Op op) {
            if (op instanceof Mint m) {
                mint(m);
            } else if (op instanceof Order o) {
                order(o);
            } else if (op instanceof CancelOrder c) {
                cancel(c);
            } else if (op instanceof Submit s) {
                submit(s);
            } else if (op instanceof Pass) {
                pass();
            } else if (op instanceof EndClaim e) {
                endClaim(e);
            } else if (op instanceof Recall r) {
                recall(r);
            } else if (op instanceof Advance a) {
                advance(a.millis());
            } else {
                throw new IllegalArgumentException("unknown op " + op);
            }
            seeLoans();
        }

        // -------------------------------------------------------------------------------------------- operations

        void mint(Mint m) {
            String tenant = m.tenant() < TENANTS.size() ? TENANTS.get(m.tenant()) : GHOST;
            Snapshot before = snapshot();
            Result<JournalEntry> r = ledger.accounts().mint("mint-" + next++, tenant, m.amount(), null, null);
            if (tenant.equals(GHOST)) {
                assertThat(r.rejection().code()).isIn(Code.NOT_FOUND, Code.INVALID);
            } else if (m.amount() < 1 || m.amount() > Accounts.MAX_AMOUNT) {
                assertThat(r.rejection().code()).isEqualTo(Code.INVALID);
            } else {
                assertThat(r.ok()).isTrue();
                minted += m.amount();
                return;
            }
            assertThat(snapshot()).as("a refused mint changes nothing").isEqualTo(before);
        }

        void order(Order o) {
            String id = "ord" + next++;
            String tenant = o.flaw() == Flaw.GHOST_TENANT ? GHOST : TENANTS.get(o.tenant());
            String kind = o.flaw() == Flaw.UNKNOWN_KIND ? "gpu" : KINDS.get(o.kind());
            long amount = o.flaw() == Flaw.ZERO_AMOUNT ? 0 : o.amount();
            long seconds = o.flaw() == Flaw.TOO_LONG ? MAX_TERM + 1 : o.seconds();
            long price = o.flaw() == Flaw.ZERO_PRICE ? 0 : o.flaw() == Flaw.TOO_DEAR ? MAX_PRICE + 1 : o.price();
            long now = clock.millis();
            long goodUntil = o.flaw() == Flaw.PAST ? now : o.goodFor() == 0 ? NEVER : now + o.goodFor();
            Side side = o.bid() ? Side.BID : Side.OFFER;

            Code expected = switch (o.flaw()) {
                case GHOST_TENANT -> Code.NOT_FOUND;
                case UNKNOWN_KIND -> Code.UNKNOWN_KIND;
                case NONE -> null;
                default -> Code.INVALID;
            };
            long hold = o.bid() ? MarketOrder.cost(price, amount, seconds) : 0;
            if (expected == null && o.bid()) {
                Account a = ledger.accounts().account(Account.ofTenant(tenant));
                expected = a.balance() - hold < a.floor() ? Code.INSUFFICIENT_CREDIT : null;
            } else if (expected == null) {
                expected = amount > store.tenants().get(tenant).lendable(kind) ? Code.NOT_LENDABLE : null;
            }

            Snapshot before = snapshot();
            Set<String> loansBefore = store.loans().entries().keySet();
            Result<MarketOrder> r = exchange.place(OrderRequest.of(id, tenant, kind, side, amount, seconds,
                    price).until(goodUntil));
            assertThat(r.rejection() == null ? null : r.rejection().code()).as("%s %s: %s", side, id, r.rejection())
                    .isEqualTo(expected);
            if (expected != null) {
                assertThat(snapshot()).as("a refused order changes nothing").isEqualTo(before);
                assertThat(store.orders().get(id)).isNull();
                return;
            }
            orders.add(id);
            MarketOrder placed = r.value();
            assertThat(placed.state()).isIn(MarketOrder.State.OPEN, MarketOrder.State.PARTIALLY_FILLED,
                    MarketOrder.State.FILLED);
            assertThat(placed.hold()).isEqualTo(hold);
            List<Loan> made = store.loans().entries().values().stream().filter(l -> !loansBefore.contains(l.id()))
                    .toList();
            trades += made.size();
            assertThat(made).as("every loan made now is a fill of %s", id)
                    .allMatch(l -> id.equals(o.bid() ? l.bidId() : l.offerId()));
            assertThat(made.stream().mapToLong(Loan::amount).sum()).isEqualTo(placed.filled());
            Map<String, Long> expect = new TreeMap<>(before.balances());
            if (o.bid()) {
                assertThat(made.stream().mapToLong(Loan::cost).sum()).isEqualTo(placed.spent());
                expect.merge(Account.ofTenant(tenant), -hold, Long::sum);
                expect.merge(Account.ESCROW, hold, Long::sum);
            }
            releasedSince(before).forEach(b -> {
                expect.merge(Account.ofTenant(b.owner()), b.unspent(), Long::sum);
                expect.merge(Account.ESCROW, -b.unspent(), Long::sum);
            });
            assertThat(balances()).as("a bid puts up its hold; the bids filled now get back what they did not spend")
                    .isEqualTo(expect);
        }

        /** The bids released since {@code before} that had something left to give back. */
        List<MarketOrder> releasedSince(Snapshot before) {
            List<MarketOrder> out = new ArrayList<>();
            for (String kind : KINDS) {
                Map<String, MarketOrder> was = new TreeMap<>();
                before.books().get(kind).forEach(o -> was.put(o.id(), o));
                for (MarketOrder o : store.books().execute(kind, new MarketCommands.OrdersOf(null, false))) {
                    MarketOrder w = was.get(o.id());
                    if (o.side() == Side.BID && o.released()
                            && (w == null || !w.released()) && o.unspent() > 0) {
                        out.add(o);
                    }
                }
            }
            return out;
        }

        void cancel(CancelOrder c) {
            if (orders.isEmpty()) {
                return;
            }
            String id = orders.get(c.order() % orders.size());
            MarketOrder o = exchange.order(id, null);
            if (o == null) {
                return; // purged: final and released long ago
            }
            String by = c.by() == 0 ? o.owner() : TENANTS.get((TENANTS.indexOf(o.owner()) + c.by()) % TENANTS.size());
            Snapshot before = snapshot();
            Result<MarketOrder> r = exchange.cancel(id, by);
            if (!by.equals(o.owner())) {
                assertThat(r.rejection().code()).as("another tenant's order is not found").isEqualTo(Code.NOT_FOUND);
                assertThat(snapshot()).isEqualTo(before);
                return;
            }
            assertThat(r.ok()).as("cancel %s: %s", id, r.rejection()).isTrue();
            MarketOrder after = r.value();
            if (!o.state().isResting()) {
                assertThat(after).isEqualTo(o);
                assertThat(snapshot()).isEqualTo(before);
                return;
            }
            assertThat(after.state()).isEqualTo(MarketOrder.State.CANCELLED);
            assertThat(after.released()).isTrue();
            Map<String, Long> expect = new TreeMap<>(before.balances());
            if (o.side() == Side.BID && o.unspent() > 0) {
                expect.merge(Account.ofTenant(o.owner()), o.unspent(), Long::sum);
                expect.merge(Account.ESCROW, -o.unspent(), Long::sum);
            }
            assertThat(balances()).as("a cancelled bid gets back what it did not spend").isEqualTo(expect);
        }

        void submit(Submit s) {
            TreeMap<String, Long> amounts = new TreeMap<>();
            amounts.put("memory", s.memory());
            amounts.put("disk", s.disk());
            if (s.memory() == 0 && s.disk() == 0) {
                amounts.put("memory", 100L);
            }
            Funding funding = switch (s.pay()) {
                case QUOTA -> Funding.QUOTA_ONLY;
                case BUY -> new Funding(Funding.Mode.BUY, s.maxPrice(), false);
                case URGENT -> new Funding(Funding.Mode.BUY, s.maxPrice(), true);
                case BORROW -> new Funding(Funding.Mode.BORROW, s.maxPrice(), false);
            };
            String id = "c" + next++;
            String tenant = TENANTS.get(s.tenant());
            Snapshot before = snapshot();
            Result<Claim> r = ledger.submit(ClaimRequest.of(id, tenant, Bundle.of(amounts, List.of()), s.priority(),
                    s.lease(), null).funded(funding));
            for (String kind : KINDS) {
                if (store.orders().get(ClaimFunding.borrowBidId(id, kind)) != null) {
                    orders.add(ClaimFunding.borrowBidId(id, kind));
                }
            }
            if (r.ok()) {
                assertThat(r.value().state()).isEqualTo(ClaimState.QUEUED);
                claims.add(id);
                if (s.pay() != Pay.BORROW) {
                    assertThat(balances()).as("a claim pays nothing before its turn").isEqualTo(before.balances());
                }
                return;
            }
            Set<Code> allowed = switch (s.pay()) {
                case QUOTA -> EnumSet.of(Code.NEVER_FITS);
                case BUY, BORROW -> EnumSet.of(Code.NEVER_FITS, Code.INSUFFICIENT_CREDIT);
                case URGENT -> EnumSet.of(Code.NEVER_FITS, Code.INSUFFICIENT_CREDIT, Code.PRICE);
            };
            assertThat(r.rejection().code()).as("submit %s %s: %s", id, s, r.rejection()).isIn(allowed);
            assertThat(store.claims().get(id)).isNull();
            if (s.pay() != Pay.BORROW) {
                assertThat(snapshot()).as("a refused claim changes nothing").isEqualTo(before);
            }
        }

        void pass() {
            Map<String, Loan> loansBefore = store.loans().entries();
            Admission.Pass p = admission.pass();
            for (Claim c : p.granted()) {
                assertThat(ledger.claim(c.id()).state()).isEqualTo(ClaimState.GRANTED);
            }
            purchases += (int) store.loans().entries().keySet().stream().filter(k -> !loansBefore.containsKey(k))
                    .count();
            long preempted = store.claims().values(new ClaimFilters.ClaimIn(Set.of(ClaimState.PREEMPTED))).stream()
                    .filter(c -> "URGENT".equals(c.reason()) && c.endedAt() == clock.millis()).count();
            urgentPreemptions += (int) preempted;
            if (preempted > 0 && p.granted().stream().noneMatch(Claim::urgent)) {
                urgentPreemptedForNothing++; // anUrgentClaimThatCannotPayPreemptsNothing
            }
        }

        void endClaim(EndClaim e) {
            if (claims.isEmpty()) {
                return;
            }
            String id = claims.get(e.claim() % claims.size());
            Claim before = ledger.claim(id);
            Result<Claim> r = e.release() ? ledger.release(id) : ledger.cancel(id);
            Claim after = ledger.claim(id);
            if (before == null) {
                assertThat(r.rejection().code()).isEqualTo(Code.NOT_FOUND);
            } else if (before.state() == ClaimState.GRANTED || (!e.release() && before.state() == ClaimState.QUEUED)) {
                assertThat(after.state()).isEqualTo(e.release() ? ClaimState.RELEASED : ClaimState.CANCELLED);
                assertThat(after.returned()).isTrue();
            } else if (before.state().isFinal()) {
                assertThat(after).isEqualTo(before);
            }
        }

        void recall(Recall rc) {
            if (loans.isEmpty()) {
                return;
            }
            List<String> ids = new ArrayList<>(loans.keySet());
            String id = ids.get(rc.loan() % ids.size());
            Loan l = store.loans().get(id);
            Loan seen = loans.get(id);
            if (Loan.HOUSE.equals(seen.lender()) && rc.byLender()) {
                return; // only the house recalls what it sold, when an urgent claim preempts
            }
            String by = rc.byLender() ? seen.lender()
                    : TENANTS.stream().filter(t -> !t.equals(seen.lender())).toList().get(rc.other() % 3);
            Snapshot before = snapshot();
            Result<Loan> r = exchange.recall(id, by, rc.notice());
            if (rc.notice() < 0 || rc.notice() > MAX_TERM) {
                assertThat(r.rejection().code()).isEqualTo(Code.INVALID);
                assertThat(snapshot()).isEqualTo(before);
                return;
            }
            if (l == null || !rc.byLender()) {
                assertThat(r.rejection().code()).as("recall of %s by %s", id, by).isEqualTo(Code.NOT_FOUND);
                assertThat(snapshot()).isEqualTo(before);
                return;
            }
            if (l.state() != Loan.State.ACTIVE && l.state() != Loan.State.RECALLING) {
                assertThat(r.rejection().code()).isEqualTo(Code.WRONG_STATE);
                assertThat(snapshot()).isEqualTo(before);
                return;
            }
            assertThat(r.ok()).as("recall %s: %s", id, r.rejection()).isTrue();
            Loan after = store.loans().get(id);
            if (rc.notice() > 0) {
                assertThat(after.state()).isEqualTo(Loan.State.RECALLING);
                long deadline = clock.millis() + rc.notice() * 1000;
                assertThat(after.recallDeadline()).isEqualTo(l.state() == Loan.State.RECALLING
                        ? Math.min(l.recallDeadline(), deadline) : deadline);
                assertThat(balances()).isEqualTo(before.balances());
                return;
            }
            // notice 0: the loan ends now; escrow pays the lender for the time served, less compensation
            assertThat(after.state()).isEqualTo(Loan.State.ENDED);
            long earned = after.earned();
            long served = Math.min(after.endedAt(), after.endsAt()) - after.startedAt();
            long term = after.endsAt() - after.startedAt();
            assertThat(earned).isEqualTo(served >= term ? after.cost() : after.cost() * served / term);
            long compensation = "RECALL".equals(after.endReason())
                    ? Math.min(earned, COMPENSATION * after.preempted().size()) : 0;
            Map<String, Long> expect = new TreeMap<>(before.balances());
            expect.merge(Account.ofTenant(after.lender()), earned - compensation, Long::sum);
            expect.merge(Account.ofTenant(after.borrower()), after.cost() - earned + compensation, Long::sum);
            expect.merge(Account.ESCROW, -after.cost(), Long::sum);
            assertThat(balances()).as("recall of %s with notice 0", id).isEqualTo(expect);
        }

        void advance(long millis) {
            clock.advanceMillis(millis);
            exchange.updateSpot();
            exchange.sweep();
            reaper.sweep();
            long now = clock.millis();
            assertThat(store.claims().values(new ClaimFilters.LeaseDue(now))).as("law 6: leases end").isEmpty();
            assertThat(store.loans().values(new MarketFilters.LoansDue(now))).as("due loans end").isEmpty();
        }

        /** Cancels every order and claim, moves the clock past every term: nothing may be left anywhere. */
        void drain() {
            for (String t : TENANTS) {
                for (MarketOrder o : exchange.openOrders(t)) {
                    assertThat(exchange.cancel(o.id(), t).value().state().isFinal()).isTrue();
                }
            }
            for (Claim c : store.claims().entries().values()) {
                ledger.cancel(c.id());
            }
            seeLoans();
            check();
            for (int i = 0; i < 3 && !store.loans().values(new MarketFilters.LoansOf(null, true)).isEmpty(); i++) {
                advance(MAX_TERM * 1000);
                seeLoans();
                check();
            }
            assertThat(store.loans().values(new MarketFilters.LoansOf(null, true))).as("every loan ended").isEmpty();
            assertThat(balance(Account.ESCROW)).as("escrow, once every order and loan is over").isZero();
            for (TenantState t : store.tenants().entries().values()) {
                assertThat(t.loans()).as("%s's loan shares", t.id()).isEmpty();
                assertThat(t.earmarks()).as("%s's earmarks", t.id()).isEmpty();
            }
            for (String kind : KINDS) {
                for (MarketOrder o : store.books().execute(kind, new MarketCommands.OrdersOf(null, false))) {
                    assertThat(o.state().isFinal() && o.released()).as("order %s", o).isTrue();
                }
            }
            LedgerInvariants.checkAllReturned(store);
        }

        void seeLoans() {
            for (Loan l : store.loans().entries().values()) {
                Loan was = loans.put(l.id(), l);
                if (l.state() == Loan.State.ENDED && (was == null || was.state() != Loan.State.ENDED)) {
                    if ("RECALL".equals(l.endReason())) {
                        endedByRecall++;
                    } else {
                        endedByTerm++;
                    }
                    preemptedByLoan += l.preempted().size();
                }
                if (was == null && l.bidId() != null && isBorrowBid(l.bidId())) {
                    borrowFills++;
                }
            }
        }

        // -------------------------------------------------------------------------------------------- checks

        /** What a refused request must leave as it was. */
        record Snapshot(Map<String, Account> accounts, Map<String, TenantState> tenants, Map<String, Claim> claims,
                        Map<String, Loan> loans, Map<String, OrderRef> orders, int journal,
                        Map<String, List<MarketOrder>> books) {
            Map<String, Long> balances() {
                Map<String, Long> out = new TreeMap<>();
                accounts.forEach((id, a) -> out.put(id, a.balance()));
                return out;
            }
        }

        Snapshot snapshot() {
            Map<String, List<MarketOrder>> books = new TreeMap<>();
            for (String kind : KINDS) {
                books.put(kind, store.books().execute(kind, new MarketCommands.OrdersOf(null, false)));
            }
            return new Snapshot(store.accounts().entries(), store.tenants().entries(), store.claims().entries(),
                    store.loans().entries(), store.orders().entries(), store.journal().entries().size(), books);
        }

        void check() {
            checkCredits();
            checkGrants();
            checkLoansAndQuota();
            checkBooksAndEscrow();
        }

        void checkCredits() {
            Auditor.Report report = auditor.audit();
            assertThat(report.drift()).as("audit").isEmpty();
            assertThat(report.credits().inFlight()).as("legs in flight").isZero();
            assertThat(report.credits().minted()).as("minted, from the journal").isEqualTo(minted);
            assertThat(report.credits().total()).as("law 4: the balances add up to what was minted").isEqualTo(minted);
            for (Account a : store.accounts().entries().values()) {
                assertThat(a.balance()).as("%s's balance", a.id()).isGreaterThanOrEqualTo(a.floor());
            }
        }

        /** Laws 1–3 for pools and grants as {@link LedgerInvariants#check}, a tenant's limit its entitlement. */
        void checkGrants() {
            Map<String, TenantState> tenants = store.tenants().entries();
            boolean withinOwnQuota = tenants.values().stream().allMatch(t -> t.holdings().totals().entrySet().stream()
                    .allMatch(e -> e.getValue() <= t.quota(e.getKey())));
            if (withinOwnQuota) {
                LedgerInvariants.check(store);
            }
            List<String> errors = new ArrayList<>();
            for (NodeState n : store.nodes().entries().values()) {
                for (String kind : n.kinds().keySet()) {
                    if (n.granted(kind) > n.capacity(kind)) {
                        errors.add(NodeState.poolId(kind, n.node()) + " over-granted: " + n.granted(kind));
                    }
                }
            }
            for (TenantState t : tenants.values()) {
                for (String kind : KINDS) {
                    if (t.used(kind) > t.entitlement(kind, true)) {
                        errors.add(t.id() + " uses " + t.used(kind) + " " + kind + " > entitlement "
                                + t.entitlement(kind, true));
                    }
                }
            }
            Map<String, Claim> claimsNow = store.claims().entries();
            Map<String, Map<String, Hold>> held = new TreeMap<>();
            store.nodes().entries().forEach((k, n) -> n.holdings().holders().forEach((c, h) ->
                    held.computeIfAbsent(c, x -> new TreeMap<>()).put("node:" + k, h)));
            tenants.forEach((k, t) -> t.holdings().holders().forEach((c, h) ->
                    held.computeIfAbsent(c, x -> new TreeMap<>()).put("tenant:" + k, h)));
            held.forEach((claimId, places) -> places.forEach((place, h) -> {
                Claim c = claimsNow.get(claimId);
                if (c == null || !c.state().isLive()) {
                    errors.add("orphan hold at " + place + " for claim " + claimId);
                }
            }));
            for (Claim c : claimsNow.values()) {
                Map<String, Hold> mine = held.getOrDefault(c.id(), Map.of());
                if (c.state() == ClaimState.GRANTED) {
                    if (!mine.equals(LedgerInvariants.expectedHolds(c))) {
                        errors.add("GRANTED claim " + c.id() + " holds " + mine);
                    }
                } else if (!mine.isEmpty() || (c.state().isFinal() && !c.returned())) {
                    errors.add(c.state() + " claim " + c.id() + " holds " + mine + ", returned " + c.returned());
                }
            }
            assertThat(errors).as("laws 1-3").isEmpty();
        }

        void checkLoansAndQuota() {
            Map<String, Loan> all = store.loans().entries();
            Map<String, TenantState> tenants = store.tenants().entries();
            List<String> errors = new ArrayList<>();
            Map<String, Long> lent = new TreeMap<>();
            Map<String, Long> borrowedFromTenants = new TreeMap<>();
            for (TenantState t : tenants.values()) {
                t.loans().forEach((loanId, s) -> {
                    Loan l = all.get(loanId);
                    if (l == null || l.state() == Loan.State.ENDED) {
                        errors.add(t.id() + " has a share of " + loanId + ", " + (l == null ? "gone" : "ENDED"));
                        return;
                    }
                    if (!s.kind().equals(l.kind()) || s.amount() != l.amount()
                            || !t.id().equals(s.lent() ? l.lender() : l.borrower())) {
                        errors.add(t.id() + "'s share " + s + " does not match loan " + l);
                    }
                    if (s.lent()) {
                        lent.merge(s.kind(), s.amount(), Long::sum);
                    } else if (!Loan.HOUSE.equals(l.lender())) {
                        borrowedFromTenants.merge(s.kind(), s.amount(), Long::sum);
                    }
                });
                for (String kind : KINDS) {
                    long shares = t.loans().values().stream().filter(s -> s.lent() && s.kind().equals(kind))
                            .mapToLong(TenantState.LoanShare::amount).sum();
                    if (shares != t.lent(kind)) {
                        errors.add(t.id() + " lent(" + kind + ") " + t.lent(kind) + " != its shares " + shares);
                    }
                }
            }
            for (Loan l : all.values()) {
                TenantState borrower = tenants.get(l.borrower());
                TenantState lender = tenants.get(l.lender());
                boolean live = l.state() == Loan.State.ACTIVE || l.state() == Loan.State.RECALLING;
                if (live && (borrower == null || !borrower.loans().containsKey(l.id()))) {
                    errors.add("live loan " + l.id() + " has no borrower's share");
                }
                if (live && !Loan.HOUSE.equals(l.lender()) && (lender == null || !lender.loans().containsKey(l.id()))) {
                    errors.add("live loan " + l.id() + " has no lender's share");
                }
                if (l.state() == Loan.State.ENDING) {
                    errors.add("loan " + l.id() + " left ENDING");
                }
                long alone = MarketOrder.cost(l.price(), l.amount(), (l.endsAt() - l.startedAt()) / 1000);
                if (!Loan.HOUSE.equals(l.lender()) && (l.cost() < alone - 1 || l.cost() > alone)) {
                    // a fill's cost is rounded with the bid's earlier fills: within one unit of its cost alone
                    errors.add("loan " + l.id() + " costs " + l.cost() + ", alone " + alone);
                }
            }
            assertThat(errors).as("loans and shares").isEmpty();
            assertThat(lent).as("what tenants lend is what is borrowed from tenants").isEqualTo(borrowedFromTenants);
        }

        void checkBooksAndEscrow() {
            long now = clock.millis();
            long expectedEscrow = 0;
            for (Loan l : store.loans().entries().values()) {
                if (l.state() != Loan.State.ENDED && !Loan.HOUSE.equals(l.lender())) {
                    expectedEscrow += l.cost();
                }
            }
            Map<String, TenantState> tenants = store.tenants().entries();
            Map<String, TenantState.Earmark> earmarks = new TreeMap<>();
            tenants.values().forEach(t -> earmarks.putAll(t.earmarks()));
            for (String kind : KINDS) {
                Book book = store.books().get(kind);
                if (book == null) {
                    continue;
                }
                book.checkInvariants();
                assertThat(store.books().execute(kind, new MarketCommands.Unsettled())).as("unsettled trades")
                        .isEmpty();
                assertThat(store.books().execute(kind, new MarketCommands.NeedingWork()))
                        .as("final orders not released").isEmpty();
                long restingBids = 0;
                long restingOffers = 0;
                int resting = 0;
                for (MarketOrder o : store.books().execute(kind, new MarketCommands.OrdersOf(null, false))) {
                    assertThat(o.state()).as("order %s", o.id()).isNotEqualTo(MarketOrder.State.NEW);
                    assertThat(o.filled()).as("%s filled", o.id()).isBetween(0L, o.amount());
                    long filled = 0;
                    long spent = 0;
                    for (Loan l : loans.values()) {
                        if (o.id().equals(o.side() == Side.BID ? l.bidId() : l.offerId())) {
                            filled += l.amount();
                            spent += l.cost();
                        }
                    }
                    assertThat(o.filled()).as("%s filled, from its loans", o.id()).isEqualTo(filled);
                    if (o.state().isResting()) {
                        resting++;
                        assertThat(o.goodUntil()).as("%s is past its goodUntil", o.id()).isGreaterThan(now);
                        if (o.side() == Side.BID) {
                            restingBids += o.remaining();
                        } else {
                            restingOffers += o.remaining();
                            TenantState.Earmark m = earmarks.remove(o.id());
                            assertThat(m).as("earmark of resting offer %s", o.id())
                                    .isEqualTo(new TenantState.Earmark(kind, o.remaining()));
                        }
                    }
                    if (o.state() == MarketOrder.State.EXPIRED) {
                        expired++;
                    }
                    if (o.side() == Side.BID) {
                        assertThat(o.spent()).as("%s spent, from its loans", o.id()).isEqualTo(spent);
                        assertThat(o.spent()).as("%s spends at most its hold", o.id()).isLessThanOrEqualTo(o.hold());
                        if (!(o.state().isFinal() && o.released())) {
                            expectedEscrow += o.hold() - o.spent();
                        }
                    } else {
                        assertThat(o.hold()).isZero();
                        assertThat(o.spent()).isZero();
                    }
                }
                Book.View view = exchange.view(kind, 1_000);
                assertThat(view.resting()).as("resting orders in the %s book", kind).isEqualTo(resting);
                Depth depth = view.depth();
                assertThat(depth.bids().stream().mapToLong(PriceLevel::amount).sum()).isEqualTo(restingBids);
                assertThat(depth.offers().stream().mapToLong(PriceLevel::amount).sum()).isEqualTo(restingOffers);
            }
            assertThat(earmarks).as("earmarks without a resting offer").isEmpty();
            assertThat(balance(Account.ESCROW)).as("escrow: live loans between tenants, and unreleased bids' holds")
                    .isEqualTo(expectedEscrow);
        }
    }
}
