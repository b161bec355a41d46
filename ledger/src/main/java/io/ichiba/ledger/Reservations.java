package io.ichiba.ledger;

import io.ichiba.ledger.PlaceCommands.Activate;
import io.ichiba.ledger.PlaceCommands.Book;
import io.ichiba.ledger.PlaceCommands.CreateIfAbsent;
import io.ichiba.ledger.PlaceCommands.ReturnFor;
import io.ichiba.ledger.PlaceCommands.Unbook;
import io.ichiba.ledger.store.Store;
import io.ichiba.ledger.store.Table;
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
 * cancellation and refunds.
 *
 * <h2>Booking (spans keys, like a grant)</h2>
 * <pre>
 *   plan on a snapshot: a node per copy over [start, end)           ReservationPlanner
 *   reservation: create BOOKING with the plan
 *   tenant (on quota), each node, each lock: Book                    -- refused? Unbook all, forget, re-plan
 *   house: a bought reservation pays spot x amount x window          -- refused? Unbook all, forget
 *   reservation: BOOKING -> BOOKED
 * </pre>
 * Each place checks its own timeline atomically ({@link Book}), so concurrent bookings and grants never
 * over-promise a moment (law 1); a booking abandoned by a dead member is withdrawn by {@link #sweep}.
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
    private static final int BOOKING_TRIES = 3;

    private final Ledger ledger;
    private final Store store;
    private final ReservationSettings settings;

    /** Creates the reservations over the ledger's store. */
    public Reservations(Ledger ledger, ReservationSettings settings) {
        this.ledger = ledger;
        this.store = ledger.store();
        this.settings = settings;
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
        for (int attempt = 1; ; attempt++) {
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
            Reservation booking = new Reservation(id, tenant, r.bundle(), r.count(), start, r.end(), r.node(),
                    r.funding(), lease, r.priority(), Reservation.State.BOOKING, copies, 0, 0, now, now, null, null);
            Reservation stored = store.reservations().execute(id, new CreateIfAbsent<>(booking));
            if (!stored.equals(booking)) {
                return stored.tenant().equals(tenant) ? new Booked(stored, null, -1)
                        : new Booked(null, Rejection.of(Rejection.Code.ALREADY_EXISTS, "reservation id " + id
                        + " is taken"), -1);
            }
            Rejection refused = bookPlaces(booking, snap.deadlines());
            if (refused != null) {
                withdraw(booking);
                store.reservations().execute(id, new ReservationCommands.Forget(Reservation.State.BOOKING));
                if (attempt < BOOKING_TRIES && refused.code() == Rejection.Code.WINDOW_FULL) {
                    continue; // someone took the capacity between the snapshot and the booking: plan again
                }
                return new Booked(null, refused, -1);
            }
            if (price > 0) {
                Result<JournalEntry> paid = ledger.accounts().post(JournalEntry.transfer(id + ":reservation", now,
                        JournalEntry.Reason.RESERVATION, "reservation " + id + " of " + r.count() + " x "
                                + r.bundle().amounts() + " for " + (r.end() - start) / 1000 + " s", null, id,
                        Account.ofTenant(tenant), Account.HOUSE, price));
                if (!paid.ok()) {
                    withdraw(booking);
                    store.reservations().execute(id, new ReservationCommands.Forget(Reservation.State.BOOKING));
                    return new Booked(null, paid.rejection(), -1);
                }
                store.reservations().execute(id, new ReservationCommands.Paid(price));
            }
            Reservation booked = store.reservations().execute(id, new ReservationCommands.Move(
                    EnumSet.of(Reservation.State.BOOKING), Reservation.State.BOOKED, ledger.clock().millis(), null));
            LOG.info("reservation booked id={} tenant={} copies={} window=[{}, {}) nodes={} price={}", id, tenant,
                    r.count(), start, r.end(), booking.nodes(), price);
            return new Booked(booked != null ? booked : store.reservations().get(id), null, -1);
        }
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
        for (Claim c : store.claims().values(new Filters.ClaimIn(Set.of(ClaimState.GRANTED)))) {
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
    private void withdraw(Reservation r) {
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
        List<Reservation> out = new ArrayList<>(store.reservations().values(new Filters.ReservationsOf(tenant)));
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
     * bought one by the rule above. An ended reservation is answered unchanged; one being booked is
     * {@code IN_PROGRESS}.
     */
    public Result<Reservation> cancel(String id, String tenant) {
        return ledger.atomically(l -> l.reservations().cancelNow(id, tenant));
    }

    private Result<Reservation> cancelNow(String id, String tenant) {
        Reservation r = store.reservations().get(id);
        if (r == null || (tenant != null && !r.tenant().equals(tenant))) {
            return Result.rejected(Rejection.Code.NOT_FOUND, "no reservation " + id);
        }
        if (r.state() == Reservation.State.BOOKING) {
            return Result.rejected(Rejection.Code.IN_PROGRESS, "reservation " + id + " is being booked; ask again");
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

    /** Finishes a cancelled reservation: withdraws bookings, ends claims, refunds (each step idempotent). */
    private void finish(Reservation r, long now) {
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
            Result<JournalEntry> back = ledger.accounts().post(entry); // in this change: nothing else posts it now
            if (back.ok() || store.journal().get(entry.id()) != null) {
                store.reservations().execute(r.id(), new ReservationCommands.Refunded(refund));
            } else {
                LOG.warn("reservation refund not posted id={} why={}", r.id(), back.rejection().detail());
            }
        }
    }

    // ---------------------------------------------------------------- the sweep

    /**
     * What one sweep did.
     *
     * @param noticed   grants told they will be preempted at a start
     * @param preempted grants preempted at a start
     * @param activated reservations whose window opened
     * @param ended     reservations whose window closed
     * @param recovered bookings abandoned by a dead member, withdrawn
     */
    public record Sweep(int noticed, int preempted, int activated, int ended, int recovered) {
    }

    /**
     * Moves reservations along: withdraws abandoned bookings, recalls capacity for windows about to open, opens
     * due windows (preempting what was recalled, then granting every copy), closes ended ones. Run by one member
     * at a time (the admission loop's), before each admission pass.
     */
    public Sweep sweep() {
        long now = ledger.clock().millis();
        int noticed = 0;
        int preempted = 0;
        int activated = 0;
        int ended = 0;
        int recovered = 0;
        for (Reservation r : store.reservations().values(new Filters.ReservationIn(EnumSet.of(
                Reservation.State.BOOKING, Reservation.State.BOOKED, Reservation.State.ACTIVE,
                Reservation.State.CANCELLED)))) {
            switch (r.state()) {
                case BOOKING -> {
                    if (now - r.updatedAt() > ledger.settings().staleGrantingMillis()) {
                        recover(r, now);
                        recovered++;
                    }
                }
                case BOOKED -> {
                    if (now >= r.end()) {
                        withdraw(r);
                        store.reservations().execute(r.id(), new ReservationCommands.Move(
                                EnumSet.of(Reservation.State.BOOKED), Reservation.State.ENDED, now, "WINDOW_MISSED"));
                        ended++;
                    } else if (now >= r.start()) {
                        noticed += recall(r, now); // a renewal since the last sweep may still run into the window
                        preempted += preemptRecalled(store.reservations().get(r.id()), now);
                        activate(r, now);
                        activated++;
                    } else if (now >= r.start() - settings.leadSeconds() * 1000) {
                        noticed += recall(r, now);
                    }
                }
                case ACTIVE -> {
                    if (now >= r.end()) {
                        close(r, now);
                        ended++;
                    } else {
                        finishCopies(r, now);
                    }
                }
                case CANCELLED -> {
                    // the member that cancelled finishes it; only one that died midway leaves it to the sweep
                    if (now - r.updatedAt() > ledger.settings().staleGrantingMillis() && unfinished(r)) {
                        finish(r, now); // idempotent: finishes a cancellation whose member died midway
                    }
                }
                default -> {
                }
            }
        }
        long cutoff = now - ledger.settings().retentionMillis();
        for (Reservation r : store.reservations().values(new Filters.PurgeableReservations(cutoff))) {
            store.reservations().execute(r.id(), new ReservationCommands.Purge(cutoff));
        }
        return new Sweep(noticed, preempted, activated, ended, recovered);
    }

    /** Whether a cancelled reservation still has a booking, a live claim or a refund owed (reads only). */
    private boolean unfinished(Reservation r) {
        for (Place<?> p : places(r)) {
            if (p.holdings().bookings().values().stream().anyMatch(b -> b.reservation().equals(r.id()))) {
                return true;
            }
        }
        for (String copy : r.copies().keySet()) {
            Claim c = store.claims().get(copy);
            if (c != null && !c.state().isFinal()) {
                return true;
            }
        }
        return refund(r, r.updatedAt()) > 0 && store.journal().get(r.id() + ":refund") == null;
    }

    /** Reads the places {@code r} is booked in (those that still exist): its tenant's quota if on quota, its nodes, its locks. */
    private List<Place<?>> places(Reservation r) {
        List<Place<?>> out = new ArrayList<>();
        if (r.onQuota() && r.bundle().nodeLocal()) {
            out.add(store.tenants().get(r.tenant()));
        }
        r.nodes().forEach(n -> out.add(store.nodes().get(n)));
        r.bundle().locks().forEach(l -> out.add(store.locks().get(l)));
        out.removeIf(java.util.Objects::isNull);
        return out;
    }

    private void recover(Reservation r, long now) {
        LOG.warn("withdrawing an abandoned reservation booking id={} tenant={}", r.id(), r.tenant());
        withdraw(r);
        Reservation failed = store.reservations().execute(r.id(), new ReservationCommands.Move(
                EnumSet.of(Reservation.State.BOOKING), Reservation.State.FAILED, now, "ABANDONED"));
        JournalEntry paid = store.journal().get(r.id() + ":reservation");
        if (failed != null && paid != null && store.journal().get(r.id() + ":refund") == null) {
            long amount = paid.amountFor(Account.HOUSE);
            Result<JournalEntry> back = ledger.accounts().post(JournalEntry.transfer(r.id() + ":refund", now,
                    JournalEntry.Reason.RESERVATION_REFUND, "refund of abandoned reservation " + r.id(), null, r.id(),
                    Account.HOUSE, Account.ofTenant(r.tenant()), amount));
            if (back.ok()) {
                store.reservations().execute(r.id(), new ReservationCommands.Refunded(amount));
            }
        }
    }

    /**
     * Tells the fewest grants needed that they will be preempted at the start: in each place the reservation is
     * booked in, the grants still holding at the start (lowest priority, then youngest, first), until what holds
     * and what is booked at the start fit. Answers how many were told.
     */
    private int recall(Reservation r, long now) {
        Map<String, Claim> live = new HashMap<>();
        for (Claim c : store.claims().values(new Filters.ClaimIn(Set.of(ClaimState.GRANTED)))) {
            live.put(c.id(), c);
        }
        List<String> told = new ArrayList<>();
        for (Place<?> p : places(r)) {
            told.addAll(victims(p, r, live));
        }
        int n = 0;
        for (String id : told) {
            ClaimCommands.Transition t = store.claims().execute(id, new ClaimCommands.NoticePreempt(r.start(), now));
            if (t.ok()) {
                n++;
                LOG.info("preempt notice claim={} tenant={} at={} for reservation={}", id, t.claim().tenant(),
                        r.start(), r.id());
            }
        }
        if (!told.isEmpty()) {
            store.reservations().execute(r.id(), new ReservationCommands.Recalled(told));
        }
        return n + (r.onQuota() ? recallLoans(r, now) : 0);
    }

    /**
     * Recalls, with notice until the start, what the tenant lends of the quota its reservations need at the start:
     * loans still running then, youngest first, until its own quota at the start (less what it offers and what
     * stays lent) covers its bookings then. Answers how many loans were recalled.
     */
    private int recallLoans(Reservation r, long now) {
        TenantState t = store.tenants().get(r.tenant());
        if (t == null) {
            return 0;
        }
        int n = 0;
        for (String kind : r.bundle().amounts().keySet()) {
            List<Loan> lent = new ArrayList<>();
            long stillLent = 0;
            for (Loan l : ledger.exchange().loans(r.tenant(), true)) {
                boolean lentAtStart = l.kind().equals(kind) && l.lender().equals(r.tenant()) && l.endsAt() > r.start()
                        && (l.recallDeadline() == 0 || l.recallDeadline() > r.start());
                if (lentAtStart) {
                    lent.add(l);
                    stillLent += l.amount();
                }
            }
            long shortfall = Timeline.at(Timeline.booked(t.holdings(), kind), r.start())
                    - (t.quota(kind) - t.offered(kind) - stillLent);
            lent.sort(Comparator.comparingLong(Loan::startedAt).reversed().thenComparing(Loan::id));
            for (Loan l : lent) {
                if (shortfall <= 0) {
                    break;
                }
                Result<Loan> recalled = ledger.exchange().recall(l.id(), r.tenant(), Math.max(0, (r.start() - now) / 1000));
                if (recalled.ok()) {
                    shortfall -= l.amount();
                    n++;
                    LOG.info("loan recalled loan={} lender={} for reservation={} at={}", l.id(), r.tenant(), r.id(),
                            r.start());
                }
            }
        }
        return n;
    }

    private static List<String> victims(Place<?> p, Reservation r, Map<String, Claim> live) {
        List<String> out = new ArrayList<>();
        Map<String, Long> deadlines = new HashMap<>();
        // only this reservation's own notices count as ends: another's may never be carried out
        live.values().forEach(c -> deadlines.put(c.id(), r.recalled().contains(c.id())
                ? Math.min(deadline(c), r.start()) : deadline(c)));
        for (String kind : kindsOf(p, r)) {
            long limit = p instanceof TenantState t ? t.entitlement(kind, false) : p.bookable(kind);
            List<Timeline.Use> uses = Timeline.uses(p.holdings(), kind, deadlines);
            long over = Timeline.at(uses, r.start()) - limit;
            if (over <= 0) {
                continue;
            }
            List<Claim> candidates = new ArrayList<>();
            p.holdings().holders().forEach((id, h) -> {
                Claim c = live.get(id);
                if (c != null && !c.reserved() && deadlines.get(id) > r.start() && Amounts.get(h.amounts(), kind) > 0
                        && !out.contains(id)) {
                    candidates.add(c);
                }
            });
            candidates.sort(Comparator.comparingInt(Claim::priority)
                    .thenComparing(Comparator.comparingLong(Claim::grantedAt).reversed()).thenComparing(Claim::id));
            for (Claim c : candidates) {
                if (over <= 0) {
                    break;
                }
                out.add(c.id());
                deadlines.put(c.id(), r.start());
                over -= Amounts.get(p.holdings().holders().get(c.id()).amounts(), kind);
            }
        }
        return out;
    }

    private static List<String> kindsOf(Place<?> p, Reservation r) {
        return p instanceof LockState ? List.of(LockState.KIND) : new ArrayList<>(r.bundle().amounts().keySet());
    }

    /** Preempts the grants told to make way, now that the window opened; answers how many. */
    private int preemptRecalled(Reservation r, long now) {
        int n = 0;
        for (String id : r.recalled()) {
            Claim c = store.claims().get(id);
            if (c == null || c.state() != ClaimState.GRANTED || c.preemptAt() == 0 || c.preemptAt() > now) {
                continue;
            }
            ClaimCommands.Transition t = store.claims().execute(id, new ClaimCommands.Preempt(PREEMPT_REASON, now));
            if (t.ok()) {
                ledger.returnTokens(t.claim());
                n++;
                LOG.info("claim preempted claim={} tenant={} reason={} for reservation={}", id, t.claim().tenant(),
                        PREEMPT_REASON, r.id());
            }
        }
        return n;
    }

    /** Opens the window: every copy becomes a granted claim holding what was booked for it. */
    private void activate(Reservation r, long now) {
        store.reservations().execute(r.id(), new ReservationCommands.Move(EnumSet.of(Reservation.State.BOOKED),
                Reservation.State.ACTIVE, now, null));
        finishCopies(store.reservations().get(r.id()), now);
        LOG.info("reservation active id={} tenant={} claims={}", r.id(), r.tenant(), r.copies().keySet());
    }

    /** Grants every copy of an open reservation whose claim is not granted yet (idempotent, resumable). */
    private void finishCopies(Reservation r, long now) {
        if (r == null || r.state() != Reservation.State.ACTIVE) {
            return;
        }
        for (var e : r.copies().entrySet()) {
            String copy = e.getKey();
            String node = e.getValue().isEmpty() ? null : e.getValue();
            Claim c = store.claims().execute(copy, new CreateIfAbsent<>(Claim.fromReservation(copy, r.tenant(),
                    r.bundle(), r.priority(), r.leaseSeconds(), node, now, r.funding(), r.id(), r.end())));
            if (c.state() != ClaimState.GRANTING) {
                continue;
            }
            boolean held = true;
            if (r.bundle().nodeLocal()) {
                if (r.onQuota()) {
                    held &= activateIn(store.tenants(), r.tenant(), copy, r);
                }
                held &= activateIn(store.nodes(), node, copy, r);
            }
            for (String lock : r.bundle().locks()) {
                held &= activateIn(store.locks(), lock, copy, r);
            }
            if (!held) {
                LOG.warn("reservation copy lost its booking id={} copy={}: cancelled", r.id(), copy);
                store.claims().execute(copy, new ClaimCommands.Cancel(now));
            }
            ClaimCommands.Transition t = store.claims().execute(copy, new ClaimCommands.FinishGrant(1, now));
            if (t.ok() && t.claim().state().isFinal()) {
                ledger.returnTokens(t.claim());
            }
        }
    }

    private static <S extends Place<S>> boolean activateIn(Table<S> table, String key, String copy, Reservation r) {
        return Boolean.TRUE.equals(table.execute(key, new Activate<S>(copy, 1)));
    }

    /** Closes the window: copies still granted end now (their leases end by now anyway). */
    private void close(Reservation r, long now) {
        for (String copy : r.copies().keySet()) {
            ClaimCommands.Transition t = store.claims().execute(copy, new ClaimCommands.Expire(now));
            if (t.ok()) {
                ledger.returnTokens(t.claim());
            }
        }
        withdraw(r);
        store.reservations().execute(r.id(), new ReservationCommands.Move(EnumSet.of(Reservation.State.ACTIVE),
                Reservation.State.ENDED, now, "ENDED"));
        LOG.info("reservation ended id={} tenant={}", r.id(), r.tenant());
    }
}
