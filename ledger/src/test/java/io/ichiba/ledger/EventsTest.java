package io.ichiba.ledger;

import io.ichiba.ledger.store.InMemoryStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Events: written with the change they describe (the outbox), relayed to the log in order, at least once. */
class EventsTest {
    private MutableClock clock;
    private InMemoryStore store;
    private Ledger ledger;
    private Admission admission;
    private EventRelay relay;

    @BeforeEach
    void setUp() {
        clock = new MutableClock();
        store = new InMemoryStore();
        ledger = new Ledger(store, clock, LedgerSettings.defaults());
        ledger.accounts().openSystemAccounts();
        admission = new Admission(ledger);
        relay = new EventRelay(store);
        ledger.createTenant("team-a", Map.of("memory", 16_384L));
        ledger.report("n1", Map.of("memory", 10_000L), Map.of());
    }

    private List<Event> log() {
        return store.events().read(-1, 1000).stream().map(Event.Logged::event).toList();
    }

    private static List<String> types(List<Event> events, String subject) {
        return events.stream().filter(e -> e.subject().equals(subject)).map(Event::type).toList();
    }

    @Test
    void aClaimsLifeIsLoggedInOrderWithStableIds() {
        ledger.submit("c1", "team-a", Bundle.of(Map.of("memory", 4000L), List.of()), 3, 60, null);
        admission.pass();
        clock.advanceMillis(1000);
        ledger.release("c1");
        assertThat(store.claims().get("c1").outbox().pending()).hasSize(3);
        assertThat(log()).as("nothing is logged before the relay").isEmpty();

        assertThat(relay.sweep()).isEqualTo(3);
        List<Event> events = log();
        assertThat(types(events, "c1")).containsExactly("claim.queued", "claim.granted", "claim.released");
        assertThat(events).extracting(Event::id).containsExactly("claim:c1:0", "claim:c1:1", "claim:c1:2");
        Event granted = events.get(1);
        assertThat(granted.tenant()).isEqualTo("team-a");
        assertThat(granted.payload()).containsEntry("node", "n1").containsEntry("bundle", "memory=4000")
                .containsEntry("priority", "3").containsEntry("leaseExpiresAt", String.valueOf(granted.time() + 60_000));
        assertThat(events.get(2).payload()).containsEntry("reason", "RELEASED");
        assertThat(store.claims().get("c1").outbox().hasPending()).isFalse();
        assertThat(relay.sweep()).as("relayed once").isZero();
    }

    @Test
    void aRelayThatDiesBeforeAcknowledgingRepeatsEventsWithTheSameIds() {
        ledger.submit("c1", "team-a", Bundle.of(Map.of("memory", 4000L), List.of()), 3, 60, null);
        admission.pass();
        Claim c = store.claims().get("c1");
        // a relay appends the pending events and dies before acknowledging them
        c.outbox().pending().forEach(p -> store.events().append(c.toEvent(p)));
        ledger.release("c1");
        relay.sweep();
        List<Event> events = log();
        assertThat(events).extracting(Event::id)
                .containsExactly("claim:c1:0", "claim:c1:1", "claim:c1:0", "claim:c1:1", "claim:c1:2");
        // a consumer that drops duplicates by id sees each event once, in order
        Map<String, Event> seen = new LinkedHashMap<>();
        events.forEach(e -> seen.putIfAbsent(e.id(), e));
        assertThat(new ArrayList<>(seen.values())).extracting(Event::type)
                .containsExactly("claim.queued", "claim.granted", "claim.released");
    }

    @Test
    void expiryCancellationAndNodeEvents() {
        ledger.submit("c1", "team-a", Bundle.of(Map.of("memory", 4000L), List.of()), 3, 60, null);
        ledger.submit("c2", "team-a", Bundle.of(Map.of("memory", 9000L), List.of()), 3, 60, null);
        admission.pass();
        ledger.cancel("c2");
        clock.advanceMillis(61_000);
        new LeaseReaper(ledger).sweepLeases();
        ledger.submit("c3", "team-a", Bundle.of(Map.of("memory", 6000L), List.of()), 3, 600, null);
        admission.pass();
        ledger.report("n1", Map.of("memory", 5000L), Map.of()); // below the 6000 granted
        Ledger lossy = new Ledger(store, clock, LedgerSettings.defaults().withNodeGraceMillis(1000));
        clock.advanceMillis(2000);
        new LeaseReaper(lossy).sweepNodes();
        ledger.report("n1", Map.of("memory", 10_000L), Map.of());
        relay.sweep();
        List<Event> events = log();
        assertThat(types(events, "c1")).containsExactly("claim.queued", "claim.granted", "claim.expired");
        assertThat(types(events, "c2")).containsExactly("claim.queued", "claim.cancelled");
        assertThat(types(events, "c3")).containsExactly("claim.queued", "claim.granted", "claim.lost");
        assertThat(types(events, "n1")).containsExactly("pool.overcommitted", "node.lost", "node.back");
        Event over = events.stream().filter(e -> e.type().equals("pool.overcommitted")).findFirst().orElseThrow();
        assertThat(over.tenant()).isNull();
        assertThat(over.payload()).containsEntry("pool", "memory@n1").containsEntry("granted", "6000")
                .containsEntry("capacity", "5000");
    }
}
