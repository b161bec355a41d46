package io.ichiba.ledger;

import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.event.Event;
import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.pool.PlaceCommands;
import io.ichiba.ledger.pool.PoolView;
import io.ichiba.ledger.store.Store;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Node loss after the grace period, the node's return, and capacity withheld by measured free amounts: run against
 * each {@link Store} like {@link StoreContractTest} (a subclass supplies an empty store).
 */
public abstract class NodeLossTest {
    private static final long GRACE = 15_000;

    private MutableClock clock;
    private Store store;
    private Ledger ledger;
    private Admission admission;
    private LeaseReaper reaper;

    /** Returns an empty store of the kind under test. */
    protected abstract Store createStore();

    @BeforeEach
    void setUp() {
        clock = new MutableClock();
        store = createStore();
        ledger = new Ledger(store, clock, LedgerSettings.defaults().withNodeGraceMillis(GRACE));
        admission = new Admission(ledger);
        reaper = new LeaseReaper(ledger);
        assertThat(ledger.createTenant("acme", Map.of("memory", 100_000L, "disk", 100_000L)).ok()).isTrue();
        assertThat(ledger.createLock("db", 1).ok()).isTrue();
    }

    private void report(String node, long memory, long freeMemory) {
        assertThat(ledger.report(node, Map.of("memory", memory, "disk", 10_000L),
                Map.of("memory", freeMemory, "disk", 10_000L)).ok()).isTrue();
    }

    private Claim claim(long memory, String node, List<String> locks) {
        Result<Claim> r = ledger.submit(ClaimRequest.of(java.util.UUID.randomUUID().toString(), "acme",
                Bundle.of(Map.of("memory", memory), locks), 1, 600, node));
        assertThat(r.ok()).as(String.valueOf(r.rejection())).isTrue();
        admission.pass();
        return ledger.claim(r.value().id());
    }

    @Test
    void aNodeSilentForTheGracePeriodIsLostItsGrantsEndAndItsTokensReturn() {
        report("n1", 8192, 8192);
        report("n2", 8192, 8192);
        Claim onN1 = claim(4096, "n1", List.of("db"));
        Claim onN2 = claim(1024, "n2", List.of());
        assertThat(onN1.state()).isEqualTo(ClaimState.GRANTED);

        clock.advanceMillis(GRACE - 1);
        report("n2", 8192, 8192 - 1024);
        assertThat(reaper.sweepNodes()).isEqualTo(new LeaseReaper.NodeSweep(0, 0));

        clock.advanceMillis(2);
        assertThat(reaper.sweepNodes()).isEqualTo(new LeaseReaper.NodeSweep(1, 1));
        NodeState n1 = store.nodes().get("n1");
        assertThat(n1.lost()).isTrue();
        assertThat(n1.capacity("memory")).isZero();
        assertThat(n1.holdings().holders()).isEmpty();
        Claim lost = ledger.claim(onN1.id());
        assertThat(lost.state()).isEqualTo(ClaimState.LOST);
        assertThat(lost.reason()).isEqualTo("NODE_LOST");
        assertThat(lost.returned()).isTrue();
        // its lock and quota came back with it; the grant on the live node is untouched
        assertThat(store.locks().get("db").granted()).isZero();
        assertThat(store.tenants().get("acme").used("memory")).isEqualTo(1024);
        assertThat(ledger.claim(onN2.id()).state()).isEqualTo(ClaimState.GRANTED);
        assertThat(reaper.sweepNodes()).as("a second sweep has nothing to do").isEqualTo(new LeaseReaper.NodeSweep(0, 0));
        LedgerInvariants.check(store);
        assertThat(new Auditor(ledger).audit().ok()).isTrue();
    }

    @Test
    void aLostNodeGrantsNothingAndComesBackEmptyOnItsNextReport() {
        report("n1", 8192, 8192);
        clock.advanceMillis(GRACE + 1);
        reaper.sweepNodes();
        Claim waiting = claim(1024, "n1", List.of());
        assertThat(waiting.state()).isEqualTo(ClaimState.QUEUED);

        assertThat(ledger.report("n1", Map.of("memory", 2048L), Map.of()).ok()).isTrue();
        NodeState back = store.nodes().get("n1");
        assertThat(back.lost()).isFalse();
        assertThat(back.capacity("memory")).isEqualTo(2048);
        assertThat(back.capacity("disk")).as("a lost node comes back with only what it reports").isZero();
        admission.pass();
        assertThat(ledger.claim(waiting.id()).state()).isEqualTo(ClaimState.GRANTED);
        LedgerInvariants.check(store);
    }

    @Test
    void aClaimGrantedWhileItsNodeWasBeingLostEndsOnTheNextSweep() {
        report("n1", 8192, 8192);
        Claim c = claim(1024, "n1", List.of());
        clock.advanceMillis(GRACE + 1);
        // the node is marked lost by one member while the grant is still being finished elsewhere
        store.nodes().execute("n1", new PlaceCommands.MarkLost(clock.millis() - GRACE, clock.millis()));
        assertThat(ledger.claim(c.id()).state()).isEqualTo(ClaimState.GRANTED);
        assertThat(reaper.sweepNodes()).isEqualTo(new LeaseReaper.NodeSweep(0, 1));
        assertThat(ledger.claim(c.id()).state()).isEqualTo(ClaimState.LOST);
        LedgerInvariants.checkAllReturned(store);
    }

    @Test
    void noNodeIsLostWhenTheGracePeriodIsZero() {
        Ledger never = new Ledger(store, clock, LedgerSettings.defaults().withNodeGraceMillis(0));
        report("n1", 8192, 8192);
        clock.advance(Duration.ofDays(1));
        assertThat(new LeaseReaper(never).sweepNodes()).isEqualTo(new LeaseReaper.NodeSweep(0, 0));
        assertThat(store.nodes().get("n1").lost()).isFalse();
    }

    @Test
    void capacityTheMachineDoesNotHaveIsWithheldUntilTheDeficitDisappears() {
        report("n1", 8192, 6192); // something outside Ichiba uses 2000
        NodeState n = store.nodes().get("n1");
        assertThat(n.withheld("memory")).isEqualTo(2000);
        assertThat(n.free("memory")).isEqualTo(6192);
        assertThat(PoolView.of(n).stream().filter(p -> p.kind().equals("memory")).findFirst().orElseThrow().withheld())
                .isEqualTo(2000);

        Claim tooBig = claim(7000, "n1", List.of());
        assertThat(tooBig.state()).as("tokens are never issued against capacity the machine does not have")
                .isEqualTo(ClaimState.QUEUED);
        assertThat(tooBig.reason()).isEqualTo("INSUFFICIENT_CAPACITY");
        Claim fits = claim(6000, "n1", List.of());
        assertThat(fits.state()).isEqualTo(ClaimState.GRANTED);

        // the granted job uses its memory: measured free is capacity - granted - outside use
        report("n1", 8192, 8192 - 6000 - 2000);
        assertThat(store.nodes().get("n1").withheld("memory")).isEqualTo(2000);
        // the outside use ends: nothing is withheld any more
        report("n1", 8192, 8192 - 6000);
        assertThat(store.nodes().get("n1").withheld("memory")).isZero();
        // granted jobs that use less than they hold do not create a deficit
        report("n1", 8192, 8000);
        assertThat(store.nodes().get("n1").withheld("memory")).isZero();
        LedgerInvariants.check(store);
    }

    @Test
    void aWithheldAmountIsAnEventWhenItAppearsMovesByAStepAndGoesBackToZero() {
        long step = 8192 / 100 * NodeState.WITHHELD_EVENT_STEP_PERCENT; // 405 MiB of this pool
        report("n1", 8192, 6192); // appears: 2000
        Claim granted = claim(2000, "n1", List.of());
        assertThat(granted.state()).isEqualTo(ClaimState.GRANTED);
        long room = 8192 - 2000; // what the machine should have free
        report("n1", 8192, room - 2000); // the same 2000: no event
        report("n1", 8192, room - 2100); // 100 from what was told: no event
        report("n1", 8192, room - (2000 + step - 1)); // a drift still short of the step: no event
        assertThat(store.nodes().get("n1").withheld("memory")).as("withheld all the same").isEqualTo(2000 + step - 1);
        report("n1", 8192, room - (2000 + step)); // the drift adds up to the step: told
        report("n1", 8192, room - 2500); // 95 from what was told: no event
        report("n1", 8192, room - 1); // down by more than the step: told
        report("n1", 8192, room); // back to zero, however small the last amount: told
        report("n1", 8192, 8000); // still zero: no event

        List<Event> withheld = withheldEvents();
        assertThat(withheld).extracting(e -> e.payload().get("withheld"))
                .containsExactly("2000", String.valueOf(2000 + step), "1", "0");
        assertThat(withheld).extracting(e -> e.payload().get("previous"))
                .containsExactly("0", "2000", String.valueOf(2000 + step), "1");
        assertThat(withheld).extracting(e -> e.payload().get("measuredFree")).containsExactly("6192",
                String.valueOf(room - 2000 - step), String.valueOf(room - 1), String.valueOf(room));
        assertThat(withheld).extracting(e -> e.payload().get("granted")).containsExactly("0", "2000", "2000", "2000");
        assertThat(withheld).allSatisfy(e -> {
            assertThat(e.tenant()).as("a pool's event is the operator's").isNull();
            assertThat(e.subject()).isEqualTo("n1");
            assertThat(e.id()).startsWith("node:n1:");
            assertThat(e.payload()).containsEntry("node", "n1").containsEntry("pool", "memory@n1")
                    .containsEntry("kind", "memory").containsEntry("capacity", "8192");
        });

        // a lost node withholds nothing and has told nothing; a deficit still there when it comes back is told again
        report("n1", 8192, room - 50); // appears, below the step: told
        clock.advanceMillis(GRACE + 1);
        reaper.sweepNodes();
        assertThat(store.nodes().get("n1").withheld("memory")).isZero();
        report("n1", 8192, 7000);
        assertThat(withheldEvents()).extracting(e -> e.payload().get("withheld") + " after " + e.payload().get("previous"))
                .containsExactly("2000 after 0", (2000 + step) + " after 2000", "1 after " + (2000 + step), "0 after 1",
                        "50 after 0", "1192 after 0");
        assertThat(store.events().read(-1, 1000).stream().map(l -> l.event().type())
                .filter(t -> t.startsWith("node.") || t.equals("pool.withheld")).toList()).endsWith(
                "pool.withheld", "node.lost", "node.back", "pool.withheld");
    }

    private List<Event> withheldEvents() {
        return store.events().read(-1, 1000).stream().map(Event.Logged::event)
                .filter(e -> e.type().equals("pool.withheld")).toList();
    }
}
