package io.ichiba.pricing;

import static io.ichiba.pricing.NewOrder.NO_EXPIRY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OrderBookTest {
  private static final long H = 3600;
  private final OrderBook book = new OrderBook("memory");

  @AfterEach
  void invariants() {
    book.checkInvariants();
  }

  @Test
  void issueScenarioTradesAtRestingOfferPrice() {
    book.place(NewOrder.offer("o1", "team-a", 8192, 2 * H, 3, NO_EXPIRY), 0);
    PlaceResult r = book.place(NewOrder.bid("b1", "team-b", 4096, H, 5, NO_EXPIRY), 0);
    assertThat(r.trades()).containsExactly(new Trade("b1", "o1", "team-b", "team-a", 4096, 3, H, 1));
    assertThat(r.order().state()).isEqualTo(OrderState.FILLED);
    assertThat(book.status("o1").orElseThrow().state()).isEqualTo(OrderState.PARTIALLY_FILLED);
    assertThat(book.status("o1").orElseThrow().remaining()).isEqualTo(4096);
    assertThat(r.trades().get(0).cost()).isEqualTo(3 * 4096);
  }

  @Test
  void incomingOfferTradesAtRestingBidPrice() {
    book.place(NewOrder.bid("b1", "x", 10, H, 7, NO_EXPIRY), 0);
    PlaceResult r = book.place(NewOrder.offer("o1", "y", 4, H, 2, NO_EXPIRY), 0);
    assertThat(r.trades()).singleElement().extracting(Trade::price).isEqualTo(7L);
    assertThat(r.order().state()).isEqualTo(OrderState.FILLED);
  }

  @Test
  void priceThenTimePriority() {
    book.place(NewOrder.offer("late-cheap", "a", 5, H, 2, NO_EXPIRY), 0);
    book.place(NewOrder.offer("old-dear", "b", 5, H, 3, NO_EXPIRY), 0);
    book.place(NewOrder.offer("young-dear", "c", 5, H, 3, NO_EXPIRY), 0);
    PlaceResult r = book.place(NewOrder.bid("bid", "z", 12, H, 3, NO_EXPIRY), 0);
    assertThat(r.trades()).extracting(Trade::sellOrderId)
        .containsExactly("late-cheap", "old-dear", "young-dear");
    assertThat(r.trades()).extracting(Trade::amount).containsExactly(5L, 5L, 2L);
    assertThat(r.trades()).extracting(Trade::seq).containsExactly(1L, 2L, 3L);
  }

  @Test
  void noMatchAboveLimitRests() {
    book.place(NewOrder.offer("o", "a", 5, H, 6, NO_EXPIRY), 0);
    PlaceResult r = book.place(NewOrder.bid("b", "z", 5, H, 5, NO_EXPIRY), 0);
    assertThat(r.trades()).isEmpty();
    assertThat(r.order().state()).isEqualTo(OrderState.OPEN);
    assertThat(book.bestBid()).hasValue(5);
    assertThat(book.bestOffer()).hasValue(6);
  }

  @Test
  void shortOfferAndSelfTradeAreSkippedButKeepTheirPlace() {
    book.place(NewOrder.offer("short", "a", 5, H / 2, 1, NO_EXPIRY), 0);
    book.place(NewOrder.offer("mine", "z", 5, 2 * H, 1, NO_EXPIRY), 0);
    book.place(NewOrder.offer("ok", "c", 5, 2 * H, 2, NO_EXPIRY), 0);
    PlaceResult r = book.place(NewOrder.bid("b", "z", 3, H, 5, NO_EXPIRY), 0);
    assertThat(r.trades()).singleElement().extracting(Trade::sellOrderId).isEqualTo("ok");
    assertThat(book.status("short")).isPresent();
    assertThat(book.status("mine")).isPresent();
    // the same owner's bid and offer may both rest even though they would cross
    book.place(NewOrder.bid("b2", "z", 5, H, 9, NO_EXPIRY), 0); // takes ok's last 2, rests 3
    assertThat(book.status("b2").orElseThrow().state()).isEqualTo(OrderState.PARTIALLY_FILLED);
  }

  @Test
  void partialFillRemainderRests() {
    book.place(NewOrder.offer("o", "a", 3, H, 2, NO_EXPIRY), 0);
    PlaceResult r = book.place(NewOrder.bid("b", "z", 10, H, 2, NO_EXPIRY), 0);
    assertThat(r.order().filled()).isEqualTo(3);
    assertThat(r.order().state()).isEqualTo(OrderState.PARTIALLY_FILLED);
    assertThat(book.depth(5)).isEqualTo(new Depth(List.of(new PriceLevel(2, 7, 1)), List.of()));
  }

  @Test
  void cancelRemovesOnlyRestingOrders() {
    book.place(NewOrder.bid("b", "z", 10, H, 2, NO_EXPIRY), 0);
    assertThat(book.cancel("b")).get().extracting(OrderStatus::state).isEqualTo(OrderState.CANCELLED);
    assertThat(book.cancel("b")).isEmpty();
    assertThat(book.cancel("nope")).isEmpty();
    assertThat(book.size()).isZero();
    assertThat(book.bestBid()).isEmpty();
  }

  @Test
  void expiryByCallAndWhileMatching() {
    book.place(NewOrder.offer("o1", "a", 5, H, 1, 1_000), 0);
    book.place(NewOrder.offer("o2", "a", 5, H, 1, 2_000), 0);
    book.place(NewOrder.offer("o3", "a", 5, H, 1, NO_EXPIRY), 0);
    assertThat(book.expire(1_000)).extracting(OrderStatus::id).containsExactly("o1");
    PlaceResult r = book.place(NewOrder.bid("b", "z", 5, H, 1, NO_EXPIRY), 2_000);
    assertThat(r.expired()).extracting(OrderStatus::id).containsExactly("o2");
    assertThat(r.expired()).extracting(OrderStatus::state).containsExactly(OrderState.EXPIRED);
    assertThat(r.trades()).singleElement().extracting(Trade::sellOrderId).isEqualTo("o3");
    assertThat(book.expire(Long.MAX_VALUE - 1)).isEmpty();
  }

  @Test
  void incomingAlreadyExpiredNeitherTradesNorRests() {
    book.place(NewOrder.offer("o", "a", 5, H, 1, NO_EXPIRY), 0);
    PlaceResult r = book.place(NewOrder.bid("b", "z", 5, H, 1, 10), 10);
    assertThat(r.order().state()).isEqualTo(OrderState.EXPIRED);
    assertThat(r.trades()).isEmpty();
    assertThat(book.size()).isEqualTo(1);
  }

  @Test
  void depthAggregatesLevelsBestFirst() {
    book.place(NewOrder.bid("b1", "x", 1, H, 4, NO_EXPIRY), 0);
    book.place(NewOrder.bid("b2", "y", 2, H, 4, NO_EXPIRY), 0);
    book.place(NewOrder.bid("b3", "y", 3, H, 3, NO_EXPIRY), 0);
    book.place(NewOrder.offer("o1", "x", 4, H, 6, NO_EXPIRY), 0);
    book.place(NewOrder.offer("o2", "x", 5, H, 5, NO_EXPIRY), 0);
    assertThat(book.depth(1)).isEqualTo(new Depth(
        List.of(new PriceLevel(4, 3, 2)), List.of(new PriceLevel(5, 5, 1))));
    assertThat(book.depth(10).bids()).hasSize(2);
    assertThat(book.depth(0)).isEqualTo(new Depth(List.of(), List.of()));
  }

  @Test
  void rejectsBadOrdersAndDuplicatesWithoutChange() {
    assertThatThrownBy(() -> NewOrder.bid("b", "z", 0, H, 1, NO_EXPIRY))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> NewOrder.bid("b", "z", 1, 0, 1, NO_EXPIRY))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> NewOrder.offer("o", "z", 1, H, 0, NO_EXPIRY))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> NewOrder.offer("", "z", 1, H, 1, NO_EXPIRY))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> NewOrder.bid("b", "z", Long.MAX_VALUE / 2, H, 5, NO_EXPIRY))
        .isInstanceOf(IllegalArgumentException.class);
    book.place(NewOrder.offer("o", "a", Long.MAX_VALUE - 1, H, 9, NO_EXPIRY), 0);
    assertThatThrownBy(() -> book.place(NewOrder.offer("o", "a", 1, H, 9, NO_EXPIRY), 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> book.place(NewOrder.offer("o2", "a", 2, H, 9, NO_EXPIRY), 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(book.size()).isEqualTo(1);
  }

  @Test
  void costRoundsUpToWholeMinorUnits() {
    assertThat(new Trade("b", "o", "x", "y", 1, 1, 1, 1).cost()).isEqualTo(1);
    assertThat(new Trade("b", "o", "x", "y", 2, 3, 1800, 1).cost()).isEqualTo(3);
    assertThatThrownBy(() -> new Trade("b", "o", "x", "y", Long.MAX_VALUE, 2, 1, 1).cost())
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void serialisesAndKeepsMatching() throws Exception {
    book.place(NewOrder.offer("o", "a", 5, H, 2, 5_000), 0);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(book);
    }
    OrderBook copy;
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      copy = (OrderBook) in.readObject();
    }
    copy.checkInvariants();
    assertThat(copy.place(NewOrder.bid("b", "z", 1, H, 2, NO_EXPIRY), 0).trades()).hasSize(1);
    assertThat(copy.expire(5_000)).hasSize(1);
    copy.checkInvariants();
  }
}
