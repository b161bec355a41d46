package io.ichiba.bench;

import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.LedgerSettings;
import io.ichiba.ledger.Result;
import io.ichiba.ledger.engine.EngineListener;
import io.ichiba.ledger.engine.EngineStore;
import io.ichiba.ledger.hazelcast.KryoSerializer;
import io.ichiba.ledger.journal.Batch;
import io.ichiba.ledger.journal.InMemoryJournal;
import io.ichiba.ledger.journal.Journal;
import io.ichiba.ledger.journal.Takeover;
import io.ichiba.ledger.market.MarketOrder;
import io.ichiba.ledger.market.MarketSettings;
import io.ichiba.ledger.market.OrderRequest;
import io.ichiba.ledger.store.InMemoryEventLog;
import io.ichiba.ledger.tenant.TenantLimits;
import io.ichiba.pricing.NewOrder;
import io.ichiba.pricing.Side;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Orders through the market as a request places them: {@code Exchange.place} and {@code Exchange.cancel} on a ledger
 * whose store is the engine, each order one operation of the engine (funding, matching, the trades made into loans,
 * what ended orders set aside given back), journaled in batches before it is answered. Books of 1 000 and 100 000
 * resting orders.
 *
 * <p>Run: {@code java -jar bench/target/ichiba-bench.jar MarketBench -f 1 -wi 2 -i 3 -w 2s -r 2s}
 *
 * <h2>Arms</h2>
 * <ul>
 *   <li>{@code memory}: the engine over its journal in memory (no copy of a batch is made).
 *   <li>{@code replicated}: the same, and every batch appended is written by {@link KryoSerializer} (what the
 *       journal's backup on a second member costs the engine's member at least), and every round written behind
 *       writes each record the same way (what the state maps cost). This is the arm that shows what a batch
 *       carries.
 * </ul>
 * The book alone ({@code BookBench.step}) is the baseline: what matching costs without the rest of the market.
 *
 * <h2>Workload</h2>
 * The setup rests {@code resting} orders that do not cross, half bids below the middle price and half offers above,
 * over 1 000 levels each, from 32 tenants with credits enough and quota enough to lend. Then each of 4 threads runs
 * its own random stream, as {@code BookBench}'s: 10 % cancels of an order it placed that rested, 90 % new orders,
 * half bids and half offers, crossing (priced at the far end of the other side) with probability
 * {@code 4/9 × resting now / resting at the start}, else passive at a random level of its own side; amounts 64…512,
 * bids for 3 600 s, offers for 7 200 s. So the book keeps about its size. A crossing order trades with one or two
 * resting orders; each trade becomes a loan, and each order that ended gives back what it set aside. The clock is a
 * counter moved 1 ms every 64 orders: no order and no loan expires during a run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Threads(4)
public class MarketBench {
    private static final String KIND = "memory";
    private static final int OWNERS = 32;
    private static final long OFFER_SECONDS = 7_200;
    private static final long BID_SECONDS = 3_600;

    /** Resting orders the book holds when the measurement starts. */
    @Param({"1000", "100000"})
    public int resting;

    /** {@code memory} or {@code replicated}: see the class. */
    @Param({"memory", "replicated"})
    public String journal;

    private final StepClock clock = new StepClock(1_700_000_000_000L);
    private final AtomicLong ids = new AtomicLong();
    private final AtomicLong steps = new AtomicLong();
    private final LongAdder restingNow = new LongAdder();
    private EngineStore store;
    private Ledger ledger;

    /** Builds the ledger and rests {@code resting} orders that do not cross. */
    @Setup(Level.Trial)
    public void setUp() throws Exception {
        long started = System.nanoTime();
        Journal j = journal.equals("replicated") ? new Serializing(new InMemoryJournal()) : new InMemoryJournal();
        store = new EngineStore(j, new InMemoryEventLog(10_000), null, EngineListener.NONE, Duration.ofSeconds(60));
        store.engine().activate().get(30, TimeUnit.SECONDS);
        ledger = new Ledger(store, clock, LedgerSettings.defaults().withLimits(TenantLimits.NONE),
                MarketSettings.defaults());
        ledger.accounts().openSystemAccounts();
        for (int i = 0; i < OWNERS; i++) {
            require(ledger.createTenant(owner(i), Map.of(KIND, 1L << 40)));
            require(ledger.accounts().mint("mint-" + i, owner(i), 1_000_000_000_000L, null, null));
        }
        SplittableRandom setup = new SplittableRandom(42);
        for (int from = 0; from < resting; from += 500) {
            int start = from;
            store.atomically(() -> { // five hundred orders a command
                for (int i = start; i < Math.min(resting, start + 500); i++) {
                    Side side = i % 2 == 0 ? Side.BID : Side.OFFER;
                    Result<MarketOrder> r = place(setup, side, BookBench.passivePrice(setup, side));
                    if (!r.ok() || !r.value().state().isResting()) {
                        throw new IllegalStateException("setup order did not rest: " + r);
                    }
                }
                return null;
            });
        }
        restingNow.add(resting);
        int size = ledger.exchange().view(KIND, 0).resting();
        if (size != resting) {
            throw new IllegalStateException("setup rested " + size + " orders, wanted " + resting);
        }
        System.gc();
        System.out.printf("%nsetup journal=%s resting=%d: %.1f s%n", journal, resting,
                (System.nanoTime() - started) / 1e9);
    }

    /** Stops the engine. */
    @TearDown(Level.Trial)
    public void tearDown() {
        System.out.printf("%nresting at the end: %d (started with %d)%n",
                ledger.exchange().view(KIND, 0).resting(), resting);
        store.close();
    }

    /** One thread's stream and the orders it placed that rested (to cancel). */
    @State(Scope.Thread)
    public static class Stream {
        final SplittableRandom random = new SplittableRandom(System.nanoTime());
        final List<String[]> rested = new ArrayList<>();
    }

    /** One step of a thread's stream: a new bid or offer (passive or crossing), or a cancel. */
    @Benchmark
    public Object order(Stream s) {
        if (steps.incrementAndGet() % 64 == 0) {
            clock.advance(1);
        }
        int roll = s.random.nextInt(100);
        if (roll < 10 && !s.rested.isEmpty()) {
            String[] o = s.rested.remove(s.random.nextInt(s.rested.size()));
            Result<MarketOrder> r = ledger.exchange().cancel(o[0], o[1]);
            if (r.ok() && r.value().state() == MarketOrder.State.CANCELLED) {
                restingNow.decrement();
            }
            return r;
        }
        Side side = roll < 55 ? Side.BID : Side.OFFER;
        double crossing = 4.0 / 9.0 * restingNow.sum() / resting;
        long price = s.random.nextDouble() < crossing ? BookBench.crossingPrice(side)
                : BookBench.passivePrice(s.random, side);
        Result<MarketOrder> r = place(s.random, side, price);
        if (r.ok() && r.value().state().isResting()) {
            restingNow.increment();
            if (s.rested.size() < 10_000) {
                s.rested.add(new String[] {r.value().id(), r.value().owner()});
            }
        } else if (r.ok() && r.value().filled() > 0) {
            restingNow.decrement(); // about one resting order filled away
        }
        return r;
    }

    private Result<MarketOrder> place(SplittableRandom r, Side side, long price) {
        String id = "o" + ids.incrementAndGet();
        return ledger.exchange().place(OrderRequest.of(id, owner(r.nextInt(OWNERS)), KIND, side,
                64L * (1 + r.nextInt(8)), side == Side.BID ? BID_SECONDS : OFFER_SECONDS, price));
    }

    private static String owner(int i) {
        return "tenant-" + i;
    }

    private static void require(Result<?> r) {
        if (!r.ok()) {
            throw new IllegalStateException("setup refused: " + r.rejection());
        }
    }

    /**
     * The journal in memory, writing every batch appended, and every record written behind, as bytes the way the
     * journal's backup and the state maps would.
     */
    static final class Serializing implements Journal {
        private final InMemoryJournal inner;

        Serializing(InMemoryJournal inner) {
            this.inner = inner;
        }

        @Override
        public Takeover takeOver() {
            return inner.takeOver();
        }

        @Override
        public void append(Batch batch) {
            KryoSerializer.toBytes(batch);
            inner.append(batch);
        }

        @Override
        public boolean writeBehind(long epoch, long seq, Map<String, Map<String, Object>> changes) {
            changes.values().forEach(records -> records.values().forEach(v -> {
                if (v != null) {
                    KryoSerializer.toBytes(v);
                }
            }));
            return inner.writeBehind(epoch, seq, changes);
        }
    }
}
