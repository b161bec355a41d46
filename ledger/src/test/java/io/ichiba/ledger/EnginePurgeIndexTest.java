package io.ichiba.ledger;

import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.claim.Funding;
import io.ichiba.ledger.engine.EngineStore;
import io.ichiba.ledger.engine.Engines;
import io.ichiba.ledger.handler.Binding;
import io.ichiba.ledger.handler.Delivery;
import io.ichiba.ledger.handler.HandlerFilters;
import io.ichiba.ledger.handler.PriceAlert;
import io.ichiba.ledger.journal.InMemoryJournal;
import io.ichiba.ledger.market.Loan;
import io.ichiba.ledger.market.MarketFilters;
import io.ichiba.ledger.reservation.Reservation;
import io.ichiba.ledger.reservation.ReservationFilters;
import io.ichiba.ledger.store.Table;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.LongFunction;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The purges and the loans' deadlines find what they look for from an index ordered by time (the second a record
 * ended, began or is due), not by testing every record: on the engine, each such filter answers exactly what testing
 * every record answers, for cutoffs all around the records' times, committed and within a command.
 */
class EnginePurgeIndexTest {
    private static final long T0 = 1_900_000_000_000L;
    private final SplittableRandom random = new SplittableRandom(11);
    private EngineStore store;

    @AfterEach
    void close() {
        Engines.closeAll();
    }

    @Test
    void eachTimeIndexAnswersWhatTestingEveryRecordAnswers() {
        store = Engines.started(new InMemoryJournal());
        check(store.loans(), i -> loan("l" + i), MarketFilters.PurgeableLoans::new);
        check(store.loans(), i -> loan("l" + i), MarketFilters.LoansDue::new);
        check(store.alerts(), i -> alert("a" + i), HandlerFilters.PurgeableAlerts::new);
        check(store.deliveries(), i -> delivery("d" + i), HandlerFilters.SettledBefore::new);
        check(store.reservations(), i -> reservation("r" + i), ReservationFilters.PurgeableReservations::new);
        check(store.idempotency(), i -> new IdempotencyRecord("f" + i, time(), random.nextBoolean(), 200, null),
                IdempotencyRecord.StartedBefore::new);
    }

    /**
     * Past {@code ICHIBA_CLAIMS_RETAINED_MAX} ended claims, the oldest go first, before their retention is over (by
     * whole seconds: those that ended in the same second as the last one past the bound go with it); claims that have
     * not ended are never purged, and under the bound only the retention purges.
     */
    @Test
    void pastTheBoundTheOldestEndedClaimsArePurgedBeforeTheirRetention() {
        store = Engines.started(new InMemoryJournal());
        MutableClock clock = new MutableClock();
        Ledger ledger = new Ledger(store, clock, LedgerSettings.defaults().withRetainedMax(4));
        assertThat(ledger.createTenant("acme", java.util.Map.of("memory", 1000L)).ok()).isTrue();
        assertThat(ledger.report("n1", java.util.Map.of("memory", 1000L), java.util.Map.of()).ok()).isTrue();
        Admission admission = new Admission(ledger);
        for (int i = 0; i < 7; i++) {
            ledger.submit(ClaimRequest.of("e" + i, "acme", Bundle.of(java.util.Map.of("memory", 10L), List.of()), 0,
                    60, null));
            assertThat(store.atomically(admission::pass).granted()).hasSize(1);
            ledger.release("e" + i);
            clock.advanceMillis(1000); // each ends in a second of its own
        }
        ledger.submit(ClaimRequest.of("live", "acme", Bundle.of(java.util.Map.of("memory", 10L), List.of()), 0, 60,
                null));
        LeaseReaper reaper = new LeaseReaper(ledger);

        assertThat(reaper.purge()).as("7 ended, 4 kept: the 3 oldest go").isEqualTo(3);
        assertThat(List.of("e0", "e1", "e2")).allMatch(id -> ledger.claim(id) == null);
        assertThat(List.of("e3", "e4", "e5", "e6", "live")).allMatch(id -> ledger.claim(id) != null);
        assertThat(reaper.purge()).as("at the bound").isZero();

        Ledger unbounded = new Ledger(store, clock, LedgerSettings.defaults().withRetainedMax(0));
        assertThat(new LeaseReaper(unbounded).purge()).as("no bound: the retention alone").isZero();
        clock.advanceMillis(LedgerSettings.defaults().retentionMillis());
        assertThat(new LeaseReaper(unbounded).purge()).as("past the retention").isEqualTo(4);
        assertThat(ledger.claim("live")).as("a claim that has not ended stays").isNotNull();
    }

    /** Writes 300 random records (keyed by number), changes a third of them again, and checks 60 cutoffs. */
    private <V> void check(Table<V> table, java.util.function.IntFunction<V> make, LongFunction<Table.Filter<V>> at) {
        store.atomically(() -> {
            for (int i = 0; i < 300; i++) {
                put(table, "k" + i, make.apply(i));
            }
            return null;
        });
        List<Long> cutoffs = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            cutoffs.add(i % 10 == 0 ? T0 + 1000L * random.nextInt(0, 200) : time()); // whole seconds too
        }
        for (long cutoff : cutoffs) {
            same(table, at.apply(cutoff), "committed");
        }
        store.atomically(() -> { // the layers of a command over the committed records
            for (int i = 0; i < 300; i += 3) {
                put(table, "k" + i, make.apply(i));
            }
            for (int i = 1; i < 300; i += 7) {
                table.execute("k" + i, current -> Command.Outcome.write(null, null));
            }
            for (long cutoff : cutoffs) {
                same(table, at.apply(cutoff), "within a command");
            }
            return null;
        });
        for (long cutoff : cutoffs) {
            same(table, at.apply(cutoff), "after");
        }
    }

    private static <V> void put(Table<V> table, String key, V value) {
        table.execute(key, current -> Command.Outcome.write(value, null));
    }

    private static <V> void same(Table<V> table, Table.Filter<V> f, String when) {
        List<String> every = new ArrayList<>();
        table.entries().forEach((k, v) -> {
            if (f.test(v)) {
                every.add(k);
            }
        });
        assertThat(table.localKeys(f)).as("%s %s", f, when).containsExactlyInAnyOrderElementsOf(every);
    }

    private long time() {
        return T0 + random.nextLong(0, 200_000);
    }

    private Loan loan(String id) {
        Loan l = Loan.start(id, "memory", "a", "b", 1, 1, 1, "bid", "offer", time(), random.nextLong(1, 100));
        return switch (random.nextInt(4)) {
            case 0 -> l;
            case 1 -> l.recalled(time());
            case 2 -> l.ending(time(), "TERM");
            default -> l.ending(time(), "TERM").ended();
        };
    }

    private PriceAlert alert(String id) {
        PriceAlert a = PriceAlert.create(id, "t", "memory", PriceAlert.Direction.ABOVE, 10, time());
        return random.nextBoolean() ? a : a.deleted(time());
    }

    private Reservation reservation(String id) {
        Reservation.State[] states = Reservation.State.values();
        long created = time();
        return new Reservation(id, "t", Bundle.of(java.util.Map.of("memory", 1L), List.of()), 1, T0 + 500_000,
                T0 + 900_000, null, Funding.QUOTA_ONLY, 60, 1, states[random.nextInt(states.length)],
                new java.util.TreeMap<>(), 0, 0, created, created + random.nextLong(0, 5000), null, List.of());
    }

    private Delivery delivery(String id) {
        Delivery.StepState[] states = Delivery.StepState.values();
        List<Delivery.Step> steps = List.of(new Delivery.Step("b1", 0, states[random.nextInt(states.length)], 1, 0,
                null), new Delivery.Step("b2", 0, states[random.nextInt(states.length)], 1, 0, null));
        return new Delivery(id, 1, null, "t", Binding.AckPolicy.ALL, steps, Delivery.Ack.PENDING, 0, time());
    }
}
