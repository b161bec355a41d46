package io.ichiba.ledger;

import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimFilters;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.claim.Funding;
import io.ichiba.ledger.credit.Account;
import io.ichiba.ledger.credit.Accounts;
import io.ichiba.ledger.credit.JournalEntry;
import io.ichiba.ledger.market.MarketOrder;
import io.ichiba.ledger.pool.Booking;
import io.ichiba.ledger.pool.LockState;
import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.pool.Place;
import io.ichiba.ledger.pool.PlaceCommands.Book;
import io.ichiba.ledger.pool.PlaceCommands.CreateIfAbsent;
import io.ichiba.ledger.pool.PlaceCommands.Unbook;
import io.ichiba.ledger.pool.Timeline;
import io.ichiba.ledger.reservation.Reservation;
import io.ichiba.ledger.reservation.ReservationCommands;
import io.ichiba.ledger.reservation.ReservationFilters;
import io.ichiba.ledger.reservation.ReservationPlanner;
import io.ichiba.ledger.reservation.ReservationSettings;
import io.ichiba.ledger.store.Store;
import io.ichiba.ledger.tenant.TenantState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Advance reservations: booking over a window, the recall before it opens, its copies' claims while it is open,
 * cancellation and refunds. Booking, reads and cancelling are here; what happens around the window is done by
 * {@link ReservationSweep}, run through {@link #sweep}.
 *
 * <h2>Booking (one change of the engine)</h2>
 * <pre>
 *   plan on the engine's state: a node per copy over [start, end)   ReservationPlanner
 *   tenant (on quota), each node, each lock: Book                    -- refused? Unbook what was booked
 *   house: a bought reservation pays spot x amount x window          -- refused? Unbook all
 *   reservation: written BOOKED
 * </pre>
 * Each place checks its own timeline too ({@link Book}), so no booking or grant ever over-promises a moment
 * (law 1). The booking is one command: nobody sees it half made, and there is nothing for a sweep to finish.
 *
 * <h2>Around the window</h2>
 * Grants may use booked capacity while it is idle only if their lease ends before the window opens; a lease
 * renewed past it is the exception, so {@code leadSeconds} before the start the sweep tells the fewest grants
 * needed (lowest priority first, youngest first) that they will be preempted at the start ({@code PREEMPT_NOTICE},
 * then {@code PREEMPTED} with reason {@code RESERVATION}); quota booked on the tenant may be lent meanwhile, and the
 * loans that would still take it at the start are recalled with notice until the start. At the start each copy's
 * booking becomes its claim's hold, the claim granted; renewals never run past the end, so every copy's lease ends by
 * then.
 *
 * <h2>Refunds</h2>
 * A bought reservation cancelled before its start is refunded its price less the cancellation fee; cancelled
 * while open, the part of its price for the rest of the window, less the same fee. A reservation on quota costs
 * nothing and refunds nothing.
 */
public final class Reservations {
    private static final Logger LOG = LoggerFactory.getLogger(Reservations.class);
    /** The reason a grant preempted for a reservation's start ends with. */
    public static final String PREEMPT_REASON = "RESERVATION";

    private final Ledger ledger;
    private final Store store;
    private final ReservationSettings settings;
    private final ReservationSweep sweeper;

    /** Creates the reservations over the ledger's store. */
    public Reservations(Ledger ledger, ReservationSettings settings) {
        this.ledger = ledger;
        this.store = ledger.store();
        this.settings = settings;
        this.sweeper = new ReservationSweep(ledger, this, settings);
    }

    /** Returns the settings. */
    public ReservationSettings settings() {
        return settings;
    }

    /**
     * What a tenant asks to reserve.
     *
     * @param bundle       one copy
     * @param count        how many copies
     * @param start        epoch millis the window opens
     * @param end          epoch millis it closes
     * @param node         the node asked for, or {@code null}
     * @param funding      {@code QUOTA} or {@code BUY}
     * @param leaseSeconds each copy's lease (0: the whole window, within the longest lease)
     * @param priority     each copy's priority
     */
    public record Request(Bundle bundle, int count, long start, long end, String node, Funding funding,
                          long leaseSeconds, int priority) implements java.io.Serializable {
    }

    /**
     * The answer to a booking: the reservation, or why not and — when the window is full — the earliest start
     * (epoch millis) of a window of the same length that fits now, or -1 if none within the horizon.
     *
     * @param reservation the reservation, when booked (or as it is, for a repeated id)
     * @param rejection   why not, or {@code null}
     * @param earliest    the earliest start that fits, with {@code WINDOW_FULL}; else -1
     */
    public record Booked(Reservation reservation, Rejection rejection, long earliest) implements java.io.Serializable {
        /** Whether it was booked. */
        public boolean ok() {
            return rejection == null;
        }
    }

    // ---------------------------------------------------------------- booking

    /** Validates, plans, books and (if bought) pays for a reservation; the same id again answers it as stored. */
    public Booked book(String id, String tenant, Request r) {
        return ledger.atomically(l -> l.reservations().bookNow(id, tenant, r));
    }

    private Booked bookNow(String id, String tenant, Request r) {
        Reservation existing = store.reservations().get(id);
        if (existing != null) {
            return existing.tenant().equals(tenant) ? new Booked(existing, null, -1)
                    : new Booked(null, Rejection.of(Rejection.Code.ALREADY_EXISTS, "reservation id " + id + " is taken"), -1);
        }
        long now = ledger.clock().millis();
        Rejection bad = validate(tenant, r, now);
        if (bad == null) {
            bad = ledger.checkReservationLimit(tenant);
        }
        if (bad != null) {
            return new Booked(null, bad, -1);
        }
        long start = Math.max(r.start(), now);
        long lease = r.leaseSeconds() > 0 ? r.leaseSeconds()
                : Math.min(ledger.settings().maxLeaseSeconds(), Math.max(1, (r.end() - start + 999) / 1000));
        long price = 0;
        if (r.funding().buys()) {
            try {
                price = price(r.bundle(), r.count(), r.end() - start, r.funding().maxPrice());
            } catch (ArithmeticException e) {
                price = Long.MAX_VALUE; // past any balance: refused below, never a 500 (issue 13, defect 12)
            }
            if (price > Accounts.MAX_AMOUNT) {
                return new Booked(null, Rejection.of(Rejection.Code.INVALID, "the window would cost more than the "
                        + "largest amount of credits (" + Accounts.MAX_AMOUNT + ") at today's spot prices: ask for "
                        + "less, fewer copies or a shorter window"), -1);
            }
            if (price < 0) {
                return new Booked(null, Rejection.of(Rejection.Code.PRICE, "the spot price of a kind of the bundle is "
                        + "above funding.maxPrice " + r.funding().maxPrice()), -1);
            }
            Rejection poor = price == 0 ? null : ledger.exchange().canPay(tenant, price);
            if (poor != null) {
                return new Booked(null, Rejection.of(Rejection.Code.INSUFFICIENT_CREDIT, "the window costs " + price
                        + " at today's spot prices: " + poor.detail()), -1);
            }
        }
        // one command: the snapshot is the state the booking writes to, so the plan holds as made
        ReservationPlanner.Snapshot snap = snapshot(r.funding().mode() == Funding.Mode.QUOTA ? tenant : null);
        List<String> plan = ReservationPlanner.plan(r.bundle(), r.count(), start, r.end(), r.node(), snap);
        if (plan == null) {
            long length = r.end() - start;
            long earliest = ReservationPlanner.earliest(r.bundle(), r.count(), start, length, r.node(), snap,
                    now + settings.maxAdvanceSeconds() * 1000, settings.searchLimit());
            return new Booked(null, Rejection.of(Rejection.Code.WINDOW_FULL, "the capacity left over the window "
                    + "does not hold " + r.count() + " cop" + (r.count() == 1 ? "y" : "ies") + " of the bundle"
                    + (earliest < 0 ? "; no window of the same length fits within "
                    + settings.maxAdvanceSeconds() / 86_400 + " days" : "")), earliest);
        }
        TreeMap<String, String> copies = new TreeMap<>();
        for (int i = 0; i < plan.size(); i++) {
            copies.put(Reservation.copyId(id, i + 1), plan.get(i));
        }
        Reservation booked = new Reservation(id, tenant, r.bundle(), r.count(), start, r.end(), r.node(),
                r.funding(), lease, r.priority(), Reservation.State.BOOKED, copies, price, 0, now, now, null, null);
        Rejection refused = bookPlaces(booked, snap.deadlines());
        if (refused == null && price > 0) {
            Result<JournalEntry> paid = ledger.accounts().post(JournalEntry.transfer(id + ":reservation", now,
                    JournalEntry.Reason.RESERVATION, "reservation " + id + " of " + r.count() + " x "
                            + r.bundle().amounts() + " for " + (r.end() - start) / 1000 + " s", null, id,
                    Account.ofTenant(tenant), Account.HOUSE, price));
            refused = paid.rejection();
        }
        if (refused != null) {
            withdraw(booked); // the places booked before the refusal, in this same command
            return new Booked(null, refused, -1);
        }
        store.reservations().execute(id, new CreateIfAbsent<>(booked));
        LOG.info("reservation booked id={} tenant={} copies={} window=[{}, {}) nodes={} price={}", id, tenant,
                r.count(), start, r.end(), booked.nodes(), price);
        return new Booked(booked, null, -1);
    }

    /** What a window of {@code count} copies costs at today's spot prices; -1 if a price is above {@code cap}. */
    long price(Bundle b, int count, long millis, long cap) {
        long seconds = (millis + 999) / 1000;
        long total = 0;
        for (var e : b.amounts().entrySet()) {
            long unit = ledger.exchange().spot(e.getKey());
            if (cap > 0 && unit > cap) {
                return -1;
            }
            total = Math.addExact(total, MarketOrder.cost(unit, Math.multiplyExact(e.getValue(), (long) count), seconds));
        }
        return total;
    }

    private Rejection validate(String tenant, Request r, long now) {
        if (r.count() < 1 || r.count() > settings.maxCount()) {
            return Rejection.of(Rejection.Code.INVALID, "count must be between 1 and " + settings.maxCount()
                    + ", was " + r.count());
        }
        if (r.end() <= r.start()) {
            return Rejection.of(Rejection.Code.INVALID, "end must be after start");
        }
        if (r.end() <= now) {
            return Rejection.of(Rejection.Code.INVALID, "the window is in the past: it ended before now");
        }
        if (r.start() < now - 60_000) {
            return Rejection.of(Rejection.Code.INVALID, "start is in the past: a window may start now, not before");
        }
        if (r.start() > now + settings.maxAdvanceSeconds() * 1000) {
            return Rejection.of(Rejection.Code.INVALID, "start is more than " + settings.maxAdvanceSeconds() / 86_400
                    + " days ahead");
        }
        if (r.end() - Math.max(r.start(), now) > settings.maxWindowSeconds() * 1000) {
            return Rejection.of(Rejection.Code.INVALID, "the window is longer than " + settings.maxWindowSeconds()
                    / 86_400 + " days");
        }
        if (r.leaseSeconds() < 0 || r.leaseSeconds() > ledger.settings().maxLeaseSeconds()) {
            return Rejection.of(Rejection.Code.INVALID, "leaseSeconds must be between 1 and "
                    + ledger.settings().maxLeaseSeconds());
        }
        Funding f = r.funding();
        if (f.urgent() || f.mode() == Funding.Mode.BORROW) {
            return Rejection.of(Rejection.Code.INVALID, "a reservation is funded by QUOTA or BUY, not "
                    + (f.urgent() ? "urgent" : "BORROW"));
        }
        if (f.maxPrice() > ledger.exchange().settings().maxPrice()) {
            return Rejection.of(Rejection.Code.INVALID, "funding.maxPrice must be at most "
                    + ledger.exchange().settings().maxPrice());
        }
        TenantState t = store.tenants().get(tenant);
        if (t == null) {
            return Rejection.of(Rejection.Code.NOT_FOUND, "no tenant " + tenant);
        }
        for (String k : r.bundle().amounts().keySet()) {
            if (!ledger.isKind(k)) {
                return Rejection.of(Rejection.Code.UNKNOWN_KIND, "bundle names unknown kind '" + k + "'; known kinds: "
                        + ledger.kinds());
            }
        }
        for (String lock : r.bundle().locks()) {
            LockState l = store.locks().get(lock);
            if (l == null) {
                return Rejection.of(Rejection.Code.NO_SUCH_LOCK, "no lock named " + lock);
            }
            if (r.count() > l.permits()) {
                return Rejection.of(Rejection.Code.NEVER_FITS, "lock " + lock + " has " + l.permits()
                        + " permit(s); " + r.count() + " copies need one each");
            }
        }
        if (f.mode() == Funding.Mode.QUOTA) {
            for (var e : r.bundle().amounts().entrySet()) {
                long whole = Math.multiplyExact(e.getValue(), (long) r.count());
                if (whole > t.quota(e.getKey())) {
                    return Rejection.of(Rejection.Code.NEVER_FITS, r.count() + " x bundle." + e.getKey() + " = " + whole
                            + " exceeds tenant " + tenant + "'s own quota of " + t.quota(e.getKey())
                            + " (fund it with BUY to reserve beyond quota)");
                }
            }
        }
        if (!r.bundle().nodeLocal()) {
            return null;
        }
        if (r.node() != null) {
            NodeState n = store.nodes().get(r.node());
            if (n == null) {
                return Rejection.of(Rejection.Code.NO_SUCH_NODE, "no node " + r.node() + " has reported");
            }
            return fits(n, r.bundle()) ? null : Rejection.of(Rejection.Code.NEVER_FITS,
                    "the bundle is larger than node " + r.node() + "'s capacity " + n.capacity());
        }
        return store.nodes().entries().values().stream().anyMatch(n -> fits(n, r.bundle())) ? null
                : Rejection.of(Rejection.Code.NEVER_FITS, "the bundle is larger than every node's capacity");
    }

    private static boolean fits(NodeState n, Bundle b) {
        return b.amounts().entrySet().stream().allMatch(e -> e.getValue() <= n.capacity(e.getKey()));
    }

    /** Reads the state a plan is made on: places, and the deadline of every live grant. */
    ReservationPlanner.Snapshot snapshot(String quotaTenant) {
        Map<String, Long> deadlines = deadlines();
        return new ReservationPlanner.Snapshot(store.nodes().entries(), store.locks().entries(),
                quotaTenant == null ? null : store.tenants().get(quotaTenant), deadlines);
    }

    /**
     * Returns when each live grant's hold ends: its lease deadline (a reservation's copy: its reservation's end,
     * to which it may renew). A notice of preemption does not shorten it: the preemption it announces may not
     * come (the reservation that gave it cancelled, a recalled loan that still fits). Claims being granted are
     * left out (they hold for ever).
     */
    public Map<String, Long> deadlines() {
        Map<String, Long> out = new HashMap<>();
        for (Claim c : store.claims().values(new ClaimFilters.ClaimIn(Set.of(ClaimState.GRANTED)))) {
            out.put(c.id(), deadline(c));
        }
        return out;
    }

    /** When a granted claim's hold is expected to end. */
    public static long deadline(Claim c) {
        return c.reserved() && c.notAfter() > 0 ? c.notAfter() : c.leaseExpiresAt();
    }

    private Rejection bookPlaces(Reservation r, Map<String, Long> deadlines) {
        String missingTenant = "no tenant " + r.tenant();
        if (r.onQuota() && r.bundle().nodeLocal()) {
            Rejection x = store.tenants().execute(r.tenant(), new Book<TenantState>(bookings(r, null, r.bundle().amounts()),
                    deadlines, missingTenant));
            if (x != null) {
                return x;
            }
        }
        for (String node : r.nodes()) {
            Rejection x = store.nodes().execute(node, new Book<NodeState>(bookings(r, node, r.bundle().amounts()),
                    deadlines, "no node " + node));
            if (x != null) {
                return x;
            }
        }
        for (String lock : r.bundle().locks()) {
            Rejection x = store.locks().execute(lock, new Book<LockState>(bookings(r, null, LockState.onePermit()),
                    deadlines, "no lock " + lock));
            if (x != null) {
                return x;
            }
        }
        return null;
    }

    private static SortedMap<String, Booking> bookings(Reservation r, String node, SortedMap<String, Long> amounts) {
        TreeMap<String, Booking> out = new TreeMap<>();
        r.copies().forEach((copy, on) -> {
            if (node == null || node.equals(on)) {
                out.put(copy, new Booking(r.id(), r.start(), r.end(), amounts));
            }
        });
        return out;
    }

    /** Withdraws every booking of {@code r} from its places (idempotent). */
    void withdraw(Reservation r) {
        if (r.bundle().nodeLocal()) {
            store.tenants().execute(r.tenant(), new Unbook<TenantState>(r.id()));
        }
        for (String node : r.nodes()) {
            store.nodes().execute(node, new Unbook<NodeState>(r.id()));
        }
        for (String lock : r.bundle().locks()) {
            store.locks().execute(lock, new Unbook<LockState>(r.id()));
        }
    }

    // ---------------------------------------------------------------- reads

    /** Returns the reservation, or {@code null}. */
    public Reservation get(String id) {
        return store.reservations().get(id);
    }

    /** Returns the reservations of {@code tenant} (everyone's if {@code null}), by start then id. */
    public List<Reservation> list(String tenant) {
        List<Reservation> out = new ArrayList<>(store.reservations().values(
                new ReservationFilters.ReservationsOf(tenant)));
        out.sort(Comparator.comparingLong(Reservation::start).thenComparing(Reservation::id));
        return out;
    }

    /**
     * Returns the timeline of pool {@code poolId} ({@code kind@node} or {@code lock:name}) over {@code [from, to)}
     * in steps of {@code stepMillis}, or {@code null} if there is no such pool.
     */
    public List<Timeline.Step> timeline(String poolId, long from, long to, long stepMillis) {
        Place<?> place;
        String kind;
        long capacity;
        if (poolId.startsWith("lock:")) {
            LockState l = store.locks().get(poolId.substring(5));
            if (l == null) {
                return null;
            }
            place = l;
            kind = LockState.KIND;
            capacity = l.permits();
        } else {
            int at = poolId.indexOf('@');
            NodeState n = at <= 0 ? null : store.nodes().get(poolId.substring(at + 1));
            if (n == null || !n.kinds().containsKey(poolId.substring(0, at))) {
                return null;
            }
            place = n;
            kind = poolId.substring(0, at);
            capacity = n.capacity(kind);
        }
        Map<String, Long> deadlines = deadlines();
        return Timeline.steps(capacity, Timeline.held(place.holdings(), kind, deadlines),
                Timeline.booked(place.holdings(), kind), from, to, stepMillis);
    }

    // ---------------------------------------------------------------- cancel

    /**
     * Cancels a reservation of {@code tenant}: withdraws what is still booked, ends its copies' claims, refunds a
     * bought one by the rule above, in one change. An ended reservation is answered unchanged.
     */
    public Result<Reservation> cancel(String id, String tenant) {
        return ledger.atomically(l -> l.reservations().cancelNow(id, tenant));
    }

    private Result<Reservation> cancelNow(String id, String tenant) {
        Reservation r = store.reservations().get(id);
        if (r == null || (tenant != null && !r.tenant().equals(tenant))) {
            return Result.rejected(Rejection.Code.NOT_FOUND, "no reservation " + id);
        }
        if (r.state().isFinal()) {
            return Result.ok(r);
        }
        long now = ledger.clock().millis();
        Reservation moved = store.reservations().execute(id, new ReservationCommands.Move(
                EnumSet.of(Reservation.State.BOOKED, Reservation.State.ACTIVE), Reservation.State.CANCELLED, now,
                "CANCELLED"));
        if (moved == null) {
            return Result.ok(store.reservations().get(id));
        }
        finish(moved, now);
        LOG.info("reservation cancelled id={} tenant={} refunded={}", id, r.tenant(), moved.refunded());
        return Result.ok(store.reservations().get(id));
    }

    /** What cancelling a bought reservation at {@code now} refunds (the rule in the class comment). */
    public long refund(Reservation r, long now) {
        if (r.price() <= 0 || now >= r.end()) {
            return 0;
        }
        long part = now <= r.start() ? r.price()
                : java.math.BigInteger.valueOf(r.price()).multiply(java.math.BigInteger.valueOf(r.end() - now))
                .divide(java.math.BigInteger.valueOf(r.end() - r.start())).longValueExact();
        return part - Math.floorDiv(Math.multiplyExact(part, settings.cancelFeePercent()) + 99, 100);
    }

    /** Whether a cancelled reservation's refund is still owed: the house could not pay it when it was cancelled. */
    boolean refundOwed(Reservation r) {
        return refund(r, r.updatedAt()) > 0 && store.journal().get(r.id() + ":refund") == null;
    }

    /** Finishes a cancelled reservation: withdraws bookings, ends claims, refunds (each step idempotent). */
    void finish(Reservation r, long now) {
        withdraw(r);
        for (String copy : r.copies().keySet()) {
            Claim c = store.claims().get(copy);
            if (c != null && !c.state().isFinal()) {
                ledger.cancel(copy);
            }
        }
        long refund = refund(r, r.updatedAt());
        if (refund > 0 && store.journal().get(r.id() + ":refund") == null) {
            JournalEntry entry = JournalEntry.transfer(r.id() + ":refund", now, JournalEntry.Reason.RESERVATION_REFUND,
                    "refund of cancelled reservation " + r.id(), null, r.id(), Account.HOUSE,
                    Account.ofTenant(r.tenant()), refund);
            Result<JournalEntry> back = ledger.accounts().post(entry);
            if (back.ok()) {
                store.reservations().execute(r.id(), new ReservationCommands.Refunded(refund));
            } else {
                LOG.warn("reservation refund not posted id={} why={}", r.id(), back.rejection().detail());
            }
        }
    }

    // ---------------------------------------------------------------- the sweep (ReservationSweep)

    /**
     * What one sweep did.
     *
     * @param noticed   grants told they will be preempted at a start
     * @param preempted grants preempted at a start
     * @param activated reservations whose window opened
     * @param ended     reservations whose window closed
     */
    public record Sweep(int noticed, int preempted, int activated, int ended) {
    }

    /**
     * Moves reservations along: recalls capacity for windows about to open, opens due windows (preempting what was
     * recalled, then granting every copy), closes ended ones, pays refunds still owed ({@link ReservationSweep}).
     */
    public Sweep sweep() {
        return sweeper.sweep();
    }
}
