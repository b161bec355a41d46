package io.ichiba.ledger;

import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimCommands;
import io.ichiba.ledger.claim.ClaimFilters;
import io.ichiba.ledger.credit.Account;
import io.ichiba.ledger.credit.Accounts;
import io.ichiba.ledger.credit.JournalEntry;
import io.ichiba.ledger.market.Book;
import io.ichiba.ledger.market.Loan;
import io.ichiba.ledger.market.MarketCommands;
import io.ichiba.ledger.market.MarketCommands.AddShare;
import io.ichiba.ledger.market.MarketFilters;
import io.ichiba.ledger.market.MarketOrder;
import io.ichiba.ledger.market.MarketSettings;
import io.ichiba.ledger.market.OrderRef;
import io.ichiba.ledger.market.OrderRequest;
import io.ichiba.ledger.pool.Amounts;
import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.pool.PlaceCommands.CreateIfAbsent;
import io.ichiba.ledger.store.Store;
import io.ichiba.ledger.tenant.TenantState;
import io.ichiba.pricing.PriceHistory;
import io.ichiba.pricing.Side;
import io.ichiba.pricing.SpotPriceCurve;
import io.ichiba.pricing.Trade;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The market: offers and bids per kind, the trades they make, the loans those become, recalls and the end of
 * terms, and the spot price. How a claim is funded through it (a borrowing claim's bids, a purchase from the house,
 * an urgent claim's preemptions) is {@link ClaimFunding}'s.
 *
 * <h2>An order's life (one command)</h2>
 * <pre>
 *   checks:       tenant, kind, amounts, the tenant's order limit; a bid can pay, an offer can lend   refused: 409,
 *                                                                                                   nothing written
 *   funding:      bid  -> post its hold, buyer -> escrow (max cost)
 *                 offer-> earmark the quota on the lender
 *   orders[id]:   where it lives (kind, owner)
 *   books[kind]:  match, rest the remainder, record trades                Place
 *   per trade:    loans[id] ACTIVE; lender's share (out of the earmark), borrower's share; book: Settled
 *   once final:   a bid's unspent hold escrow -> buyer; an offer's unused earmark dropped; book: Released
 * </pre>
 * An order placed is funded, matched and its trades made loans in the command that places it; an order that ends
 * later (filled by another, cancelled, expired) gives back what it set aside in the command that ends it.
 *
 * <h2>A loan's end</h2>
 * At the end of its term, or at a recall's deadline: the borrower's share stops covering new holds; the
 * borrower's grants of the kind that no longer fit are preempted, lowest priority first (youngest first among
 * equals), their tokens returned; the shares are removed; escrow pays the lender for the time served and
 * refunds the borrower the rest; after a recall, the lender compensates each preempted grant out of what it
 * earned.
 */
public final class Exchange {
    private static final Logger LOG = LoggerFactory.getLogger(Exchange.class);

    /**
     * Loans in the order they were made: by start, then by the trade's sequence (a loan's id ends with it, so among
     * ids of one kind the shorter is the earlier: one operation makes many loans in the same millisecond).
     */
    private static final Comparator<Loan> IN_ORDER = Comparator.comparingLong(Loan::startedAt)
            .thenComparingInt(l -> l.id().length()).thenComparing(Loan::id);

    private final Ledger ledger;
    private final Store store;
    private final Clock clock;
    private final MarketSettings settings;

    private final ClaimFunding funding;

    /** Creates the market over the ledger. */
    public Exchange(Ledger ledger, MarketSettings settings) {
        this.ledger = ledger;
        this.store = ledger.store();
        this.clock = ledger.clock();
        this.settings = settings;
        this.funding = new ClaimFunding(ledger, this, settings);
    }

    /** How claims that borrow or buy are funded: their bids, their purchases from the house, urgent preemption. */
    ClaimFunding funding() {
        return funding;
    }

    /** Returns the settings. */
    public MarketSettings settings() {
        return settings;
    }

    // ---------------------------------------------------------------- orders

    /**
     * Places an offer or a bid ({@link OrderRequest}). A bid puts its most it can cost in escrow; one that cannot be
     * paid for is refused ({@code INSUFFICIENT_CREDIT}), as is an offer of quota its owner may not lend
     * ({@code NOT_LENDABLE}): a refused order leaves nothing behind. Placing the same id again answers the order as it
     * is.
     */
    public Result<MarketOrder> place(OrderRequest o) {
        return ledger.atomically(l -> l.exchange().placeNow(o));
    }

    /** As {@link #place}, in the command running this (a claim's bids are placed so). */
    Result<MarketOrder> placeNow(OrderRequest o) {
        String id = o.id();
        String tenant = o.tenant();
        String kind = o.kind();
        Side side = o.side();
        long amount = o.amount();
        long durationSeconds = o.durationSeconds();
        long price = o.price();
        long goodUntil = o.goodUntil();
        String key = o.key();
        String forClaim = o.forClaim();
        OrderRef ref = store.orders().get(id);
        if (ref != null) {
            return ref.owner().equals(tenant) ? again(id, ref) : Result.rejected(Rejection.Code.ALREADY_EXISTS,
                    "order id " + id + " is taken");
        }
        long now = clock.millis();
        Rejection bad = validate(tenant, kind, amount, durationSeconds, price, goodUntil, now);
        if (bad != null) {
            return Result.rejected(bad);
        }
        MarketOrder order;
        try {
            order = MarketOrder.create(id, tenant, kind, side, amount, durationSeconds, price, goodUntil, now, key,
                    forClaim);
        } catch (ArithmeticException e) {
            return Result.rejected(Rejection.Code.INVALID, "maxPrice × amount × durationSeconds is too large");
        }
        if (order.hold() > Accounts.MAX_AMOUNT) {
            return Result.rejected(Rejection.Code.INVALID, "the bid could cost " + order.hold()
                    + ", more than the largest amount of credits, " + Accounts.MAX_AMOUNT);
        }
        Rejection cannot = forClaim != null ? null : ledger.checkOrderLimit(tenant);
        if (cannot == null) {
            cannot = side == Side.BID ? canPay(tenant, order.hold()) : canLend(tenant, kind, amount);
        }
        if (cannot != null) {
            return Result.rejected(cannot);
        }
        Rejection refused = fund(order);
        if (refused != null) {
            return Result.rejected(refused); // checked above, in this command: a safeguard, and nothing was written
        }
        store.orders().execute(id, new CreateIfAbsent<>(new OrderRef(kind, tenant)));
        MarketCommands.Placed placed = store.books().execute(kind, new MarketCommands.Place(order, now));
        if (!placed.trades().isEmpty()) {
            LOG.debug("order={} tenant={} kind={} made {} trade(s)", id, tenant, kind, placed.trades().size());
        }
        finishBook(kind);
        return Result.ok(store.books().execute(kind, new MarketCommands.GetOrder(id)));
    }

    private Result<MarketOrder> again(String id, OrderRef ref) {
        MarketOrder o = store.books().execute(ref.kind(), new MarketCommands.GetOrder(id));
        if (o == null) {
            return Result.rejected(Rejection.Code.NOT_FOUND, "order " + id + " is no longer kept");
        }
        return Result.ok(o);
    }

    private Rejection validate(String tenant, String kind, long amount, long duration, long price, long goodUntil,
                               long now) {
        if (store.tenants().get(tenant) == null) {
            return Rejection.of(Rejection.Code.NOT_FOUND, "no tenant " + tenant);
        }
        if (!ledger.isKind(kind)) {
            return Rejection.of(Rejection.Code.UNKNOWN_KIND, "kind '" + kind + "' is not traded; known kinds: "
                    + ledger.kinds());
        }
        if (amount < 1 || amount > Amounts.MAX_AMOUNT) {
            return Rejection.of(Rejection.Code.INVALID, "amount must be between 1 and " + Amounts.MAX_AMOUNT
                    + ", was " + amount);
        }
        if (duration < 1 || duration > settings.maxTermSeconds()) {
            return Rejection.of(Rejection.Code.INVALID, "durationSeconds must be between 1 and "
                    + settings.maxTermSeconds() + ", was " + duration);
        }
        if (price < 1 || price > settings.maxPrice()) {
            return Rejection.of(Rejection.Code.INVALID, "the price must be between 1 and " + settings.maxPrice()
                    + ", was " + price);
        }
        if (goodUntil <= now) {
            return Rejection.of(Rejection.Code.INVALID, "goodUntil must be in the future");
        }
        return null;
    }

    Rejection canPay(String tenant, long hold) {
        Account a = store.accounts().get(Account.ofTenant(tenant));
        long available = a == null ? 0 : a.balance();
        long floor = a == null ? 0 : a.floor();
        if (available - hold < floor) {
            return Rejection.of(Rejection.Code.INSUFFICIENT_CREDIT, "the bid could cost " + hold + " and tenant "
                    + tenant + " has " + available + " available (credit limit " + (a == null ? 0 : a.creditLimit())
                    + "): lower the amount, the duration or maxPrice");
        }
        return null;
    }

    private Rejection canLend(String tenant, String kind, long amount) {
        return MarketCommands.notLendable(store.tenants().get(tenant), kind, amount);
    }

    private Rejection fund(MarketOrder o) {
        if (o.side() == Side.BID) {
            Result<JournalEntry> r = ledger.accounts().post(JournalEntry.transfer(o.id() + ":hold", o.createdAt(),
                    JournalEntry.Reason.BID_HOLD, "bid " + o.id() + ": " + o.amount() + " " + o.kind() + " for "
                            + o.durationSeconds() + " s at <= " + o.limitPrice() + " put up in escrow",
                    o.idempotencyKey(), o.id(), Account.ofTenant(o.owner()), Account.ESCROW, o.hold()));
            return r.rejection();
        }
        return store.tenants().execute(o.owner(), new MarketCommands.Earmark(o.id(), o.kind(), o.amount()));
    }

    /** Turns the book's trades into loans, then gives back what its final orders set aside and did not use. */
    private void finishBook(String kind) {
        for (Book.Fill f : store.books().execute(kind, new MarketCommands.Unsettled())) {
            settle(kind, f.trade(), f.cost());
        }
        List<MarketOrder> work = store.books().execute(kind, new MarketCommands.NeedingWork());
        // read after the orders: a trade that ended one of them is recorded with it, so it shows here
        Set<String> trading = new java.util.HashSet<>();
        for (Book.Fill f : store.books().execute(kind, new MarketCommands.Unsettled())) {
            trading.add(f.trade().buyOrderId());
            trading.add(f.trade().sellOrderId());
        }
        for (MarketOrder o : work) {
            if (trading.contains(o.id())) {
                continue; // its trades become loans first (an offer's earmark turns into the lent share)
            }
            release(o);
        }
    }

    private void settle(String kind, Trade t, long cost) {
        String loanId = kind + ":" + t.seq();
        Loan loan = store.loans().execute(loanId, new CreateIfAbsent<>(Loan.start(loanId, kind, t.seller(), t.buyer(),
                t.amount(), t.price(), cost, t.buyOrderId(), t.sellOrderId(), clock.millis(), t.durationSeconds())));
        store.tenants().execute(loan.lender(), new AddShare(loanId, loan.offerId(), kind, loan.amount(), true));
        store.tenants().execute(loan.borrower(), new AddShare(loanId, null, kind, loan.amount(), false));
        store.books().execute(kind, new MarketCommands.Settled(t.seq()));
        LOG.debug("trade loan={} kind={} lender={} borrower={} amount={} price={} cost={} until={}", loanId, kind,
                loan.lender(), loan.borrower(), loan.amount(), loan.price(), loan.cost(), loan.endsAt());
    }

    /** Gives back what a final order set aside and did not use; idempotent by order id. */
    private void release(MarketOrder o) {
        if (!o.state().isFinal() || o.released()) {
            return;
        }
        if (o.side() == Side.BID) {
            long unspent = o.unspent();
            if (unspent > 0) {
                Result<JournalEntry> r = ledger.accounts().post(JournalEntry.transfer(o.id() + ":release",
                        o.endedAt(), JournalEntry.Reason.BID_RELEASE, "bid " + o.id() + " " + o.state()
                                + ": the part of its hold not spent returned", null, o.id(), Account.ESCROW,
                        Account.ofTenant(o.owner()), unspent));
                if (!r.ok()) {
                    LOG.warn("could not release bid={} unspent={}: {}", o.id(), unspent, r.rejection().detail());
                    return;
                }
            }
        } else {
            store.tenants().execute(o.owner(), new MarketCommands.Unearmark(o.id()));
        }
        store.books().execute(o.kind(), new MarketCommands.Released(o.id()));
    }

    /** Cancels a resting order of {@code tenant}: its unfilled part leaves the book and what it set aside returns. */
    public Result<MarketOrder> cancel(String id, String tenant) {
        return ledger.atomically(l -> l.exchange().cancelNow(id, tenant));
    }

    Result<MarketOrder> cancelNow(String id, String tenant) {
        OrderRef ref = store.orders().get(id);
        if (ref == null || !ref.owner().equals(tenant)) {
            return Result.rejected(Rejection.Code.NOT_FOUND, "no order " + id);
        }
        Result<MarketOrder> r = store.books().execute(ref.kind(), new MarketCommands.Cancel(id, tenant, clock.millis()));
        finishBook(ref.kind());
        if (r.ok()) {
            return Result.ok(store.books().execute(ref.kind(), new MarketCommands.GetOrder(id)));
        }
        return r;
    }

    /** Returns an order of {@code tenant} (of anyone's if {@code null}), or {@code null}. */
    public MarketOrder order(String id, String tenant) {
        OrderRef ref = store.orders().get(id);
        if (ref == null || (tenant != null && !ref.owner().equals(tenant))) {
            return null;
        }
        return store.books().execute(ref.kind(), new MarketCommands.GetOrder(id));
    }

    /** How many of {@code tenant}'s orders have not ended, across every kind. */
    public int openOrderCount(String tenant) {
        int n = 0;
        for (String kind : ledger.kinds()) {
            n += store.books().execute(kind, new MarketCommands.OpenCount(tenant));
        }
        return n;
    }

    /** Returns the live orders of {@code tenant} across every kind. */
    public List<MarketOrder> openOrders(String tenant) {
        List<MarketOrder> out = new ArrayList<>();
        for (String kind : ledger.kinds()) {
            out.addAll(store.books().execute(kind, new MarketCommands.OrdersOf(tenant, true)));
        }
        out.sort(Comparator.comparingLong(MarketOrder::createdAt).thenComparing(MarketOrder::id));
        return out;
    }

    /** Returns a snapshot of {@code kind}'s market, or {@code null} for an unknown kind. */
    public Book.View view(String kind, int levels) {
        if (!ledger.isKind(kind)) {
            return null;
        }
        Book.View v = store.books().execute(kind, new MarketCommands.ViewOf(levels));
        return v != null ? v : new Book(kind).view(levels);
    }

    /** Returns {@code kind}'s price history in buckets of {@code step} millis over {@code [from, to)}. */
    public List<PriceHistory.Bucket> history(String kind, long from, long to, long step) {
        return store.books().execute(kind, new MarketCommands.History(from, to, step));
    }

    // ---------------------------------------------------------------- claim funding

    /** The spot price of {@code kind} per unit-hour: the posted one, or the curve's floor before the first. */
    public long spot(String kind) {
        Book.View v = store.books().execute(kind, new MarketCommands.ViewOf(0));
        long posted = v == null ? 0 : v.spotPrice();
        return posted > 0 ? posted : settings.curve().floor();
    }

    /** What one unit-hour of {@code kind} costs a purchase: the spot price, plus the premium if urgent. */
    public long unitPrice(String kind, boolean urgent) {
        long spot = spot(kind);
        if (!urgent) {
            return spot;
        }
        long withPremium = Math.multiplyExact(spot, 100 + settings.urgentPremiumPercent());
        return -Math.floorDiv(-withPremium, 100);
    }

    // ---------------------------------------------------------------- loans

    /** Returns the loans {@code tenant} lends or borrows (everyone's if {@code null}), live ones if {@code liveOnly}. */
    public List<Loan> loans(String tenant, boolean liveOnly) {
        List<Loan> out = new ArrayList<>(store.loans().values(new MarketFilters.LoansOf(tenant, liveOnly)));
        out.sort(IN_ORDER);
        return out;
    }

    /** Returns the loans that fills of order {@code orderId} became, oldest first. */
    public List<Loan> fills(String orderId) {
        List<Loan> out = new ArrayList<>(store.loans().values(new MarketFilters.LoansOfOrder(orderId)));
        out.sort(IN_ORDER);
        return out;
    }

    /** Returns a loan, or {@code null}. */
    public Loan loan(String id) {
        return store.loans().get(id);
    }

    /**
     * Recalls a loan of {@code lender} with {@code noticeSeconds} of notice: the borrower's grants that would no
     * longer fit without it are told at once ({@code PREEMPT_NOTICE} and the deadline on the claim), and at the
     * deadline the loan ends.
     */
    public Result<Loan> recall(String loanId, String lender, long noticeSeconds) {
        return ledger.atomically(l -> l.exchange().recallNow(loanId, lender, noticeSeconds));
    }

    private Result<Loan> recallNow(String loanId, String lender, long noticeSeconds) {
        if (noticeSeconds < 0 || noticeSeconds > settings.maxTermSeconds()) {
            return Result.rejected(Rejection.Code.INVALID, "noticeSeconds must be between 0 and "
                    + settings.maxTermSeconds() + ", was " + noticeSeconds);
        }
        long now = clock.millis();
        Result<Loan> r = store.loans().execute(loanId, new MarketCommands.Recall(lender, now + noticeSeconds * 1000));
        if (!r.ok()) {
            return r;
        }
        Loan l = r.value();
        TenantState b = store.tenants().get(l.borrower());
        long excess = b == null ? 0 : b.used(l.kind()) - (b.entitlement(l.kind(), true) - l.amount());
        for (Claim c : victims(l, excess)) {
            store.claims().execute(c.id(), new ClaimCommands.NoticePreempt(l.dueAt(), now));
            LOG.info("preempt notice claim={} tenant={} loan={} at={}", c.id(), c.tenant(), l.id(), l.dueAt());
        }
        LOG.info("loan recalled loan={} lender={} borrower={} deadline={}", l.id(), l.lender(), l.borrower(), l.dueAt());
        if (noticeSeconds == 0) {
            endLoanNow(loanId); // in the same change: nothing else runs between the recall and the end
        }
        return Result.ok(store.loans().get(loanId));
    }

    /** The borrower's grants to preempt so that {@code excess} of the loan's kind is freed, in preemption order. */
    private List<Claim> victims(Loan l, long excess) {
        List<Claim> out = new ArrayList<>();
        if (excess <= 0) {
            return out;
        }
        List<Claim> held = new ArrayList<>(store.claims().values(
                new ClaimFilters.GrantedHolding(l.borrower(), l.kind())));
        held.sort(Comparator.comparingInt(Claim::priority).thenComparing(Comparator.comparingLong(Claim::grantedAt)
                .reversed()).thenComparing(Claim::id));
        long freed = 0;
        for (Claim c : held) {
            if (freed >= excess) {
                break;
            }
            out.add(c);
            freed += Amounts.get(c.bundle().amounts(), l.kind());
        }
        return out;
    }

    /** Ends a loan that is due (or ending): preempts what no longer fits, removes the shares, pays out escrow. */
    public Loan endLoan(String loanId) {
        return ledger.atomically(l -> l.exchange().endLoanNow(loanId));
    }

    Loan endLoanNow(String loanId) {
        long now = clock.millis();
        Loan l = store.loans().execute(loanId, new MarketCommands.BeginEnd(now));
        if (l == null || l.state() != Loan.State.ENDING) {
            return l;
        }
        store.tenants().execute(l.borrower(), new MarketCommands.MarkEnding(loanId));
        for (int round = 0; round < 10; round++) {
            long excess = store.tenants().execute(l.borrower(), new MarketCommands.RemoveShare(loanId));
            if (excess <= 0) {
                break;
            }
            for (Claim c : victims(l, excess)) {
                ClaimCommands.Transition t = store.claims().execute(c.id(), new ClaimCommands.Preempt(l.endReason(), now));
                if (t.ok()) {
                    l = store.loans().execute(loanId, new MarketCommands.RecordPreempted(c.id()));
                    ledger.returnTokens(t.claim());
                    LOG.info("claim preempted claim={} tenant={} loan={} reason={}", c.id(), c.tenant(), loanId,
                            l.endReason());
                }
            }
        }
        TenantState b = store.tenants().get(l.borrower());
        if (b != null && b.loans().containsKey(loanId)) {
            LOG.warn("loan={} still covers grants of {}; the next sweep goes on", loanId, l.borrower());
            return l;
        }
        store.tenants().execute(l.lender(), new MarketCommands.RemoveShare(loanId));
        l = store.loans().get(loanId); // with every preemption recorded, whoever recorded it
        if (!payOut(l)) {
            return l; // ENDING still: the next sweep pays out what is not yet paid
        }
        Loan ended = store.loans().execute(loanId, new MarketCommands.FinishEnd());
        LOG.info("loan ended loan={} reason={} earned={} refunded={} preempted={}", loanId, l.endReason(), l.earned(),
                l.cost() - l.earned(), l.preempted().size());
        return ended;
    }

    /** Pays out escrow (or the house) at a loan's end; answers whether every entry is posted. */
    private boolean payOut(Loan l) {
        long earned = l.earned();
        long refund = l.cost() - earned;
        if (Loan.HOUSE.equals(l.lender())) {
            // paid to the house at the purchase: only an early end gives the unused part back
            if (refund > 0) {
                return post(JournalEntry.transfer(l.id() + ":refund", l.endedAt(), JournalEntry.Reason.PURCHASE_REFUND,
                        "purchase " + l.id() + " of " + l.amount() + " " + l.kind() + " ended early ("
                                + l.endReason() + "): unused part refunded", null, l.id(), Account.HOUSE,
                        Account.ofTenant(l.borrower()), refund));
            }
            return true;
        }
        boolean all = true;
        long compensation = "RECALL".equals(l.endReason())
                ? Math.min(earned, Math.multiplyExact(settings.compensation(), (long) l.preempted().size())) : 0;
        long toLender = earned - compensation;
        String lender = Account.ofTenant(l.lender());
        String borrower = Account.ofTenant(l.borrower());
        if (toLender > 0) {
            all &= post(JournalEntry.transfer(l.id() + ":settle", l.endedAt(), JournalEntry.Reason.LOAN_SETTLEMENT,
                    "loan " + l.id() + " of " + l.amount() + " " + l.kind() + " to " + l.borrower() + ": paid for "
                            + (Math.min(l.endedAt(), l.endsAt()) - l.startedAt()) / 1000 + " s served"
                            + (compensation > 0 ? ", less " + compensation + " compensation" : ""),
                    null, l.id(), Account.ESCROW, lender, toLender));
        }
        if (refund > 0) {
            all &= post(JournalEntry.transfer(l.id() + ":refund", l.endedAt(), JournalEntry.Reason.LOAN_REFUND,
                    "loan " + l.id() + " from " + l.lender() + " ended by " + l.endReason()
                            + " before its term: unused part refunded", null, l.id(), Account.ESCROW, borrower, refund));
        }
        if (compensation > 0) {
            all &= post(JournalEntry.transfer(l.id() + ":compensation", l.endedAt(), JournalEntry.Reason.COMPENSATION,
                    "loan " + l.id() + " recalled by " + l.lender() + ": " + l.preempted().size()
                            + " grant(s) preempted " + l.preempted(), null, l.id(), Account.ESCROW, borrower,
                    compensation));
        }
        return all;
    }

    /** Posts a system entry; answers whether it is posted. */
    boolean post(JournalEntry e) {
        Result<JournalEntry> r = ledger.accounts().post(e);
        if (!r.ok()) {
            LOG.warn("could not post entry={}: {}", e.id(), r.rejection().detail());
        }
        return r.ok();
    }

    // ---------------------------------------------------------------- sweeps

    /** One sweep of the whole market: {@link #sweepBooks} then {@link #sweepLoans}; returns how many loans ended. */
    public int sweep() {
        sweepBooks();
        return sweepLoans();
    }

    /**
     * Expires orders, cancels the bids of claims that ended, finishes every book's pending work (trades into loans,
     * releases), and forgets old orders. Books are kind-wide, so one member runs this (the admission loop's).
     */
    public void sweepBooks() {
        for (String kind : ledger.kinds()) {
            ledger.atomically(l -> {
                l.exchange().sweepBook(kind);
                return null;
            });
        }
    }

    private void sweepBook(String kind) {
        long now = clock.millis();
        store.books().execute(kind, new MarketCommands.Expire(now));
        for (MarketOrder o : store.books().execute(kind, new MarketCommands.OrdersOf(null, true))) {
            Claim c = o.forClaim() == null ? null : store.claims().get(o.forClaim());
            // a claim's bids are placed in the command that stores the claim: without it, they are orphans
            boolean gone = c == null || c.state().isFinal();
            if (o.forClaim() != null && gone && o.state().isResting()) {
                store.books().execute(kind, new MarketCommands.Cancel(o.id(), o.owner(), now));
            }
        }
        finishBook(kind);
        long cutoff = now - ledger.settings().retentionMillis();
        for (String id : store.books().execute(kind, new MarketCommands.Purge(cutoff))) {
            store.orders().execute(id, new MarketCommands.ForgetRef());
        }
    }

    /**
     * Ends the loans on this member's keys that are due (term over, or recall deadline passed), and forgets those
     * that ended more than the retention time ago; returns how many ended.
     */
    public int sweepLoans() {
        long cutoff = clock.millis() - ledger.settings().retentionMillis();
        for (String id : store.loans().localKeys(new MarketFilters.PurgeableLoans(cutoff))) {
            store.loans().execute(id, new MarketCommands.PurgeLoan(cutoff));
        }
        int ended = 0;
        for (String id : store.loans().localKeys(new MarketFilters.LoansDue(clock.millis()))) {
            Loan l = endLoan(id);
            if (l != null && l.state() == Loan.State.ENDED) {
                ended++;
            }
        }
        return ended;
    }

    /**
     * Moves each kind's posted spot price towards the curve's value at the kind's utilisation (granted over
     * capacity, summed over every node; a kind with no capacity yet is left alone), then tells the price alerts of
     * each kind its new posted price ({@link PriceAlerts#observe}); answers the posted prices.
     */
    public Map<String, Long> updateSpot() {
        return ledger.atomically(l -> l.exchange().updateSpotNow());
    }

    private Map<String, Long> updateSpotNow() {
        SpotPriceCurve curve = settings.curve();
        long now = clock.millis();
        Map<String, long[]> use = new java.util.TreeMap<>();
        for (String kind : ledger.kinds()) {
            use.put(kind, new long[2]);
        }
        for (NodeState n : store.nodes().entries().values()) {
            for (String kind : use.keySet()) {
                long[] u = use.get(kind);
                u[0] = Math.addExact(u[0], n.holdings().granted(kind));
                u[1] = Math.addExact(u[1], n.capacity(kind));
            }
        }
        Map<String, Long> out = new java.util.TreeMap<>();
        use.forEach((kind, u) -> {
            if (u[1] > 0) { // no capacity reported yet: nothing to price (spot() answers the floor meanwhile)
                out.put(kind, store.books().execute(kind,
                        new MarketCommands.Spot(kind, curve.priceAt(u[0], u[1]), settings.spotWindowMillis(), now)));
            }
        });
        ledger.alerts().observe(out); // each alert of a kind learns its new price, on its own key
        return out;
    }
}
