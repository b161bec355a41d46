package io.ichiba.ledger.tenant;

import io.ichiba.ledger.Rejection;
import io.ichiba.ledger.pool.Amounts;
import io.ichiba.ledger.pool.Holdings;
import io.ichiba.ledger.pool.Place;
import io.ichiba.ledger.pool.Tallied;

import java.io.Serializable;
import java.util.SortedMap;

/**
 * A tenant: its quota per node-local kind (cluster-wide, MiB), what it lends and borrows on the market, and what
 * its live claims hold against it.
 *
 * <p>A kind absent from the quota has quota zero. Locks are not counted against quota: a lock's permits are
 * its own limit. What the tenant's claims may hold of a kind, its <em>entitlement</em>, is its quota plus what
 * it borrows, less what it lends and what its resting offers earmark. A loan that is ending no longer counts
 * for new holds, only for the holds it already covers.
 *
 * @param id           tenant id
 * @param quota        kind to the amount the tenant owns
 * @param holdings     what the tenant's claims hold, by claim id
 * @param createdAt    epoch millis
 * @param lendingLimit kind to the most the tenant may lend or offer at once (absent: its whole quota)
 * @param earmarks     the amounts its resting offers set aside, by order id
 * @param loans        its share of each loan, lent or borrowed, by loan id
 * @param limits       the operator's limits for this tenant by name ({@link TenantLimits#NAMES}), over the broker's
 *                     (absent: the broker's)
 */
public record TenantState(String id, SortedMap<String, Long> quota, Holdings holdings, long createdAt,
                          SortedMap<String, Long> lendingLimit, SortedMap<String, Earmark> earmarks,
                          SortedMap<String, LoanShare> loans, SortedMap<String, Long> limits)
        implements Place<TenantState>, io.ichiba.ledger.store.Incremental<TenantState> {

    /**
     * Quota set aside by a resting offer.
     *
     * @param kind   the kind
     * @param amount what is still offered
     */
    public record Earmark(String kind, long amount) implements Serializable, Tallied.Tally {
        @Override
        public void count(java.util.function.BiConsumer<String, Long> into) {
            into.accept(OFFERED + kind, amount);
        }
    }

    /**
     * A tenant's side of a loan.
     *
     * @param kind   the kind
     * @param amount the amount lent or borrowed
     * @param lent   whether this tenant is the lender (else the borrower)
     * @param ending whether the loan is ending (recalled past its deadline, or at its term): it covers the holds
     *               it covers, and no new ones
     */
    public record LoanShare(String kind, long amount, boolean lent, boolean ending) implements Serializable,
            Tallied.Tally {
        @Override
        public void count(java.util.function.BiConsumer<String, Long> into) {
            if (lent) {
                into.accept(LENT + kind, amount);
            } else {
                into.accept(BORROWED + kind, amount);
                if (!ending) {
                    into.accept(BORROWED_LIVE + kind, amount);
                }
            }
        }
    }

    /** How many earmarks, loan shares and holders a tenant has before a change of it travels as a patch. */
    static final int PATCHED_FROM = 16;

    /** The names of the totals the earmarks and loan shares keep, followed by a kind. */
    private static final String OFFERED = "offered/";
    private static final String LENT = "lent/";
    private static final String BORROWED = "borrowed/";
    private static final String BORROWED_LIVE = "borrowedLive/";

    /** Normalises the maps. */
    public TenantState {
        quota = Amounts.of(quota);
        Amounts.requireNonNegative(quota, "quota");
        holdings = holdings == null ? Holdings.empty() : holdings;
        lendingLimit = Amounts.copyOf(lendingLimit);
        Amounts.requireNonNegative(lendingLimit, "lendingLimit");
        earmarks = Tallied.of(earmarks); // shared with the tenant this one was made from (no copy), and summed
        loans = Tallied.of(loans);
        limits = Amounts.copyOf(limits);
        Amounts.requireNonNegative(limits, "limits");
    }

    /** A tenant with the broker's limits. */
    public TenantState(String id, SortedMap<String, Long> quota, Holdings holdings, long createdAt,
                       SortedMap<String, Long> lendingLimit, SortedMap<String, Earmark> earmarks,
                       SortedMap<String, LoanShare> loans) {
        this(id, quota, holdings, createdAt, lendingLimit, earmarks, loans, null);
    }

    /** A tenant with no market activity. */
    public TenantState(String id, SortedMap<String, Long> quota, Holdings holdings, long createdAt) {
        this(id, quota, holdings, createdAt, null, null, null, null);
    }

    /** This tenant's limits: {@code defaults} (the broker's) with the operator's own for it over them. */
    public TenantLimits limits(TenantLimits defaults) {
        return defaults.with(limits);
    }

    /** Returns the quota of {@code kind}. */
    public long quota(String kind) {
        return Amounts.get(quota, kind);
    }

    /** Returns the amount of {@code kind} the tenant's claims hold. */
    public long used(String kind) {
        return holdings.granted(kind);
    }

    @SuppressWarnings("unchecked")
    private Tallied<LoanShare> shares() {
        return (Tallied<LoanShare>) loans;
    }

    @SuppressWarnings("unchecked")
    private Tallied<Earmark> marks() {
        return (Tallied<Earmark>) earmarks;
    }

    /** Returns what the tenant borrows of {@code kind} (ending loans included). */
    public long borrowed(String kind) {
        return shares().total(BORROWED + kind);
    }

    /** Returns what the tenant lends of {@code kind}. */
    public long lent(String kind) {
        return shares().total(LENT + kind);
    }

    /** Returns what the tenant's resting offers set aside of {@code kind}. */
    public long offered(String kind) {
        return marks().total(OFFERED + kind);
    }

    /** Borrowed amounts per kind. */
    public SortedMap<String, Long> borrowed() {
        return shares().totals(BORROWED);
    }

    /** Amounts resting offers set aside, per kind. */
    public SortedMap<String, Long> offered() {
        return marks().totals(OFFERED);
    }

    /** Lent amounts per kind. */
    public SortedMap<String, Long> lent() {
        return shares().totals(LENT);
    }

    /**
     * What the tenant's claims may hold of {@code kind}: quota + borrowed - lent - offered, leaving out borrowed
     * loans that are ending unless {@code withEnding}.
     */
    public long entitlement(String kind, boolean withEnding) {
        long borrowed = withEnding ? borrowed(kind) : shares().total(BORROWED_LIVE + kind);
        return quota(kind) + borrowed - lent(kind) - offered(kind);
    }

    /**
     * What the tenant may still offer of {@code kind}: owned quota that is not used, lent or offered, within its
     * lending limit. Borrowed quota is not lendable; usage counts against owned quota first.
     */
    public long lendable(String kind) {
        long own = quota(kind) - lent(kind) - offered(kind) - used(kind);
        Long limit = lendingLimit.get(kind);
        if (limit != null) {
            own = Math.min(own, limit - lent(kind) - offered(kind));
        }
        return Math.max(0, own);
    }

    /**
     * What changed from {@code before}: this tenant without its earmarks, loan shares and holdings, and those of them
     * that changed (thousands for a tenant that trades or holds many claims, of which an order or a grant changes one
     * or two).
     */
    @Override
    public io.ichiba.ledger.store.Incremental.Patch<TenantState> since(TenantState before) {
        if (earmarks.size() + loans.size() + holdings.size() < PATCHED_FROM) {
            return null; // as small whole
        }
        java.util.Map<String, Earmark> e = marks().changesSince(before.marks());
        java.util.Map<String, LoanShare> l = shares().changesSince(before.shares());
        Holdings.Changes h = holdings.changesSince(before.holdings());
        if (e == null || l == null || h == null) {
            return null;
        }
        return new Changed(new TenantState(id, quota, Holdings.empty(), createdAt, lendingLimit, null, null, limits), e,
                l, h);
    }

    @Override
    public void committed() {
        marks().forgetPast();
        shares().forgetPast();
        holdings.forgetPast();
    }

    /**
     * A tenant's change: every field but its earmarks, loan shares and holdings as {@code rest} has them, and those
     * of them that changed, each set to its value ({@code null}: removed).
     */
    record Changed(TenantState rest, java.util.Map<String, Earmark> earmarks, java.util.Map<String, LoanShare> loans,
                   Holdings.Changes holdings) implements io.ichiba.ledger.store.Incremental.Patch<TenantState> {
        @Override
        public TenantState applyTo(TenantState before) {
            Tallied<Earmark> e = before.marks();
            for (var c : new java.util.TreeMap<>(earmarks).entrySet()) {
                e = e.with(c.getKey(), c.getValue());
            }
            Tallied<LoanShare> l = before.shares();
            for (var c : new java.util.TreeMap<>(loans).entrySet()) {
                l = l.with(c.getKey(), c.getValue());
            }
            return new TenantState(rest.id(), rest.quota(), before.holdings().applied(holdings), rest.createdAt(),
                    rest.lendingLimit(), e, l, rest.limits());
        }
    }

    @Override
    public TenantState withHoldings(Holdings h) {
        return new TenantState(id, quota, h, createdAt, lendingLimit, earmarks, loans, limits);
    }

    public TenantState withLendingLimit(SortedMap<String, Long> limit) {
        return new TenantState(id, quota, holdings, createdAt, limit, earmarks, loans, limits);
    }

    public TenantState withLimits(SortedMap<String, Long> own) {
        return new TenantState(id, quota, holdings, createdAt, lendingLimit, earmarks, loans, own);
    }

    /** Returns this tenant with the earmark of offer {@code orderId} set to {@code e} ({@code null}: dropped). */
    public TenantState withEarmark(String orderId, Earmark e) {
        return new TenantState(id, quota, holdings, createdAt, lendingLimit, marks().with(orderId, e), loans, limits);
    }

    /**
     * Returns this tenant with its share of loan {@code loanId} set to {@code s} ({@code null}: removed); the
     * admission loop also tries hypothetical ones.
     */
    public TenantState withLoan(String loanId, LoanShare s) {
        return new TenantState(id, quota, holdings, createdAt, lendingLimit, earmarks, shares().with(loanId, s), limits);
    }

    @Override
    public Rejection checkHold(String claimId, SortedMap<String, Long> amounts, long now, long until) {
        Rejection r = checkHold(claimId, amounts);
        if (r != null || until <= now) {
            return r;
        }
        Holdings others = holdings.without(claimId);
        for (var e : amounts.entrySet()) {
            long booked = holdings.bookedPeak(e.getKey(), now, until, claimId);
            long used = Math.addExact(others.granted(e.getKey()), booked);
            if (booked > 0 && Math.addExact(used, e.getValue()) > entitlement(e.getKey(), false)) {
                return Rejection.of(Rejection.Code.RESERVED, "tenant " + id + " has " + booked + " "
                        + e.getKey() + " of its quota reserved before this lease would end; "
                        + Math.max(0, entitlement(e.getKey(), false) - used) + " free for it, " + e.getValue()
                        + " asked");
            }
        }
        return null;
    }

    /** Reservations funded by quota are promised the tenant's own quota, less what it lends and offers. */
    @Override
    public long bookable(String kind) {
        return Math.max(0, quota(kind) - lent(kind) - offered(kind));
    }

    @Override
    public Rejection checkHold(String claimId, SortedMap<String, Long> amounts) {
        Holdings others = holdings.without(claimId);
        for (var e : amounts.entrySet()) {
            long used = others.granted(e.getKey());
            long entitled = entitlement(e.getKey(), false);
            if (Math.addExact(used, e.getValue()) > entitled) {
                return Rejection.of(Rejection.Code.QUOTA, "tenant " + id + " uses " + used + " of its "
                        + entitled + " " + e.getKey() + " (quota " + quota(e.getKey()) + ", borrowed "
                        + borrowed(e.getKey()) + ", lent " + lent(e.getKey()) + ", offered " + offered(e.getKey())
                        + "), " + e.getValue() + " asked");
            }
        }
        return null;
    }
}
