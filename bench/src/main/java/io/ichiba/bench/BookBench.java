package io.ichiba.bench;

import io.ichiba.ledger.Command;
import io.ichiba.ledger.Result;
import io.ichiba.ledger.market.Book;
import io.ichiba.ledger.market.MarketCommands;
import io.ichiba.ledger.market.MarketOrder;
import io.ichiba.pricing.NewOrder;
import io.ichiba.pricing.Side;
import io.ichiba.pricing.Trade;
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
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Order-book matching: orders (and cancels) per second that one kind's {@link Book} takes, driven through the
 * ledger's own {@link MarketCommands} as {@code Exchange} runs them on the book's key, for books of 1 000,
 * 100 000 and 1 000 000 resting orders.
 *
 * <p>Run: {@code java -jar bench/target/ichiba-bench.jar BookBench -f 1 -wi 2 -i 3 -w 1s -r 2s}
 * (add {@code -p resting=1000} for one size, {@code -rf csv -rff out.csv} for a file).
 *
 * <h2>Workload</h2>
 * The trial's setup rests {@code resting} orders that do not cross (seeded): half bids at prices
 * {@code MID-1 … MID-1000}, half offers at {@code MID+1 … MID+1000}, uniform, so a level holds about
 * {@code resting / 2000} orders. Each measured operation is one step of a seeded stream:
 * <pre>
 *   45 %  new bid     ─┬─ passive:  rests at a price drawn on its own side (never crosses)
 *   45 %  new offer   ─┘  crossing: limit at the far end of the other side, so it fills at once, usually
 *                         against one or two resting orders (partial fills included), and does not rest
 *   10 %  cancel of a resting order drawn uniformly
 * </pre>
 * Amounts are 64…512 MiB (steps of 64) on both sides, owners one of 32 tenants (the book skips an owner's own
 * orders), offers lend for 7 200 s and bids ask 3 600 s (so every pair is eligible). A new order crosses with
 * probability {@code 4/9 × (resting orders of the other side / their target)}: at the target that is 4/9, since
 * every order that rests must leave through a fill or a cancel (0.9 × 5/9 rests = 0.9 × 4/9 fills + 0.1 cancels),
 * and the factor pulls each side back to {@code resting / 2}. At the target the mix is therefore about
 * 25 % passive bids, 25 % passive offers, 20 % crossing bids, 20 % crossing offers and 10 % cancels, and the
 * book's size stays within a few per cent of {@code resting}.
 *
 * <h2>What one step runs</h2>
 * A new order: {@link MarketOrder#create} (its hold), {@link MarketCommands.Place} (registering it,
 * matching, resting, the order records and the price history), then what {@code Exchange.finishBook} changes in
 * the book: {@link MarketCommands.Settled} for each trade (the loan itself is another key's and is not made here)
 * and {@link MarketCommands.Released} for each order that ended. A cancel: {@link MarketCommands.Cancel} and
 * {@link MarketCommands.Released}. Funding (escrow, earmarks), loans and the Hazelcast entry processor around
 * each command are not counted. The benchmark's own bookkeeping (which orders rest, to draw cancels and keep the
 * size) is one hash-map update per order that rests or leaves.
 *
 * <p>{@link #stepAsExchange} adds the reads {@code Exchange.finishBook} makes after every order and cancel:
 * {@code Unsettled}, {@code NeedingWork} and {@code Unsettled} again. {@code NeedingWork} reads the orders that
 * ended and have not given back what they set aside, which the book keeps apart as they change.
 *
 * <h2>Notes</h2>
 * <ul>
 *   <li>Ended orders stay in the book's order map until the market sweep purges them ({@code retentionMillis},
 *       an hour by default); here the purge runs before each iteration, outside the measurement, so within an
 *       iteration the map grows by the orders that ended (about one per step).
 *   <li>The price history ({@link Book#HISTORY} = 20 000 trade prints and 20 000 spot samples) is a fixed ring
 *       of arrays allocated with the book (about 800 KB): recording a trade is O(1) whatever the book's age, so
 *       the bound costs nothing per order; it only sets a floor on a book's memory.
 *   <li>The setup ends with a {@code System.gc()}, so that the filled book is promoted before the warmup rather
 *       than copied by its young collections. Heap: {@code -Xmx3g} (after the setup, 57 MB live for 100 000 resting
 *       orders and 465 MB for 1 000 000, about 460 bytes an order with the bookkeeping; the setup of 1 000 000
 *       takes about 30 s on 2 busy cores, its full collection included); a {@code -jvmArgsAppend} on the command line replaces it, so repeat it there.
 *   <li>The clock is a counter, one millisecond per step; no order expires.
 *   <li>One thread: a book has a single writer (its key's partition thread).
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
public class BookBench {
    private static final String KIND = "memory";
    private static final long MID = 100_000;
    private static final int LEVELS = 1_000;
    private static final int OWNERS = 32;
    private static final long OFFER_SECONDS = 7_200;
    private static final long BID_SECONDS = 3_600;

    /** Resting orders the book holds when the measurement starts (and, roughly, throughout). */
    @Param({"1000", "100000", "1000000"})
    public int resting;

    private final String[] owners = new String[OWNERS];
    private final RestingOrders live = new RestingOrders();
    private Book book;
    private SplittableRandom stream;
    private long now;
    private long seq;

    /** Fills the book with {@code resting} orders that do not cross. */
    @Setup(Level.Trial)
    public void fill() {
        long started = System.nanoTime();
        for (int i = 0; i < OWNERS; i++) {
            owners[i] = "tenant-" + i;
        }
        book = new Book(KIND);
        now = 1_700_000_000_000L;
        SplittableRandom setup = new SplittableRandom(42);
        for (int i = 0; i < resting; i++) {
            Side side = i % 2 == 0 ? Side.BID : Side.OFFER;
            place(setup, side, passivePrice(setup, side));
        }
        if (live.size() != resting || size() != resting) {
            throw new IllegalStateException("setup rested " + size() + " orders, wanted " + resting);
        }
        stream = new SplittableRandom(7);
        System.gc(); // the filled book goes to the old generation now, not through the first measured pauses
        System.out.printf("%nsetup resting=%d: %.1f s%n", resting, (System.nanoTime() - started) / 1e9);
    }

    /** The market sweep's purge of ended orders, outside the measurement. */
    @Setup(Level.Iteration)
    public void purge() {
        run(new MarketCommands.Purge(now + 1));
    }

    /** One step of the stream: a new bid or offer (passive or crossing), or a cancel. */
    @Benchmark
    public void step(Blackhole bh) {
        bh.consume(next());
    }

    /** One step, then the book reads {@code Exchange.finishBook} makes after it (a walk of the order map). */
    @Benchmark
    public void stepAsExchange(Blackhole bh) {
        bh.consume(next());
        bh.consume(run(new MarketCommands.Unsettled()));
        bh.consume(run(new MarketCommands.NeedingWork()));
        bh.consume(run(new MarketCommands.Unsettled()));
    }

    private Object next() {
        now++;
        int roll = stream.nextInt(100);
        if (roll < 10) {
            return cancel();
        }
        Side side = roll < 55 ? Side.BID : Side.OFFER;
        int other = side == Side.BID ? live.offers : live.bids;
        double crossing = 4.0 / 9.0 * other / (resting / 2.0);
        long price = stream.nextDouble() < crossing ? crossingPrice(side) : passivePrice(stream, side);
        return place(stream, side, price);
    }

    /** A price on {@code side}'s own side of the middle, at a random level of its {@code LEVELS}: it rests. */
    static long passivePrice(SplittableRandom r, Side side) {
        int away = 1 + r.nextInt(LEVELS);
        return side == Side.BID ? MID - away : MID + away;
    }

    /** A price at the far end of the other side: an order at it crosses every resting order of that side. */
    static long crossingPrice(Side side) {
        return side == Side.BID ? MID + LEVELS : MID - LEVELS;
    }

    private MarketCommands.Placed place(SplittableRandom r, Side side, long price) {
        String id = "o" + (++seq);
        String owner = owners[r.nextInt(OWNERS)];
        long amount = 64L * (1 + r.nextInt(8));
        MarketOrder order = MarketOrder.create(id, owner, KIND, side, amount,
                side == Side.BID ? BID_SECONDS : OFFER_SECONDS, price, NewOrder.NO_EXPIRY, now, null, null);
        MarketCommands.Placed placed = run(new MarketCommands.Place(order, now));
        for (Trade t : placed.trades()) {
            run(new MarketCommands.Settled(t.seq()));
            String other = side == Side.BID ? t.sellOrderId() : t.buyOrderId();
            if (live.fill(other, t.amount())) {
                run(new MarketCommands.Released(other));
            }
        }
        MarketOrder after = placed.order();
        if (after.state().isFinal()) {
            run(new MarketCommands.Released(id));
        } else {
            live.add(id, owner, side, after.remaining());
        }
        return placed;
    }

    private Result<MarketOrder> cancel() {
        RestingOrders.Entry e = live.pick(stream);
        Result<MarketOrder> r = run(new MarketCommands.Cancel(e.id, e.owner, now));
        live.remove(e);
        run(new MarketCommands.Released(e.id));
        return r;
    }

    private int size() {
        return run(new MarketCommands.ViewOf(0)).resting();
    }

    private <R> R run(Command<Book, R> command) {
        Command.Outcome<Book, R> o = command.apply(book);
        if (o.write() && o.next() != book) {
            throw new IllegalStateException("a book command replaced the book");
        }
        return o.result();
    }

    /** The resting orders as the stream knows them: drawn uniformly for cancels, counted per side. */
    static final class RestingOrders {
        private final Map<String, Entry> byId = new HashMap<>();
        private final List<Entry> all = new ArrayList<>();
        int bids;
        int offers;

        /** One resting order and what is left of it. */
        static final class Entry {
            final String id;
            final String owner;
            final Side side;
            long remaining;
            int slot;

            Entry(String id, String owner, Side side, long remaining) {
                this.id = id;
                this.owner = owner;
                this.side = side;
                this.remaining = remaining;
            }
        }

        int size() {
            return all.size();
        }

        void add(String id, String owner, Side side, long remaining) {
            Entry e = new Entry(id, owner, side, remaining);
            e.slot = all.size();
            all.add(e);
            byId.put(id, e);
            if (side == Side.BID) {
                bids++;
            } else {
                offers++;
            }
        }

        /** Records a fill of a resting order; answers whether it left the book. */
        boolean fill(String id, long amount) {
            Entry e = byId.get(id);
            e.remaining -= amount;
            if (e.remaining > 0) {
                return false;
            }
            remove(e);
            return true;
        }

        Entry pick(SplittableRandom r) {
            return all.get(r.nextInt(all.size()));
        }

        void remove(Entry e) {
            Entry last = all.remove(all.size() - 1);
            if (last != e) {
                last.slot = e.slot;
                all.set(e.slot, last);
            }
            byId.remove(e.id);
            if (e.side == Side.BID) {
                bids--;
            } else {
                offers--;
            }
        }
    }
}
