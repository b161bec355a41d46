package io.ichiba.ledger;

import io.ichiba.ledger.engine.EngineStore;
import io.ichiba.ledger.engine.Engines;
import io.ichiba.ledger.journal.InMemoryJournal;
import io.ichiba.ledger.market.Book;
import io.ichiba.ledger.market.MarketOrder;
import io.ichiba.ledger.market.MarketSettings;
import io.ichiba.ledger.market.OrderRequest;
import io.ichiba.ledger.store.Store;
import io.ichiba.pricing.Side;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterTry;
import net.jqwik.api.statistics.Statistics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The market on an engine that is taken over now and then is the market on an engine that never is: random orders,
 * cancels, spot updates, sweeps and moves of the clock, run on both; now and then a new engine takes the first one's
 * journal over (its books made again from their journaled parts, its tenants patched from batches as another member
 * got them) and goes on.
 * After every step the answers, every book and every tenant are equal, and the journal holds each book exactly.
 */
class EngineMarketProperties {
    private static final String KIND = "memory";
    private static final List<String> TENANTS = List.of("t0", "t1", "t2");

    sealed interface Op permits Place, Cancel, Advance, Spot, Sweep, TakeOver {
    }

    record Place(Side side, int owner, long amount, long duration, long price, long ttl) implements Op {
    }

    record Cancel(int pick) implements Op {
    }

    record Advance(long millis) implements Op {
    }

    record Spot() implements Op {
    }

    record Sweep() implements Op {
    }

    record TakeOver() implements Op {
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Op> place = Combinators.combine(Arbitraries.of(Side.class), Arbitraries.integers().between(0, 2),
                Arbitraries.longs().between(1, 6).map(a -> a * 64), Arbitraries.of(1800L, 3600L, 7200L),
                Arbitraries.longs().between(1, 8), Arbitraries.oneOf(Arbitraries.just(-1L),
                        Arbitraries.longs().between(1, 20_000))).as(Place::new);
        return Arbitraries.frequencyOf(
                Tuple.of(10, place),
                Tuple.of(2, Arbitraries.integers().between(0, 1000).map(Cancel::new)),
                Tuple.of(2, Arbitraries.longs().between(1, 30_000).map(Advance::new)),
                Tuple.of(1, Arbitraries.of(1_900_000L, 3_700_000L, 7_300_000L).map(Advance::new)), // terms end
                Tuple.of(1, Arbitraries.just(new Spot())),
                Tuple.of(2, Arbitraries.just(new Sweep())),
                Tuple.of(2, Arbitraries.just(new TakeOver()))).list().ofMinSize(20).ofMaxSize(60);
    }

    @AfterTry
    void close() {
        Engines.closeAll();
    }

    @Property(tries = 150)
    void theMarketIsTheSameAcrossTakeovers(@ForAll("ops") List<Op> ops) {
        MutableClock engClock = new MutableClock();
        InMemoryJournal journal = new InMemoryJournal();
        // the journal keeps every batch (nothing written behind) as another member gets it: a takeover replays them
        // all, the tenants' patches included
        Engines.AsBackup asBackup = new Engines.AsBackup(journal) {
            @Override
            public boolean writeBehind(long epoch, long seq, Map<String, Map<String, Object>> changes) {
                return false;
            }
        };
        EngineStore engine = Engines.started(asBackup);
        Ledger[] current = {ledger(engine, engClock)};
        // the engine never taken over reads the other's clock (which, after a takeover, resumes from the journal's time)
        Ledger ref = ledger(Engines.started(new InMemoryJournal()), new java.time.Clock() {
            @Override
            public long millis() {
                return current[0].clock().millis();
            }

            @Override
            public java.time.Instant instant() {
                return java.time.Instant.ofEpochMilli(millis());
            }

            @Override
            public java.time.ZoneId getZone() {
                return java.time.ZoneOffset.UTC;
            }

            @Override
            public java.time.Clock withZone(java.time.ZoneId zone) {
                throw new UnsupportedOperationException();
            }
        });
        Ledger eng = current[0];
        List<String[]> placed = new ArrayList<>();
        int n = 0;
        boolean loansEnded = false;
        boolean replayedAnEnd = false;
        for (Op op : ops) {
            if (op instanceof Place p) {
                String id = "o" + (++n);
                long goodUntil = p.ttl() < 0 ? Long.MAX_VALUE : engClock.millis() + p.ttl();
                String owner = TENANTS.get(p.owner());
                Result<MarketOrder> a = ref.exchange().place(OrderRequest.of(id, owner, KIND, p.side(), p.amount(),
                        p.duration(), p.price()).until(goodUntil));
                Result<MarketOrder> b = eng.exchange().place(OrderRequest.of(id, owner, KIND, p.side(), p.amount(),
                        p.duration(), p.price()).until(goodUntil));
                assertThat(b).as("placing %s", id).isEqualTo(a);
                placed.add(new String[] {id, owner});
            } else if (op instanceof Cancel c && !placed.isEmpty()) {
                String[] o = placed.get(c.pick() % placed.size());
                assertThat(eng.exchange().cancel(o[0], o[1])).as("cancelling %s", o[0])
                        .isEqualTo(ref.exchange().cancel(o[0], o[1]));
            } else if (op instanceof Advance a) {
                engClock.advanceMillis(a.millis());
            } else if (op instanceof Spot) {
                assertThat(eng.exchange().updateSpot()).isEqualTo(ref.exchange().updateSpot());
            } else if (op instanceof Sweep) {
                int ended = ref.exchange().sweep();
                assertThat(eng.exchange().sweep()).isEqualTo(ended);
                loansEnded |= ended > 0;
            } else if (op instanceof TakeOver) {
                replayedAnEnd |= loansEnded;
                engine = Engines.started(asBackup); // fences the engine before it
                eng = ledger(engine, engClock);
                current[0] = eng;
            }
            assertThat(snapshot(engine)).as("the engine's book after %s", op).isEqualTo(snapshot(ref.store()));
            // the loans alike, their outboxes aside: the engine publishes a batch's events and empties the outboxes
            assertThat(eng.exchange().loans(null, false)).usingRecursiveFieldByFieldElementComparatorIgnoringFields(
                    "outbox").isEqualTo(ref.exchange().loans(null, false));
            assertThat(eng.store().tenants().entries()).as("tenants, their earmarks and loan shares")
                    .isEqualTo(ref.store().tenants().entries());
        }
        // the runs must reach the states that matter (about 8–13 % and 95 % of tries; the bounds far below them)
        Statistics.label("a takeover replayed a loan's end").collect(replayedAnEnd);
        Statistics.label("loans made").collect(!eng.exchange().loans(null, false).isEmpty());
        Statistics.label("a takeover replayed a loan's end").coverage(c -> c.check(true).count(k -> k >= 2));
        Statistics.label("loans made").coverage(c -> c.check(true).percentage(p -> p > 50));
        EngineExchangeTest.assertJournalHoldsTheBooks(journal, engine, List.of(KIND));
        assertThat(new Auditor(eng).audit().drift()).isEmpty();
    }

    private static Ledger ledger(Store store, java.time.Clock clock) {
        Ledger l = new Ledger(store, clock, LedgerSettings.defaults(), MarketSettings.defaults());
        l.accounts().openSystemAccounts();
        if (store.tenants().get("t0") == null) {
            for (String t : TENANTS) {
                assertThat(l.createTenant(t, Map.of(KIND, 4_096L)).ok()).isTrue();
                assertThat(l.accounts().mint("m-" + t, t, 10_000_000, null, null).ok()).isTrue();
            }
            assertThat(l.report("n1", Map.of(KIND, 65_536L), Map.of()).ok()).isTrue();
        }
        return l;
    }

    private static Book.Snapshot snapshot(Store store) {
        return store.books().execute(KIND, b -> Command.Outcome.keep(b == null ? null : b.snapshot()));
    }
}
