package io.ichiba.ledger.pool;

import org.pcollections.TreePMap;

import java.io.Serializable;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The holders of one place, by claim id: the single source of its granted amounts.
 *
 * <p>Because holders are keyed by claim, holding for the same claim twice replaces the first hold,
 * and releasing twice removes nothing the second time: every token returns exactly once (law 3).
 * Granted totals are derived from the holders, never kept as a separate counter.
 *
 * <p>The holders are a persistent sorted map ({@link TreePMap}): a new holder or one gone makes new holdings that share
 * all but a path of the tree with the old ones, in O(log n), where a copy cost O(n) (a lock held by ten thousand claims
 * copied ten thousand entries at every grant). The totals per kind are derived from the holders once per holdings,
 * when first asked, or from the holdings they were made from and the one hold that changed: never stored, so a copy
 * read back from the journal derives them again.
 *
 * <p>A place also keeps the {@linkplain Booking bookings} of reservations promised to it, by the id of the claim each
 * copy will become: capacity promised for a future window, which grants may use only if their leases end before
 * it opens ({@link #bookedPeak}).
 */
public final class Holdings implements Serializable {
    private static final long serialVersionUID = 2L;
    private static final Holdings EMPTY = new Holdings(TreePMap.empty(), TreePMap.empty(), new TreeMap<>());

    private final TreePMap<String, Hold> holders;
    private final TreePMap<String, Booking> bookings;
    /** The totals per kind derived from {@link #holders}; not serialized, derived again when first asked. */
    private transient volatile Map<String, Long> totals;
    /**
     * The holdings these were made from by changing one holder ({@link #changed}) or one booking ({@link
     * #changedBooking}), while fewer than {@link #REMEMBERED} changes back: what {@link #changesSince} walks. Not
     * serialized (a copy from another member goes whole once).
     */
    private transient Holdings from;
    private final transient String changed;
    private final transient String changedBooking;
    /** How many changes back {@link #from} reaches (0 when it reaches none): at most {@link #REMEMBERED}. */
    private transient int depth;

    /** How many changes back holdings remember what changed. */
    static final int REMEMBERED = 64;

    /**
     * The holdings of {@code holders} (claim id to its hold) and {@code bookings} (copy, future claim, id to the
     * capacity promised to it); {@code null} is none.
     */
    public Holdings(SortedMap<String, Hold> holders, SortedMap<String, Booking> bookings) {
        this(holders == null ? TreePMap.empty() : TreePMap.from(holders),
                bookings == null ? TreePMap.empty() : TreePMap.from(bookings), null);
    }

    /** Holders and no bookings. */
    public Holdings(SortedMap<String, Hold> holders) {
        this(holders, null);
    }

    private Holdings(TreePMap<String, Hold> holders, TreePMap<String, Booking> bookings, Map<String, Long> totals) {
        this(holders, bookings, totals, null, null, null, 0);
    }

    private Holdings(TreePMap<String, Hold> holders, TreePMap<String, Booking> bookings, Map<String, Long> totals,
                     Holdings from, String changed, String changedBooking, int depth) {
        this.holders = holders;
        this.bookings = bookings;
        this.totals = totals;
        this.from = from;
        this.changed = changed;
        this.changedBooking = changedBooking;
        this.depth = depth;
    }

    /** These holdings changed in one holder ({@code holder}) or one booking ({@code booking}), remembered. */
    private Holdings next(TreePMap<String, Hold> h, TreePMap<String, Booking> b, Map<String, Long> t, String holder,
                          String booking) {
        boolean remembers = depth < REMEMBERED;
        return new Holdings(h, b, t, remembers ? this : null, holder, booking, remembers ? depth + 1 : 0);
    }

    /**
     * Forgets the holdings these were made from ({@link io.ichiba.ledger.store.Incremental#committed}):
     * {@link #changesSince} an older one then cannot tell, and the holdings it kept alive may go. Only on the engine
     * thread, which alone walks them.
     */
    public void forgetPast() {
        from = null;
        depth = 0; // the next change is told against these: a chain of REMEMBERED changes from here, not fewer
    }

    /** How many holders and bookings there are. */
    public int size() {
        return holders.size() + bookings.size();
    }

    /**
     * What changed in holdings: each holder and booking set to its value ({@code null}: removed).
     *
     * @param holders  holders by claim id
     * @param bookings bookings by copy id
     */
    public record Changes(Map<String, Hold> holders, Map<String, Booking> bookings) implements Serializable {
    }

    /**
     * What changed from {@code before} to these holdings, if they were made from it by at most {@link #REMEMBERED}
     * changes of one holder or booking each; {@code null} when that cannot be told.
     */
    public Changes changesSince(Holdings before) {
        Map<String, Hold> h = new java.util.HashMap<>();
        Map<String, Booking> b = new java.util.HashMap<>();
        for (Holdings t = this; t != before; t = t.from) {
            if (t == null) {
                return null;
            }
            if (t.changed != null) {
                h.put(t.changed, holders.get(t.changed));
            }
            if (t.changedBooking != null) {
                b.put(t.changedBooking, bookings.get(t.changedBooking));
            }
        }
        return new Changes(h, b);
    }

    /** These holdings with {@code c} applied: each holder and booking set as it says. */
    public Holdings applied(Changes c) {
        TreePMap<String, Hold> h = holders;
        for (Map.Entry<String, Hold> e : c.holders().entrySet()) {
            h = e.getValue() == null ? h.minus(e.getKey()) : h.plus(e.getKey(), e.getValue());
        }
        TreePMap<String, Booking> b = bookings;
        for (Map.Entry<String, Booking> e : c.bookings().entrySet()) {
            b = e.getValue() == null ? b.minus(e.getKey()) : b.plus(e.getKey(), e.getValue());
        }
        return new Holdings(h, b, null);
    }

    /**
     * A place's change when only its holdings changed much: every other field as {@code rest} has them, and the
     * holders and bookings that changed.
     *
     * @param rest    the place, its holdings left out
     * @param changes what changed in its holdings
     * @param <S>     the place
     */
    public record Patch<S extends Place<S>>(S rest, Changes changes)
            implements io.ichiba.ledger.store.Incremental.Patch<S> {
        @Override
        public S applyTo(S before) {
            return rest.withHoldings(before.holdings().applied(changes));
        }
    }

    /**
     * The patch of {@code after} against {@code before} when its holdings are many ({@link #PATCHED_FROM}) and
     * known to have changed in few; else {@code null} (the place goes whole).
     */
    static <S extends Place<S>> io.ichiba.ledger.store.Incremental.Patch<S> patch(S after, S before) {
        if (after.holdings().size() < PATCHED_FROM) {
            return null;
        }
        Changes c = after.holdings().changesSince(before.holdings());
        return c == null ? null : new Patch<>(after.withHoldings(EMPTY), c);
    }

    /** How many holders and bookings a place has before a change of it travels as a patch. */
    static final int PATCHED_FROM = 16;

    /** Returns the empty holdings. */
    public static Holdings empty() {
        return EMPTY;
    }

    /** The holders, by claim id (immutable). */
    public SortedMap<String, Hold> holders() {
        return holders;
    }

    /** The bookings, by copy id (immutable). */
    public SortedMap<String, Booking> bookings() {
        return bookings;
    }

    /** Returns the total held of {@code kind}. */
    public long granted(String kind) {
        Long sum = sums().get(kind);
        return sum == null ? 0 : sum;
    }

    /** Returns the totals held per kind. */
    public SortedMap<String, Long> totals() {
        return Collections.unmodifiableSortedMap(new TreeMap<>(sums()));
    }

    private Map<String, Long> sums() {
        Map<String, Long> t = totals;
        if (t == null) {
            Map<String, Long> sum = new java.util.HashMap<>();
            for (Hold h : holders.values()) {
                h.amounts().forEach((k, v) -> sum.merge(k, v, Math::addExact));
            }
            sum.values().removeIf(v -> v == 0);
            totals = t = sum;
        }
        return t;
    }

    /** The totals of {@code from}'s holders less {@code gone} plus {@code came}, if {@code from} has derived them. */
    private static Map<String, Long> moved(Holdings from, Hold gone, Hold came) {
        Map<String, Long> t = from.totals;
        if (t == null) {
            return null;
        }
        Map<String, Long> next = new java.util.HashMap<>(t); // a few kinds: read by kind, sorted when handed out
        if (gone != null) {
            gone.amounts().forEach((k, v) -> {
                long left = Math.subtractExact(next.getOrDefault(k, 0L), v);
                if (left == 0) {
                    next.remove(k);
                } else {
                    next.put(k, left);
                }
            });
        }
        if (came != null) {
            came.amounts().forEach((k, v) -> next.merge(k, v, Math::addExact));
        }
        next.values().removeIf(v -> v == 0);
        return next;
    }

    /** Returns these holdings with {@code claimId} holding {@code hold}. */
    public Holdings with(String claimId, Hold hold) {
        return next(holders.plus(claimId, hold), bookings, moved(this, holders.get(claimId), hold), claimId, null);
    }

    /** Returns these holdings without {@code claimId}'s hold (these, if it holds nothing here). */
    public Holdings without(String claimId) {
        Hold h = holders.get(claimId);
        if (h == null) {
            return this;
        }
        return next(holders.minus(claimId), bookings, moved(this, h, null), claimId, null);
    }

    /** Returns these holdings with {@code booking} promised to copy {@code copyId} (replacing one it had). */
    public Holdings withBooking(String copyId, Booking booking) {
        return next(holders, bookings.plus(copyId, booking), totals, null, copyId);
    }

    /** Returns these holdings without copy {@code copyId}'s booking. */
    public Holdings withoutBooking(String copyId) {
        if (!bookings.containsKey(copyId)) {
            return this;
        }
        return next(holders, bookings.minus(copyId), totals, null, copyId);
    }

    /** Returns these holdings without any booking of {@code reservation}. */
    public Holdings withoutReservation(String reservation) {
        TreePMap<String, Booking> left = bookings;
        for (Map.Entry<String, Booking> b : bookings.entrySet()) {
            if (b.getValue().reservation().equals(reservation)) {
                left = left.minus(b.getKey());
            }
        }
        return left == bookings ? this : new Holdings(holders, left, totals);
    }

    /**
     * Returns the most of {@code kind} that bookings promise at any moment of {@code [from, to)}, leaving out
     * {@code exceptCopy}'s booking (a copy taking up its own promise); 0 for an empty window.
     */
    public long bookedPeak(String kind, long from, long to, String exceptCopy) {
        if (bookings.isEmpty() || to <= from) {
            return 0;
        }
        java.util.List<Timeline.Use> uses = new java.util.ArrayList<>();
        bookings.forEach((id, b) -> {
            long amount = Amounts.get(b.amounts(), kind);
            if (amount > 0 && !id.equals(exceptCopy) && b.overlaps(from, to)) {
                uses.add(new Timeline.Use(b.start(), b.end(), amount));
            }
        });
        return Timeline.peak(uses, from, to);
    }

    /** Whether {@code claimId} holds anything here. */
    public boolean holds(String claimId) {
        return holders.containsKey(claimId);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Holdings h && holders.equals(h.holders) && bookings.equals(h.bookings);
    }

    @Override
    public int hashCode() {
        return Objects.hash(holders, bookings);
    }

    @Override
    public String toString() {
        return "Holdings[holders=" + holders + ", bookings=" + bookings + "]";
    }
}
