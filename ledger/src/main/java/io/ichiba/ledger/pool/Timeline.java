package io.ichiba.ledger.pool;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Usage of one kind in one place over time: a pure function of the holds (each until its lease deadline) and the
 * bookings (each over its window). Reservation admission, grants against booked capacity, the pool timeline and
 * placement hints all read capacity over time through it.
 */
public final class Timeline {
    /** A deadline for a hold whose end is unknown: it is taken to hold for ever. */
    public static final long FOREVER = Long.MAX_VALUE;

    private Timeline() {
    }

    /**
     * An amount used over {@code [from, until)}.
     *
     * @param from   epoch millis it starts ({@code Long.MIN_VALUE} for a hold already in place)
     * @param until  epoch millis it ends (exclusive), {@link #FOREVER} if unknown
     * @param amount the amount
     */
    public record Use(long from, long until, long amount) {
        /** Whether it is in use at {@code t}. */
        public boolean at(long t) {
            return from <= t && t < until;
        }
    }

    /** Returns the most in use at any moment of {@code [from, to)}; 0 for an empty window. */
    public static long peak(List<Use> uses, long from, long to) {
        if (to <= from || uses.isEmpty()) {
            return 0;
        }
        TreeSet<Long> moments = new TreeSet<>();
        moments.add(from);
        for (Use u : uses) {
            if (u.from() > from && u.from() < to) {
                moments.add(u.from());
            }
        }
        long peak = 0;
        for (long t : moments) {
            peak = Math.max(peak, at(uses, t));
        }
        return peak;
    }

    /** Returns the total in use at {@code t}. */
    public static long at(List<Use> uses, long t) {
        long sum = 0;
        for (Use u : uses) {
            if (u.at(t)) {
                sum = Math.addExact(sum, u.amount());
            }
        }
        return sum;
    }

    /**
     * Returns the uses of {@code kind} in a place: each hold until its claim's deadline (from {@code deadlines};
     * a holder missing there holds for ever) and each booking over its window.
     */
    public static List<Use> uses(Holdings h, String kind, Map<String, Long> deadlines) {
        List<Use> out = held(h, kind, deadlines);
        out.addAll(booked(h, kind));
        return out;
    }

    /** Returns the bookings of {@code kind} in a place, each over its window. */
    public static List<Use> booked(Holdings h, String kind) {
        List<Use> out = new ArrayList<>();
        h.bookings().values().forEach(b -> {
            long amount = Amounts.get(b.amounts(), kind);
            if (amount > 0) {
                out.add(new Use(b.start(), b.end(), amount));
            }
        });
        return out;
    }

    /** Returns the holds of {@code kind} in a place, each until its claim's deadline. */
    public static List<Use> held(Holdings h, String kind, Map<String, Long> deadlines) {
        List<Use> out = new ArrayList<>();
        h.holders().forEach((id, hold) -> {
            long amount = Amounts.get(hold.amounts(), kind);
            if (amount > 0) {
                out.add(new Use(Long.MIN_VALUE, deadlines.getOrDefault(id, FOREVER), amount));
            }
        });
        return out;
    }

    /**
     * One step of a pool's timeline: the most granted, reserved and used together at any moment of the step.
     *
     * @param at       epoch millis the step starts
     * @param capacity the pool's capacity (today's; the future's is not known)
     * @param granted  the most held at any moment of the step (holds until their lease deadlines)
     * @param reserved the most promised to reservations at any moment of the step
     * @param used     the most held and promised together at any moment of the step
     */
    public record Step(long at, long capacity, long granted, long reserved, long used) {
        /** What is left at the step's busiest moment. */
        public long free() {
            return Math.max(0, capacity - used);
        }
    }

    /** Returns the steps of {@code [from, to)} cut every {@code stepMillis}, each with its peaks. */
    public static List<Step> steps(long capacity, List<Use> held, List<Use> booked, long from, long to, long stepMillis) {
        List<Use> all = new ArrayList<>(held);
        all.addAll(booked);
        List<Step> out = new ArrayList<>();
        for (long t = from; t < to; t = Math.min(to, t + stepMillis)) {
            long end = Math.min(to, t + stepMillis);
            out.add(new Step(t, capacity, peak(held, t, end), peak(booked, t, end), peak(all, t, end)));
            if (end == to) {
                break;
            }
        }
        return out;
    }

    /** Returns the moments at or after {@code from} at which some use ends: where capacity may free up. */
    public static SortedMap<Long, Long> releases(List<Use> uses, long from) {
        TreeMap<Long, Long> out = new TreeMap<>();
        for (Use u : uses) {
            if (u.until() != FOREVER && u.until() >= from) {
                out.merge(u.until(), u.amount(), Long::sum);
            }
        }
        return out;
    }
}
