package io.ichiba.ledger.pool;

import io.ichiba.ledger.Command;
import io.ichiba.ledger.Rejection;

import java.util.SortedMap;

/** The commands that change a {@link Place}: hold tokens for a claim, return them, report, create. */
public final class PlaceCommands {
    private PlaceCommands() {
    }

    /**
     * Holds {@code amounts} for a claim's grant, if they fit; returns {@code null} when held, else why not. Holding
     * the same amounts again for the same claim changes nothing; other amounts replace its hold.
     */
    public record HoldFor<S extends Place<S>>(String claimId, SortedMap<String, Long> amounts,
                                               String missing, long now, long until) implements Command<S, Rejection> {
        /** A hold checked against the holds only (bookings not looked at). */
        public HoldFor(String claimId, SortedMap<String, Long> amounts, String missing) {
            this(claimId, amounts, missing, 0, 0);
        }

        @Override
        public Outcome<S, Rejection> apply(S place) {
            if (place == null) {
                return Outcome.keep(Rejection.of(Rejection.Code.NOT_FOUND, missing));
            }
            Hold existing = place.holdings().holders().get(claimId);
            if (existing != null && existing.amounts().equals(amounts)) {
                return Outcome.keep(null);
            }
            Rejection r = place.checkHold(claimId, amounts, now, until);
            if (r != null) {
                return Outcome.keep(r);
            }
            return Outcome.write(place.withHoldings(place.holdings().with(claimId, new Hold(amounts))), null);
        }
    }

    /**
     * Promises capacity to copies of a reservation, if it is there over their windows: for each kind and each new
     * booking, the holds (each until its deadline in {@code deadlines}; a holder missing there, for ever) and the
     * bookings already here, plus the new ones, never exceed {@link Place#bookable}. All or none; answers
     * {@code null} when booked. Booking the same copies again answers {@code null} and changes nothing.
     */
    public record Book<S extends Place<S>>(SortedMap<String, Booking> bookings, java.util.Map<String, Long> deadlines,
                                            String missing) implements Command<S, Rejection> {
        @Override
        public Outcome<S, Rejection> apply(S place) {
            if (place == null) {
                return Outcome.keep(Rejection.of(Rejection.Code.NOT_FOUND, missing));
            }
            Holdings h = place.holdings();
            if (bookings.entrySet().stream().allMatch(e -> e.getValue().equals(h.bookings().get(e.getKey())))) {
                return Outcome.keep(null);
            }
            Holdings next = h;
            for (var e : bookings.entrySet()) {
                next = next.withBooking(e.getKey(), e.getValue());
            }
            java.util.TreeSet<String> kinds = new java.util.TreeSet<>();
            bookings.values().forEach(b -> kinds.addAll(b.amounts().keySet()));
            for (String kind : kinds) {
                java.util.List<Timeline.Use> uses = Timeline.uses(next, kind, deadlines);
                for (Booking b : bookings.values()) {
                    long peak = Timeline.peak(uses, b.start(), b.end());
                    if (Amounts.get(b.amounts(), kind) > 0 && peak > place.bookable(kind)) {
                        return Outcome.keep(Rejection.of(Rejection.Code.WINDOW_FULL, missing.replaceFirst("^no ", "")
                                + ": " + kind + " would be promised " + peak + " of " + place.bookable(kind)
                                + " in the window"));
                    }
                }
            }
            return Outcome.write(place.withHoldings(next), null);
        }
    }

    /** Withdraws every booking of a reservation from a place; answers how many were withdrawn. */
    public record Unbook<S extends Place<S>>(String reservation) implements Command<S, Integer> {
        @Override
        public Outcome<S, Integer> apply(S place) {
            if (place == null) {
                return Outcome.keep(0);
            }
            Holdings after = place.holdings().withoutReservation(reservation);
            if (after == place.holdings()) {
                return Outcome.keep(0);
            }
            return Outcome.write(place.withHoldings(after),
                    place.holdings().bookings().size() - after.bookings().size());
        }
    }

    /**
     * Turns a copy's booking into its claim's hold: the capacity kept free for it is taken
     * up, if the place still has it (a node may have reported less since). Answers whether the copy holds here
     * afterwards (false if it had neither a booking nor a hold: the reservation was withdrawn; or if the place no
     * longer has room for it: the booking is dropped and the copy is not granted).
     */
    public record Activate<S extends Place<S>>(String copyId) implements Command<S, Boolean> {
        @Override
        public Outcome<S, Boolean> apply(S place) {
            if (place == null) {
                return Outcome.keep(false);
            }
            Holdings h = place.holdings();
            Booking b = h.bookings().get(copyId);
            if (b == null) {
                Hold held = h.holders().get(copyId);
                return Outcome.keep(held != null);
            }
            if (place.checkHold(copyId, b.amounts()) != null) {
                // the place shrank since the booking (a node reported less, a lock lost permits): a hold now would
                // grant past its capacity (issue 13, defect 11). The booking goes; the copy is not granted.
                return Outcome.write(place.withHoldings(h.withoutBooking(copyId)), false);
            }
            Holdings next = h.withoutBooking(copyId).with(copyId, new Hold(b.amounts()));
            return Outcome.write(place.withHoldings(next), true);
        }
    }

    /**
     * Returns a claim's hold; returns whether anything was returned. Returning twice returns nothing the second time
     * (law 3).
     */
    public record ReturnFor<S extends Place<S>>(String claimId) implements Command<S, Boolean> {
        @Override
        public Outcome<S, Boolean> apply(S place) {
            if (place == null) {
                return Outcome.keep(false);
            }
            Holdings after = place.holdings().without(claimId);
            if (after == place.holdings()) {
                return Outcome.keep(false);
            }
            return Outcome.write(place.withHoldings(after), true);
        }
    }

    /** Creates the value if the key is absent; answers the value that is stored afterwards. */
    public record CreateIfAbsent<S>(S value) implements Command<S, S> {
        @Override
        public Outcome<S, S> apply(S current) {
            return current == null ? Outcome.write(value, value) : Outcome.keep(current);
        }
    }

    /**
     * Creates the value if the key is absent; answers whether it did. Unlike comparing the stored value with the
     * one sent by identity, the answer survives a store that serialises commands and results (Hazelcast).
     */
    public record CreateNew<S>(S value) implements Command<S, Boolean> {
        @Override
        public Outcome<S, Boolean> apply(S current) {
            return current == null ? Outcome.write(value, Boolean.TRUE) : Outcome.keep(Boolean.FALSE);
        }
    }

    /** Marks a node lost if its last report is older than {@code staleBefore}; answers the node if it was marked. */
    public record MarkLost(long staleBefore, long now) implements Command<NodeState, NodeState> {
        @Override
        public Outcome<NodeState, NodeState> apply(NodeState n) {
            if (n == null || n.lost() || n.lastReportAt() >= staleBefore) {
                return Outcome.keep(null);
            }
            NodeState lost = n.markLost(now);
            return Outcome.write(lost, lost);
        }
    }

    /** Applies an agent's report to its node, creating the node on its first report; answers the node. */
    public record Report(String node, SortedMap<String, Long> allocatable, SortedMap<String, Long> free, long now)
            implements Command<NodeState, NodeState> {
        @Override
        public Outcome<NodeState, NodeState> apply(NodeState current) {
            NodeState base = current != null ? current
                    : new NodeState(node, Amounts.none(), Amounts.none(), now, Holdings.empty());
            NodeState next = base.report(allocatable, free, now);
            return Outcome.write(next, next);
        }
    }
}
