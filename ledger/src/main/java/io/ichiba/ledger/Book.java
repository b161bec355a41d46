package io.ichiba.ledger;

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

    MarketOrder register(MarketOrder o) {
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
    List<Trade> place(MarketOrder o, long now) {
        NewOrder cmd = new NewOrder(o.id(), o.owner(), o.side(), o.amount(), o.durationSeconds(), o.limitPrice(),
                o.goodUntil());
        PlaceResult r = book.place(cmd, now);
        keep(o.moved(MarketOrder.State.OPEN, null, now));
        for (Trade t : r.trades()) {
            long cost = costOf(t);
            unsettled.put(t.seq(), new Fill(t, cost));
            fill(t.buyOrderId(), t, cost, now);
            fill(t.sellOrderId(), t, cost, now);
            history.recordTrade(now, t.price(), t.amount());
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
        notional.remove(id);
        MarketOrder o = orders.get(id);
        if (o != null && !o.state().isFinal()) {
            keep(o.moved(state, null, now));
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
        return unsettled.remove(seq) != null;
    }

    private static boolean mayNeedWork(MarketOrder o) {
        return (o.state().isFinal() && !o.released()) || o.state() == MarketOrder.State.NEW;
    }

    /** Orders that have ended and not given back what they set aside, or NEW since before {@code staleBefore}. */
    List<MarketOrder> needingWork(long staleBefore) {
        List<MarketOrder> out = new ArrayList<>();
        for (String id : working) {
            MarketOrder o = orders.get(id);
            if ((o.state().isFinal() && !o.released()) || (o.state() == MarketOrder.State.NEW && o.createdAt() < staleBefore)) {
                out.add(o);
            }
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

    View view(int levels) {
        return new View(kind, book.depth(levels), spotPrice(), lastTradePrice, lastTradeAt, book.size());
    }

    List<PriceHistory.Bucket> history(long from, long to, long step) {
        return history.query(from, to, step);
    }

    void checkInvariants() {
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
