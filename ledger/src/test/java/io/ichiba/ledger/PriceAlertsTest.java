package io.ichiba.ledger;

import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.event.Event;
import io.ichiba.ledger.handler.AlertCommands;
import io.ichiba.ledger.handler.PriceAlert;
import io.ichiba.ledger.market.MarketSettings;
import io.ichiba.ledger.store.Store;
import io.ichiba.pricing.SpotPriceCurve;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Price alerts: the crossing rule (the first observation only records the side; one event per crossing, in either
 * direction; re-armed by going back), the spot updater telling each alert its kind's price, validation and limits,
 * and a deleted alert purged only once its events are in the log.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.ichiba.ledger.engine.Engines.ClosedAfterEach.class)
class PriceAlertsTest {
    /** An empty store: the engine's, over a journal in memory; each test's engine is closed after it. */
    Store createStore() {
        return io.ichiba.ledger.engine.Engines.started(new io.ichiba.ledger.journal.InMemoryJournal());
    }


    private MutableClock clock;
    private Store store;
    private Ledger ledger;
    private PriceAlerts alerts;

    @BeforeEach
    void setUp() {
        clock = new MutableClock();
        store = createStore();
        // a spot curve with no smoothing to speak of (window 1 ms): the posted price is the curve's at each update
        MarketSettings market = new MarketSettings(86_400, 1000, 300, 0, 50, 1,
                new SpotPriceCurve(5, 100, 0.5, 1.0));
        ledger = new Ledger(store, clock, LedgerSettings.defaults(), market);
        alerts = ledger.alerts();
        ledger.createTenant("team-a", Map.of("memory", 100_000L));
        ledger.createTenant("team-b", Map.of("memory", 100_000L));
    }

    private List<Event> crossings(String alert) {
        return store.events().read(-1, 1000).stream().map(Event.Logged::event)
                .filter(e -> e.subject().equals(alert) && e.type().equals("price.crossed")).toList();
    }

    private PriceAlert create(String id, String tenant, PriceAlert.Direction d, long threshold) {
        Result<PriceAlert> r = alerts.create(id, tenant, "memory", d, threshold);
        assertThat(r.ok()).as(String.valueOf(r.rejection())).isTrue();
        return r.value();
    }

    private void price(long p) {
        clock.advanceMillis(5000);
        alerts.observe(Map.of("memory", p));
    }

    @Test
    void anAboveAlertFiresOncePerCrossingUpwardsAndReArmsWhenThePriceGoesBack() {
        create("up", "team-a", PriceAlert.Direction.ABOVE, 50);
        price(80); // the first observation: above already, but no one knows where it was before
        assertThat(crossings("up")).as("the first observation only records the side").isEmpty();
        assertThat(store.alerts().get("up").met()).isTrue();
        price(40);
        price(50); // at the threshold is not above it
        assertThat(crossings("up")).isEmpty();
        price(51);
        long firstAt = clock.millis();
        price(90);
        price(60);
        assertThat(crossings("up")).as("once per crossing").hasSize(1);
        price(50);
        price(70);
        List<Event> fired = crossings("up");
        assertThat(fired).as("re-armed by going back to the threshold").hasSize(2);
        Event first = fired.get(0);
        assertThat(first.id()).isEqualTo("alert:up:0");
        assertThat(first.tenant()).isEqualTo("team-a");
        assertThat(first.time()).isEqualTo(firstAt);
        assertThat(first.payload()).containsEntry("alert", "up").containsEntry("kind", "memory")
                .containsEntry("threshold", "50").containsEntry("direction", "above").containsEntry("price", "51")
                .containsEntry("previousPrice", "50");
        assertThat(fired.get(1).payload()).containsEntry("price", "70");
        assertThat(store.alerts().get("up").crossings()).isEqualTo(2);
        assertThat(store.alerts().get("up").lastPrice()).isEqualTo(70);
    }

    @Test
    void aBelowAlertFiresOnTheWayDownOnly() {
        create("down", "team-a", PriceAlert.Direction.BELOW, 10);
        price(5); // first: below already, does not fire
        price(10);
        assertThat(crossings("down")).isEmpty();
        price(9);
        price(3);
        price(20);
        assertThat(crossings("down")).hasSize(1);
        price(9);
        assertThat(crossings("down")).extracting(e -> e.payload().get("price")).containsExactly("9", "9");
        assertThat(crossings("down")).allSatisfy(e -> assertThat(e.payload()).containsEntry("direction", "below"));
    }

    @Test
    void theSpotUpdaterTellsEachAlertOfItsKindTheNewPostedPrice() {
        ledger.report("n1", Map.of("memory", 10_000L, "disk", 10_000L), Map.of());
        create("mem", "team-a", PriceAlert.Direction.ABOVE, 20);
        assertThat(alerts.create("disk", "team-b", "disk", PriceAlert.Direction.ABOVE, 20).ok()).isTrue();
        clock.advanceMillis(5000);
        assertThat(ledger.exchange().updateSpot()).containsEntry("memory", 5L);
        assertThat(store.alerts().get("mem").lastPrice()).isEqualTo(5);
        // memory 90 % used: the curve gives 5 + ⌈95 × 0.8⌉ = 81
        ledger.submit(ClaimRequest.of("c1", "team-a", Bundle.of(Map.of("memory", 9000L), List.of()), 1, 600, null));
        new Admission(ledger).pass();
        clock.advanceMillis(5000);
        assertThat(ledger.exchange().updateSpot()).containsEntry("memory", 81L).containsEntry("disk", 5L);
        assertThat(crossings("mem")).extracting(e -> e.payload().get("price")).containsExactly("81");
        assertThat(crossings("disk")).as("another kind's price does not move it").isEmpty();
        clock.advanceMillis(5000);
        ledger.exchange().updateSpot();
        assertThat(crossings("mem")).as("still above: no second event").hasSize(1);
    }

    @Test
    void badAlertsAreRefusedAndChangeNothing() {
        assertThat(alerts.create("x", "team-a", "gpu", PriceAlert.Direction.ABOVE, 5).rejection().code())
                .isEqualTo(Rejection.Code.UNKNOWN_KIND);
        assertThat(alerts.create("x", "team-a", "memory", PriceAlert.Direction.ABOVE, 0).rejection().code())
                .isEqualTo(Rejection.Code.INVALID);
        assertThat(alerts.create("x", "team-a", "memory", PriceAlert.Direction.BELOW, 1001).rejection().code())
                .as("above the market's largest price").isEqualTo(Rejection.Code.INVALID);
        assertThat(store.alerts().entries()).isEmpty();
        create("x", "team-a", PriceAlert.Direction.ABOVE, 5);
        assertThat(alerts.create("x", "team-a", "memory", PriceAlert.Direction.ABOVE, 5).value().id())
                .as("the same id again answers it").isEqualTo("x");
        assertThat(alerts.create("x", "team-b", "memory", PriceAlert.Direction.ABOVE, 5).rejection().code())
                .isEqualTo(Rejection.Code.ALREADY_EXISTS);
        for (int i = 1; i < PriceAlerts.MAX_PER_TENANT; i++) {
            create("a" + i, "team-a", PriceAlert.Direction.ABOVE, i);
        }
        Result<PriceAlert> over = alerts.create("over", "team-a", "memory", PriceAlert.Direction.ABOVE, 5);
        assertThat(over.rejection().code()).isEqualTo(Rejection.Code.LIMIT_REACHED);
        assertThat(store.alerts().get("over")).isNull();
        assertThat(alerts.create("b", "team-b", "memory", PriceAlert.Direction.ABOVE, 5).ok())
                .as("the limit is per tenant").isTrue();
        alerts.delete("a1", "team-a");
        assertThat(alerts.create("over", "team-a", "memory", PriceAlert.Direction.ABOVE, 5).ok())
                .as("a deleted alert frees its place").isTrue();
    }

    @Test
    void onlyItsTenantDeletesItAndADeletedAlertWatchesNothing() {
        create("up", "team-a", PriceAlert.Direction.ABOVE, 50);
        assertThat(alerts.delete("up", "team-b").rejection().code()).isEqualTo(Rejection.Code.NOT_FOUND);
        assertThat(store.alerts().get("up").state()).isEqualTo(PriceAlert.State.ACTIVE);
        price(10);
        assertThat(alerts.delete("up", "team-a").value().state()).isEqualTo(PriceAlert.State.DELETED);
        assertThat(alerts.delete("up", "team-a").value().state()).as("twice is harmless")
                .isEqualTo(PriceAlert.State.DELETED);
        price(60);
        assertThat(crossings("up")).isEmpty();
        assertThat(alerts.list("team-a")).isEmpty();
        assertThat(alerts.get("up").lastPrice()).isEqualTo(10);
    }

    @Test
    void aDeletedAlertIsPurgedOnlyOnceItsEventsAreInTheLog() {
        create("up", "team-a", PriceAlert.Direction.ABOVE, 50);
        price(10);
        price(60);
        alerts.delete("up", "team-a");
        clock.advanceMillis(ledger.settings().retentionMillis() + 1);
        assertThat(store.alerts().get("up").outbox().pending()).as("its event left with its batch").isEmpty();
        assertThat(store.alerts().execute("up", new AlertCommands.Purge(clock.millis()))).isTrue();
        assertThat(store.alerts().get("up")).isNull();
        assertThat(store.events().read(-1, 10)).extracting(l -> l.event().id()).containsExactly("alert:up:0");
    }
}
