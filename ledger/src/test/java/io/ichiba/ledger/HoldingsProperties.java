package io.ichiba.ledger;

import io.ichiba.ledger.pool.Booking;
import io.ichiba.ledger.pool.Hold;
import io.ichiba.ledger.pool.Holdings;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A place's holdings ({@link Holdings}) after any sequence of holds, releases and bookings: the granted totals equal
 * the sum over the holders (law 3: derived from the holders, never a counter of their own), whether derived at once,
 * carried from the holdings before, or derived again after a trip through serialization (the journal); and each step
 * leaves the holdings it was made from unchanged (they are shared, not copied).
 */
class HoldingsProperties {

    /** One change: {@code claim} holds {@code amounts} (or lets go, when {@code amounts} is null), or a booking. */
    record Step(String claim, Map<String, Long> amounts, boolean booking) {
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<String> claims = Arbitraries.of("c1", "c2", "c3", "c4", "c5", "c6");
        Arbitrary<Map<String, Long>> amounts = Arbitraries.maps(Arbitraries.of("memory", "disk", "gpu"),
                Arbitraries.longs().between(1, 1000)).ofMaxSize(3).injectNull(0.3);
        Arbitrary<Step> step = Combinators.combine(claims, amounts, Arbitraries.of(true, false, false, false))
                .as(Step::new);
        return step.list().ofMaxSize(40);
    }

    @Property(tries = 300)
    void totalsAreTheSumOverTheHoldersHoweverTheyWereReached(@ForAll("steps") List<Step> steps) throws Exception {
        Holdings h = Holdings.empty();
        h.granted("memory"); // derived now: later steps carry the totals forward
        Holdings lazy = Holdings.empty(); // never asked until the end: derived from its holders then
        for (Step s : steps) {
            Holdings before = h;
            Map<String, Hold> holdersBefore = new TreeMap<>(before.holders());
            if (s.booking()) {
                Booking b = new Booking("r-" + s.claim(), 1000, 2000, new TreeMap<>(Map.of("memory", 1L)));
                h = h.withBooking(s.claim(), b);
                lazy = lazy.withBooking(s.claim(), b);
            } else if (s.amounts() == null) {
                h = h.without(s.claim());
                lazy = lazy.without(s.claim());
            } else {
                Hold hold = new Hold(new TreeMap<>(s.amounts()));
                h = h.with(s.claim(), hold);
                lazy = lazy.with(s.claim(), hold);
            }
            assertThat(before.holders()).as("the holdings a step was made from are unchanged")
                    .isEqualTo(holdersBefore);
            assertThat(h.totals()).isEqualTo(sum(h));
        }
        assertThat(lazy).isEqualTo(h);
        assertThat(lazy.totals()).isEqualTo(sum(h));
        Holdings read = roundTrip(h);
        assertThat(read).isEqualTo(h);
        assertThat(read.totals()).as("derived again after the journal").isEqualTo(sum(h));
        for (String kind : List.of("memory", "disk", "gpu")) {
            assertThat(read.granted(kind)).isEqualTo(sum(h).getOrDefault(kind, 0L));
        }
    }

    /**
     * What changed since a holdings value, applied to it (or to one that already holds the change, as a member that
     * takes over may), gives the holdings after; past what they remember, or after a copy, they cannot tell.
     */
    @Property(tries = 300)
    void changesSinceAppliedGiveTheHoldingsAfter(@ForAll("steps") List<Step> first, @ForAll("steps") List<Step> then)
            throws Exception {
        Holdings base = roundTrip(apply(Holdings.empty(), first)); // a copy: it remembers nothing before it
        Holdings after = apply(base, then); // at most 40 changes: fewer than the holdings remember
        Holdings.Changes c = after.changesSince(base);
        assertThat(c).isNotNull();
        assertThat(base.applied(c)).isEqualTo(after);
        assertThat(after.applied(c)).as("applied again").isEqualTo(after);
        assertThat(after.applied(c).totals()).isEqualTo(sum(after));
        assertThat(after.changesSince(after)).isEqualTo(new Holdings.Changes(Map.of(), Map.of()));
        assertThat(roundTrip(after).changesSince(base)).as("a copy remembers nothing").isNull();
    }

    private static Holdings apply(Holdings h, List<Step> steps) {
        for (Step s : steps) {
            if (s.booking()) {
                h = s.amounts() == null ? h.withoutBooking(s.claim()) : h.withBooking(s.claim(),
                        new Booking("r-" + s.claim(), 1000, 2000, new TreeMap<>(Map.of("memory", 1L))));
            } else if (s.amounts() == null) {
                h = h.without(s.claim());
            } else {
                h = h.with(s.claim(), new Hold(new TreeMap<>(s.amounts())));
            }
        }
        return h;
    }

    private static Map<String, Long> sum(Holdings h) {
        TreeMap<String, Long> out = new TreeMap<>();
        h.holders().values().forEach(hold -> hold.amounts().forEach((k, v) -> out.merge(k, v, Long::sum)));
        out.values().removeIf(v -> v == 0);
        return out;
    }

    private static Holdings roundTrip(Holdings h) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(h);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (Holdings) in.readObject();
        }
    }

    /**
     * Holdings committed after each change (one change a batch, as a busy node's) can always tell what changed since
     * the committed ones, however many batches came before: a committed record's chain starts again from it. (It did
     * not: after 64 changes in all, one batch in every few wrote a node of 100 000 holders whole, megabytes a batch.)
     */
    @net.jqwik.api.Example
    void committedHoldingsTellEveryLaterChangeOnBatchAfterBatch() {
        Holdings committed = Holdings.empty();
        for (int i = 0; i < 500; i++) {
            Holdings next = committed.with("c" + i, new Hold(new TreeMap<>(Map.of("memory", 1L))));
            if (i % 3 == 0) {
                next = next.with("c" + i + "b", new Hold(new TreeMap<>(Map.of("disk", 1L))));
            }
            assertThat(next.changesSince(committed)).as("change %d", i).isNotNull();
            next.forgetPast();
            committed = next;
        }
    }
}
