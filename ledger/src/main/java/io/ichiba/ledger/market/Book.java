package io.ichiba.ledger.market;

import io.ichiba.pricing.Depth;
import io.ichiba.pricing.NewOrder;
import io.ichiba.pricing.OrderBook;
import io.ichiba.pricing.OrderStatus;
import io.ichiba.pricing.PlaceResult;
import io.ichiba.pricing.PriceHistory;
import io.ichiba.pricing.SmoothedPrice;
import io.ichiba.pricing.Trade;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The market of one kind, kept under the kind's key so that one entry processor at a time changes it (the
 * kind's single writer): the order book, the orders and their states, the trades not yet turned into loans,
 * the posted spot price and the price history.
 *
 * <p>Unlike the other values of the store this one is mutable (copying a large book on every order would cost
 * more than matching it): it is only ever read and changed inside {@link MarketCommands}, which answer
 * immutable snapshots.
 *
 * <h2>As parts ({@link #track}, the engine)</h2>
 * The engine journals what each batch changed, so a book is not journaled whole (a hundred thousand resting orders
 * in every batch that places one) but as its parts, each an immutable record:
 * <pre>
 *   books[kind]                  Head: the sequences, the trades not yet loans, the spot price, the last trade
 *   bookOrders[kind/orderId]     Entry: the order, its arrival sequence while it rests, what its fills add up to
 *   bookPrices[kind/s|t/n]       Sample: the n-th spot sample or trade print of the price history
 * </pre>
 * A tracked book records which parts its changes touched; {@link #drain} hands them over (then the engine journals
 * them with the batch), and {@link #rebuild} makes the same book again from its parts (a takeover, or a command that
 * failed half way).
 */
public final class Book implements Serializable {
    private static final long serialVersionUID = 1L;
    /** Spot samples and trades kept in the history, each. */
    public static final int HISTORY = 20_000;

    private final String kind;
    private final OrderBook book;
    private final Map<String, MarketOrder> orders = new LinkedHashMap<>();
    /**
     * The orders that may need the market's work (new, or ended without giving back what they set aside), kept apart
     * from the resting ones: a sweep of the book looks at these, not at every order.
     */
    private final java.util.Set<String> working = new java.util.LinkedHashSet<>();
    /** How many orders each owner has that have not ended (what its limit of open orders counts). */
    private final Map<String, Integer> openByOwner = new java.util.HashMap<>();
    private final TreeMap<Long, Fill> unsettled = new TreeMap<>();
    /** What each partly filled bid's fills add up to, in minor units × 3600 (exact, before rounding). */
    private final Map<String, Long> notional = new java.util.HashMap<>();
    private final PriceHistory history = new PriceHistory(HISTORY, HISTORY);
    private SmoothedPrice spot;
    private long lastTradePrice;
    private long lastTradeAt;
    /** Spot samples and trade prints recorded so far (each one's number in its part's key). */
    private long spots;
    private long trades;
    /** The parts changed since the last {@link #drain}, while the book is kept as parts; {@code null} otherwise. */
    private transient Changed changed;

    /** The table of a book's head (the engine's journal). */
    public static final String HEADS = "books";
    /** The table of a book's orders. */
    public static final String ORDERS = "bookOrders";
    /** The table of a book's price history. */
    public static final String PRICES = "bookPrices";

    /** Creates the empty market of {@code kind}. */
    public Book(String kind) {
        this.kind = kind;
        this.book = new OrderBook(kind);
    }

    /** The kind. */
    public String kind() {
        return kind;
    }

    MarketOrder order(String id) {
        return orders.get(id);
    }

    public MarketOrder register(MarketOrder o) {
        MarketOrder existing = orders.get(o.id());
        if (existing != null) {
            return existing;
        }
        keep(o);
        return o;
    }

    void put(MarketOrder o) {
        keep(o);
    }

    /** Keeps {@code o} as its order's state, counting its owner's open orders. */
    private void keep(MarketOrder o) {
        MarketOrder before = orders.put(o.id(), o);
        if (changed != null) {
            changed.orders.add(o.id());
        }
        if (mayNeedWork(o)) {
            working.add(o.id());
        } else {
            working.remove(o.id());
        }
        boolean was = before != null && !before.state().isFinal();
        boolean is = !o.state().isFinal();
        if (was != is) {
            openByOwner.merge(o.owner(), is ? 1 : -1, (a, b) -> a + b == 0 ? null : a + b);
        }
    }

    /** How many of {@code owner}'s orders in this market have not ended. */
    int openOf(String owner) {
        return openByOwner.getOrDefault(owner, 0);
    }

    /** Places a funded NEW order in the book: matches it, rests what is left, records trades; answers the trades. */
    public List<Trade> place(MarketOrder o, long now) {
        NewOrder cmd = new NewOrder(o.id(), o.owner(), o.side(), o.amount(), o.durationSeconds(), o.limitPrice(),
                o.goodUntil());
        PlaceResult r = book.place(cmd, now);
        headChanged();
        keep(o.moved(MarketOrder.State.OPEN, now));
        for (Trade t : r.trades()) {
            long cost = costOf(t);
            unsettled.put(t.seq(), new Fill(t, cost));
            fill(t.buyOrderId(), t, cost, now);
            fill(t.sellOrderId(), t, cost, now);
            history.recordTrade(now, t.price(), t.amount());
            sampled(true, t.price(), t.amount());
            lastTradePrice = t.price();
            lastTradeAt = now;
        }
        if (r.order().state() == io.ichiba.pricing.OrderState.EXPIRED) {
            end(o.id(), MarketOrder.State.EXPIRED, now);
        }
        r.expired().forEach(s -> end(s.id(), MarketOrder.State.EXPIRED, now));
        return r.trades();
    }

    /**
     * What a trade costs its bid: the rounded-up cost of all the bid's fills so far, less that of the fills before.
     * A bid filled in parts so pays what its fills add up to, rounded up once, which never exceeds its hold (the
     * rounded-up cost of its whole amount at its maximum price); a fill rounded up on its own could.
     */
    private long costOf(Trade t) {
        long before = notional.getOrDefault(t.buyOrderId(), 0L);
        long after = Math.addExact(before, Math.multiplyExact(Math.multiplyExact(t.price(), t.amount()),
                t.durationSeconds()));
        MarketOrder bid = orders.get(t.buyOrderId());
        if (bid != null && bid.filled() + t.amount() >= bid.amount()) {
            notional.remove(t.buyOrderId());
        } else {
            notional.put(t.buyOrderId(), after);
        }
        if (changed != null) {
            changed.orders.add(t.buyOrderId()); // what its fills add up to is kept with the order
        }
        return -Math.floorDiv(-after, 3600) + Math.floorDiv(-before, 3600);
    }

    private void fill(String id, Trade t, long cost, long now) {
        MarketOrder o = orders.get(id);
        if (o == null) {
            return;
        }
        long qty = t.amount();
        boolean done = o.filled() + qty >= o.amount();
        long paid = o.side() == io.ichiba.pricing.Side.BID ? cost : 0;
        keep(o.withFill(qty, paid, done ? MarketOrder.State.FILLED : MarketOrder.State.PARTIALLY_FILLED,
                now));
    }

    private void end(String id, MarketOrder.State state, long now) {
        if (notional.remove(id) != null && changed != null) {
            changed.orders.add(id);
        }
        MarketOrder o = orders.get(id);
        if (o != null && !o.state().isFinal()) {
            keep(o.moved(state, now));
        }
    }

    /** Cancels a resting order; answers it afterwards ({@code null} if unknown). */
    MarketOrder cancel(String id, long now) {
        if (book.cancel(id).isPresent()) {
            end(id, MarketOrder.State.CANCELLED, now);
        }
        return orders.get(id);
    }

    /** Expires every resting order past its goodUntil; answers how many. */
    int expire(long now) {
        List<OrderStatus> gone = book.expire(now);
        gone.forEach(s -> end(s.id(), MarketOrder.State.EXPIRED, now));
        return gone.size();
    }

    /**
     * A trade and what it costs its bid (see {@link #costOf}): the loan it becomes holds that cost in escrow.
     *
     * @param trade the trade
     * @param cost  minor units
     */
    public record Fill(Trade trade, long cost) implements Serializable {
    }

    /** The trades made and not yet turned into loans, oldest first. */
    List<Fill> unsettled() {
        return new ArrayList<>(unsettled.values());
    }

    boolean settled(long seq) {
        if (unsettled.remove(seq) == null) {
            return false;
        }
        headChanged();
        return true;
    }

    private static boolean mayNeedWork(MarketOrder o) {
        return o.state().isFinal() && !o.released();
    }

    /** Orders that have ended and not given back what they set aside. */
    List<MarketOrder> needingWork() {
        List<MarketOrder> out = new ArrayList<>();
        for (String id : working) {
            out.add(orders.get(id));
        }
        return out;
    }

    /** Forgets final, released orders that ended before {@code cutoff}; answers their ids. */
    List<String> purge(long cutoff) {
        List<String> gone = new ArrayList<>();
        orders.values().removeIf(o -> {
            boolean old = o.state().isFinal() && o.released() && o.endedAt() < cutoff;
            if (old) {
                gone.add(o.id());
                if (changed != null) {
                    changed.orders.add(o.id()); // no longer there: removed from the parts
                }
            }
            return old;
        });
        return gone;
    }

    /** Moves the posted spot price towards {@code target}, smoothed over {@code windowMillis}; answers it. */
    long spot(long target, long windowMillis, long now) {
        if (spot == null || spot.windowMillis() != windowMillis) {
            spot = new SmoothedPrice(target, windowMillis, now);
        }
        long posted = spot.update(target, now);
        history.recordSpot(now, posted);
        sampled(false, posted, 0);
        headChanged();
        return posted;
    }

    /** The posted spot price, 0 before the first. */
    long spotPrice() {
        return spot == null ? 0 : spot.posted();
    }

    List<MarketOrder> ordersOf(String owner, boolean liveOnly) {
        List<MarketOrder> out = new ArrayList<>();
        for (MarketOrder o : orders.values()) {
            if ((owner == null || o.owner().equals(owner)) && (!liveOnly || !o.state().isFinal())) {
                out.add(o);
            }
        }
        return out;
    }

    public View view(int levels) {
        return new View(kind, book.depth(levels), spotPrice(), lastTradePrice, lastTradeAt, book.size());
    }

    List<PriceHistory.Bucket> history(long from, long to, long step) {
        return history.query(from, to, step);
    }

    // ---------------------------------------------------------------- as parts

    /**
     * A book's own part: its sequences, the trades not yet turned into loans, the spot price (a copy), the last trade,
     * and how many samples its history has recorded.
     */
    public record Head(String kind, long nextOrderSeq, long nextTradeSeq, List<Fill> unsettled, SmoothedPrice spot,
                       long lastTradePrice, long lastTradeAt, long spots, long trades) implements Serializable {
        /** Copies the list. */
        public Head {
            unsettled = List.copyOf(unsettled);
        }
    }

    /**
     * An order as a part of its book.
     *
     * @param order    the order
     * @param seq      its arrival sequence while it rests (its time priority), else 0
     * @param notional what a partly filled bid's fills add up to (see {@link #costOf}), else 0
     */
    public record Entry(MarketOrder order, long seq, long notional) implements Serializable {
    }

    /**
     * One sample of a book's price history: a spot sample ({@code amount} 0) or a trade print, at the time the
     * history kept it.
     */
    public record Sample(long time, long price, long amount) implements Serializable {
    }

    /** Takes the parts a book hands over. */
    public interface Parts {
        /** The part {@code key} of {@code table} is now {@code value} ({@code null}: removed). */
        void put(String table, String key, Object value);
    }

    /** The parts changed since the last drain. */
    private static final class Changed {
        final java.util.Set<String> orders = new java.util.LinkedHashSet<>();
        final List<Sampled> samples = new ArrayList<>();
        boolean head;

        void clear() {
            orders.clear();
            samples.clear();
            head = false;
        }
    }

    /** A sample recorded since the last drain: the {@code n}-th spot sample or trade print. */
    private record Sampled(boolean trade, long n, Sample sample) {
    }

    /**
     * From now on, records which parts change (until {@link #drain} hands them over); answers this book. A book not
     * tracked before counts every part it has as changed.
     */
    public Book track() {
        if (changed == null) {
            changed = new Changed();
            changed.head = true;
            changed.orders.addAll(orders.keySet());
            List<PriceHistory.SpotSample> s = history.spotSamples();
            for (int i = 0; i < s.size(); i++) {
                changed.samples.add(new Sampled(false, spots - s.size() + i + 1,
                        new Sample(s.get(i).time(), s.get(i).price(), 0)));
            }
            List<PriceHistory.TradePrint> t = history.lastTrades(HISTORY);
            for (int i = 0; i < t.size(); i++) {
                changed.samples.add(new Sampled(true, trades - t.size() + i + 1,
                        new Sample(t.get(i).time(), t.get(i).price(), t.get(i).amount())));
            }
        }
        return this;
    }

    private void headChanged() {
        if (changed != null) {
            changed.head = true;
        }
    }

    private void sampled(boolean trade, long price, long amount) {
        long n = trade ? ++trades : ++spots;
        if (changed != null) {
            changed.samples.add(new Sampled(trade, n, new Sample(history.latest(), price, amount)));
        }
    }

    /** The key of an order's part. */
    public static String orderKey(String kind, String id) {
        return kind + "/" + id;
    }

    /** The key of the {@code n}-th spot sample or trade print's part. */
    public static String sampleKey(String kind, boolean trade, long n) {
        return kind + (trade ? "/t/" : "/s/") + n;
    }

    /** The kind a part's key belongs to. */
    public static String kindOf(String key) {
        int slash = key.indexOf('/');
        return slash < 0 ? key : key.substring(0, slash);
    }

    /** Hands the parts changed since the last drain to {@code out}, as they are now; forgets them. */
    public void drain(Parts out) {
        if (changed == null) {
            return;
        }
        if (changed.head) {
            out.put(HEADS, kind, new Head(kind, book.nextOrderSeq(), book.nextTradeSeq(),
                    new ArrayList<>(unsettled.values()), spot == null ? null : spot.copy(), lastTradePrice,
                    lastTradeAt, spots, trades));
        }
        for (String id : changed.orders) {
            MarketOrder o = orders.get(id);
            out.put(ORDERS, orderKey(kind, id), o == null ? null
                    : new Entry(o, book.seqOf(id), notional.getOrDefault(id, 0L)));
        }
        for (Sampled s : changed.samples) {
            out.put(PRICES, sampleKey(kind, s.trade(), s.n()), s.sample());
            if (s.n() > HISTORY) {
                out.put(PRICES, sampleKey(kind, s.trade(), s.n() - HISTORY), null); // the history's ring forgot it
            }
        }
        changed.clear();
    }

    /**
     * The book whose parts these are: its orders as they were (the resting ones in the order book at their arrival
     * sequences), its head, its price history. The book is tracked ({@link #track}) and has nothing to drain.
     *
     * @param kind    the kind
     * @param head    its head, or {@code null} if it never had one (then it has no orders either)
     * @param entries its orders
     * @param samples its price history's samples by key ({@link #sampleKey})
     */
    public static Book rebuild(String kind, Head head, java.util.Collection<Entry> entries,
                               Map<String, Sample> samples) {
        Book b = new Book(kind);
        List<Entry> byArrival = new ArrayList<>();
        List<Entry> all = new ArrayList<>(entries);
        all.sort(java.util.Comparator.comparingLong((Entry e) -> e.order().createdAt())
                .thenComparing(e -> e.order().id()));
        for (Entry e : all) {
            b.keep(e.order());
            if (e.notional() != 0) {
                b.notional.put(e.order().id(), e.notional());
            }
            if (e.order().state().isResting()) {
                byArrival.add(e);
            }
        }
        byArrival.sort(java.util.Comparator.comparingLong(Entry::seq));
        for (Entry e : byArrival) {
            MarketOrder o = e.order();
            b.book.restore(new NewOrder(o.id(), o.owner(), o.side(), o.amount(), o.durationSeconds(), o.limitPrice(),
                    o.goodUntil()), o.filled(), e.seq());
        }
        if (head != null) {
            b.book.resume(head.nextOrderSeq(), head.nextTradeSeq());
            head.unsettled().forEach(f -> b.unsettled.put(f.trade().seq(), f));
            b.spot = head.spot() == null ? null : head.spot().copy();
            b.lastTradePrice = head.lastTradePrice();
            b.lastTradeAt = head.lastTradeAt();
            b.spots = head.spots();
            b.trades = head.trades();
        }
        // the history's samples in the order they were kept (their times never go back; spot before trade at a tie)
        List<Map.Entry<String, Sample>> kept = new ArrayList<>(samples.entrySet());
        kept.sort(java.util.Comparator.comparingLong((Map.Entry<String, Sample> e) -> e.getValue().time())
                .thenComparing(e -> e.getKey().contains("/t/"))
                .thenComparingLong(e -> Long.parseLong(e.getKey().substring(e.getKey().lastIndexOf('/') + 1))));
        for (Map.Entry<String, Sample> e : kept) {
            Sample s = e.getValue();
            if (e.getKey().contains("/t/")) {
                b.history.recordTrade(s.time(), s.price(), s.amount());
            } else {
                b.history.recordSpot(s.time(), s.price());
            }
        }
        b.changed = new Changed();
        return b;
    }

    /** Everything a book holds, as values equal for two books that hold the same (for checks). */
    public record Snapshot(Map<String, MarketOrder> orders, List<OrderStatus> resting, long nextOrderSeq, long nextTradeSeq,
                    List<Fill> unsettled, Map<String, Long> notional, List<Long> spot, long lastTradePrice,
                    long lastTradeAt, long spots, long trades, List<PriceHistory.SpotSample> spotSamples,
                    List<PriceHistory.TradePrint> tradePrints, Map<String, Integer> openByOwner,
                    java.util.Set<String> working) {
    }

    public Snapshot snapshot() {
        return new Snapshot(new TreeMap<>(orders), book.restingOrders(), book.nextOrderSeq(), book.nextTradeSeq(),
                unsettled(), new TreeMap<>(notional), spot == null ? List.of()
                        : List.of(spot.posted(), spot.lastUpdate(), spot.windowMillis()),
                lastTradePrice, lastTradeAt, spots, trades, history.spotSamples(), history.lastTrades(HISTORY),
                new TreeMap<>(openByOwner), new java.util.TreeSet<>(working));
    }

    public void checkInvariants() {
        book.checkInvariants();
        Map<String, Integer> open = new java.util.HashMap<>();
        orders.values().stream().filter(o -> !o.state().isFinal()).forEach(o -> open.merge(o.owner(), 1, Integer::sum));
        if (!open.equals(openByOwner)) {
            throw new IllegalStateException("open orders by owner " + openByOwner + ", counted " + open);
        }
        java.util.Set<String> work = new java.util.HashSet<>();
        orders.values().stream().filter(Book::mayNeedWork).forEach(o -> work.add(o.id()));
        if (!work.equals(new java.util.HashSet<>(working))) {
            throw new IllegalStateException("orders kept apart for work " + working + ", found " + work);
        }
    }

    /**
     * A snapshot of a kind's market.
     *
     * @param kind           the kind
     * @param depth          resting amount per price level, each side
     * @param spotPrice      the posted spot price (0 before the first)
     * @param lastTradePrice the last trade's price (0 before the first)
     * @param lastTradeAt    epoch millis of the last trade (0 before the first)
     * @param resting        resting orders
     */
    public record View(String kind, Depth depth, long spotPrice, long lastTradePrice, long lastTradeAt, int resting)
            implements Serializable {
    }
}
