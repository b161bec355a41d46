package io.ichiba.pricing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Properties of {@link OrderBook} over random sequences of bids, offers, cancels, expiries and
 * clock moves, checked after every step against a naive reference matcher (exchange-core's
 * "simple vs fast" idea): a list scanned in full for the best eligible resting order each time.
 */
class OrderBookProperties {

  sealed interface Op permits Place, Cancel, Expire, Advance {}

  record Place(Side side, int owner, long amount, long duration, long price, long ttl)
      implements Op {}

  record Cancel(int pick) implements Op {}

  record Expire() implements Op {}

  record Advance(long millis) implements Op {}

  @Provide
  Arbitrary<List<Op>> ops() {
    Arbitrary<Op> place = Combinators.combine(
        Arbitraries.of(Side.class),
        Arbitraries.integers().between(0, 2),
        Arbitraries.longs().between(1, 20),
        Arbitraries.of(600L, 1800L, 3600L),
        Arbitraries.longs().between(1, 8),
        Arbitraries.oneOf(Arbitraries.just(-1L), Arbitraries.longs().between(0, 5_000)))
        .as(Place::new);
    Arbitrary<Op> cancel = Arbitraries.integers().between(0, 1_000).map(Cancel::new);
    Arbitrary<Op> expire = Arbitraries.just(new Expire());
    Arbitrary<Op> advance = Arbitraries.longs().between(0, 2_000).map(Advance::new);
    return Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(8, place),
            net.jqwik.api.Tuple.of(2, cancel),
            net.jqwik.api.Tuple.of(1, expire),
            net.jqwik.api.Tuple.of(2, advance))
        .list().ofMaxSize(80);
  }

  @Property(tries = 200)
  void bookAgreesWithNaiveMatcherAndKeepsItsLaws(@ForAll("ops") List<Op> ops) {
    List<Object> first = run(ops, true);
    List<Object> second = run(ops, false);
    assertThat(second).as("deterministic").isEqualTo(first);
  }

  /**
   * A book rebuilt from the resting orders of another ({@link OrderBook#restore} in arrival order,
   * then {@link OrderBook#resume}) is the same book: the same ops after it give the same outputs,
   * trades and their sequences included. (The ledger's engine journals a market as its orders and
   * rebuilds the book from them when a member takes over.)
   */
  @Property(tries = 200)
  void aBookRebuiltFromItsRestingOrdersGoesOnAsTheOriginal(@ForAll("ops") List<Op> before,
      @ForAll("ops") List<Op> after) {
    OrderBook original = new OrderBook("memory");
    Driver d = new Driver();
    before.forEach(op -> d.apply(original, op));
    OrderBook copy = new OrderBook("memory");
    original.restingOrders().stream().sorted(Comparator.comparingLong(OrderStatus::seq))
        .forEach(o -> copy.restore(new NewOrder(o.id(), o.owner(), o.side(), o.amount(),
            o.durationSeconds(), o.limitPrice(), o.goodUntil()), o.filled(), o.seq()));
    copy.resume(original.nextOrderSeq(), original.nextTradeSeq());
    copy.checkInvariants();
    assertThat(copy.restingOrders()).isEqualTo(original.restingOrders());
    Driver twin = d.copy();
    for (Op op : after) {
      assertThat(twin.apply(copy, op)).isEqualTo(d.apply(original, op));
    }
    assertThat(copy.restingOrders()).isEqualTo(original.restingOrders());
    assertThat(copy.nextTradeSeq()).isEqualTo(original.nextTradeSeq());
  }

  /** Applies ops to a book, naming orders in turn; answers each op's output. */
  private static final class Driver {
    private final List<String> ids = new ArrayList<>();
    private long now;

    Object apply(OrderBook book, Op op) {
      if (op instanceof Place p) {
        String id = "o" + (ids.size() + 1);
        ids.add(id);
        long goodUntil = p.ttl() < 0 ? NewOrder.NO_EXPIRY : now + p.ttl();
        return book.place(new NewOrder(id, "t" + p.owner(), p.side(), p.amount(), p.duration(),
            p.price(), goodUntil), now);
      } else if (op instanceof Cancel c) {
        return ids.isEmpty() ? null : book.cancel(ids.get(c.pick() % ids.size()));
      } else if (op instanceof Expire) {
        return book.expire(now);
      } else if (op instanceof Advance a) {
        now += a.millis();
      }
      return null;
    }

    Driver copy() {
      Driver d = new Driver();
      d.ids.addAll(ids);
      d.now = now;
      return d;
    }
  }

  /** Runs the ops, checking every law after every step; returns every output for comparison. */
  private static List<Object> run(List<Op> ops, boolean compareWithReference) {
    OrderBook book = new OrderBook("memory");
    ReferenceBook ref = new ReferenceBook();
    Map<String, NewOrder> placed = new HashMap<>();
    Map<String, Long> fills = new HashMap<>();
    List<String> ids = new ArrayList<>();
    List<Object> outputs = new ArrayList<>();
    long now = 0;
    int n = 0;
    for (Op op : ops) {
      if (op instanceof Place p) {
          String id = "o" + (++n);
          long goodUntil = p.ttl() < 0 ? NewOrder.NO_EXPIRY : now + p.ttl();
          NewOrder o = new NewOrder(id, "t" + p.owner(), p.side(), p.amount(), p.duration(),
              p.price(), goodUntil);
          placed.put(id, o);
          ids.add(id);
          PlaceResult r = book.place(o, now);
          outputs.add(r);
          long own = 0;
          for (Trade t : r.trades()) {
            NewOrder resting = placed.get(p.side() == Side.BID ? t.sellOrderId() : t.buyOrderId());
            assertThat(t.price()).as("trade at resting price").isEqualTo(resting.limitPrice());
            NewOrder bid = placed.get(t.buyOrderId());
            NewOrder offer = placed.get(t.sellOrderId());
            assertThat(bid.side()).isEqualTo(Side.BID);
            assertThat(offer.side()).isEqualTo(Side.OFFER);
            assertThat(t.buyer()).isNotEqualTo(t.seller());
            assertThat(offer.durationSeconds()).isGreaterThanOrEqualTo(bid.durationSeconds());
            assertThat(offer.limitPrice()).isLessThanOrEqualTo(bid.limitPrice());
            assertThat(t.durationSeconds()).isEqualTo(bid.durationSeconds());
            fills.merge(t.buyOrderId(), t.amount(), Long::sum);
            fills.merge(t.sellOrderId(), t.amount(), Long::sum);
            own += t.amount();
          }
          assertThat(r.order().filled()).isEqualTo(own);
          if (compareWithReference) {
            assertThat(r.trades()).as("price-time priority").isEqualTo(ref.place(o, now));
          }
      } else if (op instanceof Cancel c) {
          if (!ids.isEmpty()) {
            String id = ids.get(c.pick() % ids.size());
            Optional<OrderStatus> s = book.cancel(id);
            outputs.add(s);
            s.ifPresent(st -> assertThat(st.state()).isEqualTo(OrderState.CANCELLED));
            if (compareWithReference) {
              boolean inRef = ref.cancel(id);
              if (placed.get(id).goodUntil() > now) { // an expired one may be gone lazily already
                assertThat(s.isPresent()).isEqualTo(inRef);
              }
            }
          }
      } else if (op instanceof Expire) {
          List<OrderStatus> gone = book.expire(now);
          outputs.add(gone);
          for (OrderStatus s : gone) {
            assertThat(s.goodUntil()).isLessThanOrEqualTo(now);
            assertThat(s.state()).isEqualTo(OrderState.EXPIRED);
          }
      } else if (op instanceof Advance a) {
        now += a.millis();
      }
      checkLaws(book, placed, fills);
      if (compareWithReference) {
        assertThat(live(book.restingOrders(), now)).isEqualTo(live(ref.resting(), now));
      }
    }
    outputs.add(book.restingOrders());
    return outputs;
  }

  private static List<OrderStatus> live(List<OrderStatus> orders, long now) {
    return orders.stream().filter(o -> o.goodUntil() > now)
        .sorted(Comparator.comparingLong(OrderStatus::seq)).toList();
  }

  private static void checkLaws(OrderBook book, Map<String, NewOrder> placed,
      Map<String, Long> fills) {
    book.checkInvariants();
    fills.forEach((id, f) -> assertThat(f).as("fills of " + id)
        .isLessThanOrEqualTo(placed.get(id).amount()));
    List<OrderStatus> resting = book.restingOrders();
    for (OrderStatus s : resting) {
      assertThat(s.filled()).isEqualTo(fills.getOrDefault(s.id(), 0L));
      assertThat(s.filled() + s.remaining()).isEqualTo(placed.get(s.id()).amount());
      assertThat(s.remaining()).isPositive();
    }
    for (OrderStatus b : resting) {
      for (OrderStatus o : resting) {
        if (b.side() == Side.BID && o.side() == Side.OFFER && !b.owner().equals(o.owner())) {
          boolean couldMatch = b.limitPrice() >= o.limitPrice()
              && o.durationSeconds() >= b.durationSeconds();
          assertThat(couldMatch).as("crossed: %s / %s", b, o).isFalse();
        }
      }
    }
  }

  /** The naive matcher: a flat list, scanned in full for the best eligible order each time. */
  static final class ReferenceBook {
    private final List<long[]> meta = new ArrayList<>(); // seq, filled
    private final List<NewOrder> orders = new ArrayList<>();
    private long seq;
    private long tradeSeq;

    List<Trade> place(NewOrder in, long now) {
      seq++;
      List<Trade> trades = new ArrayList<>();
      if (in.goodUntil() <= now) {
        return trades;
      }
      long remaining = in.amount();
      while (remaining > 0) {
        int best = -1;
        for (int i = 0; i < orders.size(); i++) {
          NewOrder r = orders.get(i);
          if (r.side() == in.side() || r.goodUntil() <= now || r.owner().equals(in.owner())) {
            continue;
          }
          NewOrder bid = in.side() == Side.BID ? in : r;
          NewOrder offer = in.side() == Side.BID ? r : in;
          if (offer.limitPrice() > bid.limitPrice()
              || offer.durationSeconds() < bid.durationSeconds()) {
            continue;
          }
          if (best < 0 || better(r, meta.get(i)[0], orders.get(best), meta.get(best)[0])) {
            best = i;
          }
        }
        if (best < 0) {
          break;
        }
        NewOrder r = orders.get(best);
        long rRemaining = r.amount() - meta.get(best)[1];
        long q = Math.min(remaining, rRemaining);
        remaining -= q;
        meta.get(best)[1] += q;
        NewOrder bid = in.side() == Side.BID ? in : r;
        NewOrder offer = in.side() == Side.BID ? r : in;
        trades.add(new Trade(bid.id(), offer.id(), bid.owner(), offer.owner(), q, r.limitPrice(),
            bid.durationSeconds(), ++tradeSeq));
        if (q == rRemaining) {
          orders.remove(best);
          meta.remove(best);
        }
      }
      if (remaining > 0) {
        orders.add(in);
        meta.add(new long[] {seq, in.amount() - remaining});
      }
      return trades;
    }

    private static boolean better(NewOrder a, long aSeq, NewOrder b, long bSeq) {
      if (a.limitPrice() != b.limitPrice()) {
        return a.side() == Side.OFFER
            ? a.limitPrice() < b.limitPrice() : a.limitPrice() > b.limitPrice();
      }
      return aSeq < bSeq;
    }

    boolean cancel(String id) {
      for (int i = 0; i < orders.size(); i++) {
        if (orders.get(i).id().equals(id)) {
          orders.remove(i);
          meta.remove(i);
          return true;
        }
      }
      return false;
    }

    List<OrderStatus> resting() {
      List<OrderStatus> out = new ArrayList<>();
      for (int i = 0; i < orders.size(); i++) {
        NewOrder o = orders.get(i);
        long filled = meta.get(i)[1];
        out.add(new OrderStatus(o.id(), o.owner(), o.side(), o.amount(), filled, o.limitPrice(),
            o.durationSeconds(), o.goodUntil(), meta.get(i)[0],
            filled == 0 ? OrderState.OPEN : OrderState.PARTIALLY_FILLED));
      }
      return out;
    }
  }
}
