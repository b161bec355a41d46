package io.ichiba.pricing;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * An order book is the continuous double auction of one resource kind: it keeps resting bids and
 * offers and matches each incoming order against them with price–time priority.
 *
 * <p>Matching rules, for an incoming order placed at time {@code now}:
 *
 * <ul>
 *   <li>A bid matches resting offers with {@code minPrice <= maxPrice}, lowest price first, then
 *       oldest (smallest arrival sequence) first; an offer matches resting bids with
 *       {@code maxPrice >= minPrice}, highest price first, then oldest first.
 *   <li>A pair is eligible only if the offer's duration is at least the bid's (the lender lends
 *       for at least the term asked) and the owners differ (self-trade prevention: the resting
 *       order is skipped, not cancelled). Ineligible orders keep their place in the queue.
 *   <li>Fills may be partial; each trade is at the <em>resting</em> order's price for the bid's
 *       duration. An unfilled remainder rests.
 *   <li>Resting orders whose {@code goodUntil <= now} are removed as {@link OrderState#EXPIRED}
 *       when met; {@link #expire(long)} removes all of them. An incoming order whose
 *       {@code goodUntil <= now} is expired at once and does not trade.
 * </ul>
 *
 * <p>Notes: each side is a {@code TreeMap<price, LinkedHashMap<id, order>>} (insertion order is
 * arrival order, and removal by id is O(1)), plus an index by id and a set ordered by
 * {@code goodUntil} for expiry. Finding a level is O(log n); skipping ineligible orders within a
 * level is linear in the number skipped. The book keeps the total resting amount per side below
 * {@code Long.MAX_VALUE} (an order that would overflow it is rejected) so depth sums cannot
 * overflow. Ids of orders that left the book are not remembered: the caller keeps ids unique.
 *
 * <p>Not thread-safe: like an exchange's matching thread, one writer per kind must serialise all
 * calls. The class holds only plain JDK collections and is {@link Serializable}.
 */
public final class OrderBook implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String kind;
  private final NavigableMap<Long, LinkedHashMap<String, Order>> bids =
      new TreeMap<>(Collections.reverseOrder());
  private final NavigableMap<Long, LinkedHashMap<String, Order>> offers = new TreeMap<>();
  private final Map<String, Order> resting = new HashMap<>();
  private final TreeSet<Order> byExpiry = new TreeSet<>(new ExpiryOrder());
  private long bidTotal;
  private long offerTotal;
  private long nextOrderSeq = 1;
  private long nextTradeSeq = 1;

  /**
   * Creates an empty book for one kind.
   *
   * @param kind the resource kind, e.g. {@code memory}
   * @throws IllegalArgumentException if {@code kind} is blank
   */
  public OrderBook(String kind) {
    if (kind == null || kind.isBlank()) {
      throw new IllegalArgumentException("kind must not be blank");
    }
    this.kind = kind;
  }

  /** Returns the resource kind this book trades. */
  public String kind() {
    return kind;
  }

  /**
   * Places an order at time {@code now}: matches it against the resting orders and rests any
   * unfilled remainder.
   *
   * @param order the validated command
   * @param now the current time (epoch millis), used for expiry
   * @return the order's status, the trades made and the resting orders found expired
   * @throws IllegalArgumentException if an order with the same id is resting, or the side's total
   *     resting amount would overflow; the book is unchanged
   */
  public PlaceResult place(NewOrder order, long now) {
    if (resting.containsKey(order.id())) {
      throw new IllegalArgumentException("duplicate order id: " + order.id());
    }
    long sideTotal = order.side() == Side.BID ? bidTotal : offerTotal;
    try {
      Math.addExact(sideTotal, order.amount());
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("total resting amount would overflow", e);
    }
    Order incoming = new Order(order, nextOrderSeq++);
    if (order.goodUntil() <= now) {
      incoming.state = OrderState.EXPIRED;
      return new PlaceResult(incoming.status(), List.of(), List.of());
    }
    List<Trade> trades = new ArrayList<>();
    List<OrderStatus> expired = new ArrayList<>();
    match(incoming, now, trades, expired);
    if (incoming.remaining() > 0) {
      rest(incoming);
    }
    return new PlaceResult(incoming.status(), trades, expired);
  }

  private void match(Order in, long now, List<Trade> trades, List<OrderStatus> expired) {
    var levels = (in.side == Side.BID ? offers : bids).entrySet().iterator();
    while (levels.hasNext() && in.remaining() > 0) {
      Map.Entry<Long, LinkedHashMap<String, Order>> level = levels.next();
      if (!crosses(in, level.getKey())) {
        break;
      }
      Iterator<Order> queue = level.getValue().values().iterator();
      while (queue.hasNext() && in.remaining() > 0) {
        Order r = queue.next();
        if (r.goodUntil <= now) {
          queue.remove();
          forget(r);
          r.state = OrderState.EXPIRED;
          expired.add(r.status());
        } else if (eligible(in, r)) {
          trades.add(fill(in, r));
          if (r.remaining() == 0) {
            queue.remove();
            forget(r);
          }
        }
      }
      if (level.getValue().isEmpty()) {
        levels.remove();
      }
    }
  }

  private static boolean crosses(Order in, long restingPrice) {
    return in.side == Side.BID ? restingPrice <= in.limitPrice : restingPrice >= in.limitPrice;
  }

  private static boolean eligible(Order a, Order b) {
    if (a.owner.equals(b.owner)) {
      return false;
    }
    Order bid = a.side == Side.BID ? a : b;
    Order offer = a.side == Side.BID ? b : a;
    return offer.durationSeconds >= bid.durationSeconds;
  }

  private Trade fill(Order in, Order r) {
    long qty = Math.min(in.remaining(), r.remaining());
    in.addFill(qty);
    r.addFill(qty);
    if (r.side == Side.BID) {
      bidTotal -= qty;
    } else {
      offerTotal -= qty;
    }
    Order bid = in.side == Side.BID ? in : r;
    Order offer = in.side == Side.BID ? r : in;
    return new Trade(bid.id, offer.id, bid.owner, offer.owner, qty, r.limitPrice,
        bid.durationSeconds, nextTradeSeq++);
  }

  private void rest(Order o) {
    (o.side == Side.BID ? bids : offers)
        .computeIfAbsent(o.limitPrice, p -> new LinkedHashMap<>())
        .put(o.id, o);
    resting.put(o.id, o);
    if (o.goodUntil != NewOrder.NO_EXPIRY) {
      byExpiry.add(o);
    }
    if (o.side == Side.BID) {
      bidTotal = Math.addExact(bidTotal, o.remaining());
    } else {
      offerTotal = Math.addExact(offerTotal, o.remaining());
    }
  }

  /** Removes a resting order from the index, the expiry set and the side total (not its level). */
  private void forget(Order o) {
    resting.remove(o.id);
    byExpiry.remove(o);
    if (o.side == Side.BID) {
      bidTotal -= o.remaining();
    } else {
      offerTotal -= o.remaining();
    }
  }

  /** Removes a resting order completely, including from its level. */
  private void remove(Order o) {
    NavigableMap<Long, LinkedHashMap<String, Order>> side = o.side == Side.BID ? bids : offers;
    LinkedHashMap<String, Order> level = side.get(o.limitPrice);
    level.remove(o.id);
    if (level.isEmpty()) {
      side.remove(o.limitPrice);
    }
    forget(o);
  }

  /**
   * Cancels a resting order.
   *
   * @param id the order's id
   * @return the order's final status ({@link OrderState#CANCELLED}), or empty if no order with
   *     this id is resting (unknown, filled, cancelled or expired)
   */
  public Optional<OrderStatus> cancel(String id) {
    Order o = resting.get(id);
    if (o == null) {
      return Optional.empty();
    }
    remove(o);
    o.state = OrderState.CANCELLED;
    return Optional.of(o.status());
  }

  /**
   * Removes every resting order whose {@code goodUntil <= now}.
   *
   * @param now the current time (epoch millis)
   * @return the expired orders' final statuses, earliest {@code goodUntil} first
   */
  public List<OrderStatus> expire(long now) {
    List<OrderStatus> out = new ArrayList<>();
    while (!byExpiry.isEmpty() && byExpiry.first().goodUntil <= now) {
      Order o = byExpiry.first();
      remove(o);
      o.state = OrderState.EXPIRED;
      out.add(o.status());
    }
    return out;
  }

  /** Returns the status of a resting order, or empty if none with this id is resting. */
  public Optional<OrderStatus> status(String id) {
    Order o = resting.get(id);
    return o == null ? Optional.empty() : Optional.of(o.status());
  }

  /** Returns every resting order, bids then offers, each in priority order (best price, oldest). */
  public List<OrderStatus> restingOrders() {
    List<OrderStatus> out = new ArrayList<>(resting.size());
    for (var side : List.of(bids, offers)) {
      side.values().forEach(level -> level.values().forEach(o -> out.add(o.status())));
    }
    return out;
  }

  /**
   * Returns the arrival sequence of a resting order (its time priority among orders of one price), or
   * 0 if no order with this id is resting.
   */
  public long seqOf(String id) {
    Order o = resting.get(id);
    return o == null ? 0 : o.seq;
  }

  /** Returns the sequence the next order placed will arrive with. */
  public long nextOrderSeq() {
    return nextOrderSeq;
  }

  /** Returns the sequence of the next trade. */
  public long nextTradeSeq() {
    return nextTradeSeq;
  }

  /**
   * Puts back a resting order as a copy of this book held it, to rebuild the book from its resting
   * orders: in arrival order (ascending {@code seq}), then {@link #resume}.
   *
   * @param order the order as placed (its whole amount)
   * @param filled how much of it was filled, {@code 0 <= filled < amount}
   * @param seq its arrival sequence, above every sequence restored before
   * @throws IllegalArgumentException if the id rests already, the amounts do not leave a remainder,
   *     or the sequence is not above the last one
   */
  public void restore(NewOrder order, long filled, long seq) {
    if (resting.containsKey(order.id())) {
      throw new IllegalArgumentException("duplicate order id: " + order.id());
    }
    if (filled < 0 || filled >= order.amount()) {
      throw new IllegalArgumentException("order " + order.id() + " restored with filled " + filled
          + " of " + order.amount());
    }
    if (seq < nextOrderSeq) {
      throw new IllegalArgumentException("order " + order.id() + " restored out of arrival order");
    }
    Order o = new Order(order, seq);
    if (filled > 0) {
      o.addFill(filled);
    }
    rest(o);
    nextOrderSeq = seq + 1;
  }

  /**
   * Continues the sequences of the book a rebuilt copy was made from.
   *
   * @throws IllegalArgumentException if a sequence would go back
   */
  public void resume(long nextOrderSeq, long nextTradeSeq) {
    if (nextOrderSeq < this.nextOrderSeq || nextTradeSeq < this.nextTradeSeq) {
      throw new IllegalArgumentException("sequences go back: " + nextOrderSeq + ", " + nextTradeSeq);
    }
    this.nextOrderSeq = nextOrderSeq;
    this.nextTradeSeq = nextTradeSeq;
  }

  /** Returns the number of resting orders. */
  public int size() {
    return resting.size();
  }

  /** Returns the highest resting bid price, or empty if there are no bids. */
  public OptionalLong bestBid() {
    return bids.isEmpty() ? OptionalLong.empty() : OptionalLong.of(bids.firstKey());
  }

  /** Returns the lowest resting offer price, or empty if there are no offers. */
  public OptionalLong bestOffer() {
    return offers.isEmpty() ? OptionalLong.empty() : OptionalLong.of(offers.firstKey());
  }

  /**
   * Returns the aggregated resting amount per price level, at most {@code levels} per side.
   *
   * @param levels maximum levels per side, {@code >= 0}
   * @throws IllegalArgumentException if {@code levels < 0}
   */
  public Depth depth(int levels) {
    if (levels < 0) {
      throw new IllegalArgumentException("levels must be >= 0: " + levels);
    }
    return new Depth(levels(bids, levels), levels(offers, levels));
  }

  private static List<PriceLevel> levels(
      NavigableMap<Long, LinkedHashMap<String, Order>> side, int max) {
    List<PriceLevel> out = new ArrayList<>();
    for (var e : side.entrySet()) {
      if (out.size() >= max) {
        break;
      }
      long sum = 0;
      for (Order o : e.getValue().values()) {
        sum += o.remaining(); // bounded by the side total, which cannot overflow
      }
      out.add(new PriceLevel(e.getKey(), sum, e.getValue().size()));
    }
    return out;
  }

  /**
   * Checks the book's invariants and throws if one is broken.
   *
   * <p>Checked: every resting order has {@code 0 < remaining}, {@code filled + remaining =
   * amount} and a resting state; it sits on its own side at its own price, and the index, the
   * expiry set and the side totals agree with the levels; no level is empty; and the book is not
   * crossed: no resting bid and offer of different owners with {@code bid.maxPrice >=
   * offer.minPrice} and {@code offer.duration >= bid.duration}. The crossing check costs up to
   * O(bids × crossing offers).
   *
   * @throws IllegalStateException describing the first broken invariant
   */
  public void checkInvariants() {
    int count = checkSide(bids, Side.BID, bidTotal) + checkSide(offers, Side.OFFER, offerTotal);
    if (count != resting.size()) {
      throw new IllegalStateException("index holds " + resting.size() + " orders, levels " + count);
    }
    long withExpiry = resting.values().stream()
        .filter(o -> o.goodUntil != NewOrder.NO_EXPIRY).count();
    if (withExpiry != byExpiry.size() || !resting.values().containsAll(byExpiry)) {
      throw new IllegalStateException("expiry set disagrees with the index");
    }
    for (var bidLevel : bids.entrySet()) {
      for (var offerLevel : offers.headMap(bidLevel.getKey(), true).values()) {
        for (Order b : bidLevel.getValue().values()) {
          for (Order o : offerLevel.values()) {
            if (eligible(b, o)) {
              throw new IllegalStateException("book crossed: bid " + b.id + " @" + b.limitPrice
                  + " and offer " + o.id + " @" + o.limitPrice);
            }
          }
        }
      }
    }
  }

  private int checkSide(NavigableMap<Long, LinkedHashMap<String, Order>> side, Side expected,
      long total) {
    int count = 0;
    long sum = 0;
    for (var e : side.entrySet()) {
      if (e.getValue().isEmpty()) {
        throw new IllegalStateException("empty level " + expected + " @" + e.getKey());
      }
      long lastSeq = 0;
      for (var oe : e.getValue().entrySet()) {
        Order o = oe.getValue();
        if (o.side != expected || o.limitPrice != e.getKey() || !o.id.equals(oe.getKey())
            || resting.get(o.id) != o) {
          throw new IllegalStateException("order " + o.id + " misfiled");
        }
        if (o.remaining() <= 0 || o.filled < 0 || !o.state.isResting()
            || (o.state == OrderState.OPEN) != (o.filled == 0)) {
          throw new IllegalStateException("order " + o.id + " has a bad amount or state");
        }
        if (o.seq <= lastSeq) {
          throw new IllegalStateException("level @" + e.getKey() + " out of arrival order");
        }
        lastSeq = o.seq;
        sum = Math.addExact(sum, o.remaining());
        count++;
      }
    }
    if (sum != total) {
      throw new IllegalStateException(expected + " total " + total + " but levels sum " + sum);
    }
    return count;
  }

  /** The book's mutable record of one order; never leaves the book (see {@link OrderStatus}). */
  private static final class Order implements Serializable {
    private static final long serialVersionUID = 1L;

    final String id;
    final String owner;
    final Side side;
    final long amount;
    final long durationSeconds;
    final long limitPrice;
    final long goodUntil;
    final long seq;
    long filled;
    OrderState state = OrderState.OPEN;

    Order(NewOrder o, long seq) {
      this.id = o.id();
      this.owner = o.owner();
      this.side = o.side();
      this.amount = o.amount();
      this.durationSeconds = o.durationSeconds();
      this.limitPrice = o.limitPrice();
      this.goodUntil = o.goodUntil();
      this.seq = seq;
    }

    long remaining() {
      return amount - filled;
    }

    void addFill(long qty) {
      filled = Math.addExact(filled, qty);
      state = filled == amount ? OrderState.FILLED : OrderState.PARTIALLY_FILLED;
    }

    OrderStatus status() {
      return new OrderStatus(id, owner, side, amount, filled, limitPrice, durationSeconds,
          goodUntil, seq, state);
    }
  }

  /** Orders by expiry time, then arrival; serialisable so the book is. */
  private static final class ExpiryOrder implements Comparator<Order>, Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public int compare(Order a, Order b) {
      int c = Long.compare(a.goodUntil, b.goodUntil);
      return c != 0 ? c : Long.compare(a.seq, b.seq);
    }
  }
}
