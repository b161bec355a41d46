package io.ichiba.ledger;

import java.io.Serializable;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

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
        implements Place<TenantState> {

    /**
     * Quota set aside by a resting offer.
     *
     * @param kind   the kind
     * @param amount what is still offered
     */
    public record Earmark(String kind, long amount) implements Serializable {
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
    public record LoanShare(String kind, long amount, boolean lent, boolean ending) implements Serializable {
    }

    /** Normalises the maps. */
    public TenantState {
        quota = Amounts.of(quota);
        Amounts.requireNonNegative(quota, "quota");
        holdings = holdings == null ? Holdings.empty() : holdings;
        lendingLimit = Amounts.copyOf(lendingLimit);
        Amounts.requireNonNegative(lendingLimit, "lendingLimit");
        earmarks = Collections.unmodifiableSortedMap(new TreeMap<>(earmarks == null ? Collections.emptyMap() : earmarks));
        loans = Collections.unmodifiableSortedMap(new TreeMap<>(loans == null ? Collections.emptyMap() : loans));
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

    /** Returns what the tenant borrows of {@code kind} (ending loans included). */
    public long borrowed(String kind) {
        return loans.values().stream().filter(s -> !s.lent() && s.kind().equals(kind)).mapToLong(LoanShare::amount).sum();
    }

    /** Returns what the tenant lends of {@code kind}. */
    public long lent(String kind) {
        return loans.values().stream().filter(s -> s.lent() && s.kind().equals(kind)).mapToLong(LoanShare::amount).sum();
    }

    /** Returns what the tenant's resting offers set aside of {@code kind}. */
    public long offered(String kind) {
        return earmarks.values().stream().filter(e -> e.kind().equals(kind)).mapToLong(Earmark::amount).sum();
    }

    /** Borrowed amounts per kind. */
    public SortedMap<String, Long> borrowed() {
        return sumLoans(false);
    }

    /** Amounts resting offers set aside, per kind. */
    public SortedMap<String, Long> offered() {
        TreeMap<String, Long> out = new TreeMap<>();
        earmarks.values().forEach(e -> out.merge(e.kind(), e.amount(), Math::addExact));
        return Collections.unmodifiableSortedMap(out);
    }

    /** Lent amounts per kind. */
    public SortedMap<String, Long> lent() {
        return sumLoans(true);
    }

    private SortedMap<String, Long> sumLoans(boolean lent) {
        TreeMap<String, Long> out = new TreeMap<>();
        loans.values().stream().filter(s -> s.lent() == lent).forEach(s -> out.merge(s.kind(), s.amount(), Math::addExact));
        return Collections.unmodifiableSortedMap(out);
    }

    /**
     * What the tenant's claims may hold of {@code kind}: quota + borrowed - lent - offered, leaving out borrowed
     * loans that are ending unless {@code withEnding}.
     */
    public long entitlement(String kind, boolean withEnding) {
        long e = quota(kind);
        for (LoanShare s : loans.values()) {
            if (s.kind().equals(kind)) {
                if (s.lent()) {
                    e -= s.amount();
                } else if (withEnding || !s.ending()) {
                    e += s.amount();
                }
            }
        }
        return e - offered(kind);
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

    @Override
    public TenantState withHoldings(Holdings h) {
        return new TenantState(id, quota, h, createdAt, lendingLimit, earmarks, loans, limits);
    }

    TenantState withLendingLimit(SortedMap<String, Long> limit) {
        return new TenantState(id, quota, holdings, createdAt, limit, earmarks, loans, limits);
    }

    TenantState withLimits(SortedMap<String, Long> own) {
        return new TenantState(id, quota, holdings, createdAt, lendingLimit, earmarks, loans, own);
    }

    TenantState withEarmarks(SortedMap<String, Earmark> e) {
        return new TenantState(id, quota, holdings, createdAt, lendingLimit, e, loans, limits);
    }

    /** Returns this tenant with other loan shares (the admission loop also tries hypothetical ones). */
    public TenantState withLoans(SortedMap<String, LoanShare> l) {
        return new TenantState(id, quota, holdings, createdAt, lendingLimit, earmarks, l, limits);
    }

    @Override
    public Rejection checkHold(String claimId, SortedMap<String, Long> amounts, long now, long until) {
        Rejection r = checkHold(claimId, amounts);
        if (r != null || until <= now) {
            return r;
        }
        Holdings others = holdings.without(claimId, Holdings.ANY_ATTEMPT);
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
        Holdings others = holdings.without(claimId, Holdings.ANY_ATTEMPT);
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
