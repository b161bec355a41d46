package io.ichiba.ledger;

import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.claim.Funding;
import io.ichiba.ledger.market.MarketOrder;
import io.ichiba.ledger.pool.Booking;
import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.store.Store;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** Why a claim waits, on fixed states: what is missing where, who holds it, when it frees, the queue, the price. */
@org.junit.jupiter.api.extension.ExtendWith(io.ichiba.ledger.engine.Engines.ClosedAfterEach.class)
class ExplainTest {
    /** An empty store: the engine's, over a journal in memory; each test's engine is closed after it. */
    Store createStore() {
        return io.ichiba.ledger.engine.Engines.started(new io.ichiba.ledger.journal.InMemoryJournal());
    }

    private MutableClock clock;
    private Store store;
    private Ledger ledger;
    private Admission admission;
    private long now;

    @BeforeEach
    void setUp() {
        clock = new MutableClock();
        store = createStore();
        ledger = new Ledger(store, clock, LedgerSettings.defaults());
        admission = new Admission(ledger);
        now = clock.millis();
        assertThat(ledger.createTenant("acme", Map.of("memory", 8192L)).ok()).isTrue();
        assertThat(ledger.createTenant("other", Map.of("memory", 65536L)).ok()).isTrue();
        assertThat(ledger.createLock("db", 1).ok()).isTrue();
        assertThat(ledger.report("n1", Map.of("memory", 8192L), Map.of()).ok()).isTrue();
        assertThat(ledger.report("n2", Map.of("memory", 4096L), Map.of()).ok()).isTrue();
    }

    private Claim submit(String id, String tenant, long memory, String node, int priority, long lease,
                         List<String> locks) {
        Result<Claim> r = ledger.submit(ClaimRequest.of(id, tenant,
                Bundle.of(memory == 0 ? Map.of() : Map.of("memory", memory), locks), priority, lease, node));
        assertThat(r.ok()).as(String.valueOf(r.rejection())).isTrue();
        admission.pass();
        return ledger.claim(id);
    }

    @Test
    void aQueuedClaimIsToldWhatIsMissingWhereWhoHoldsItWhenItFreesAndWhatOvertakesIt() {
        assertThat(submit("o1", "other", 6000, "n1", 0, 600, List.of("db")).state()).isEqualTo(ClaimState.GRANTED);
        assertThat(submit("a1", "acme", 1000, "n1", 0, 300, List.of()).state()).isEqualTo(ClaimState.GRANTED);
        assertThat(submit("o2", "other", 4096, "n2", 0, 900, List.of()).state()).isEqualTo(ClaimState.GRANTED);
        clock.advance(Duration.ofSeconds(1));
        Claim waiting = submit("a2", "acme", 4000, null, 0, 120, List.of("db"));
        assertThat(waiting.state()).isEqualTo(ClaimState.QUEUED);
        clock.advance(Duration.ofSeconds(1));
        assertThat(submit("a3", "acme", 3000, "n1", 9, 60, List.of()).state()).isEqualTo(ClaimState.QUEUED);
        assertThat(submit("o3", "other", 3000, "n1", 9, 60, List.of()).state()).isEqualTo(ClaimState.QUEUED);
        // a reservation books 2000 of n1 from +60 s to +1 h: in the way of a2's 120 s lease
        NodeState n1 = store.nodes().get("n1");
        Map<String, NodeState> nodes = new HashMap<>(store.nodes().entries());
        nodes.put("n1", n1.withHoldings(n1.holdings().withBooking("r9:0",
                new Booking("r9", now + 62_000, now + 3_600_000, new TreeMap<>(Map.of("memory", 2000L))))));
        Explain.Input read = Explain.Input.of(ledger, "acme");
        Explain.Input in = new Explain.Input(read.now(), nodes, read.locks(), read.tenant(), read.holders(),
                read.deadlines(), Map.of("memory", 3L), Map.of("memory", 5L), read.queue());

        Explain.Explanation e = Explain.of(ledger.claim("a2"), in);

        // the queue: two claims of priority 9 overtake it, one its tenant's own (by id), one another's (counted)
        assertThat(e.queue().position()).isEqualTo(3);
        assertThat(e.queue().length()).isEqualTo(3);
        assertThat(e.queue().aheadOwn()).containsExactly("a3");
        assertThat(e.queue().aheadOthers()).isEqualTo(1);
        assertThat(e.queue().overtakingOwn()).containsExactly("a3");
        assertThat(e.queue().overtakingOthers()).isEqualTo(1);
        // quota: 1000 used of 8192 leaves room for 4000: nothing missing, nothing to buy
        assertThat(e.quota()).containsExactly(new Explain.QuotaGap("memory", 4000, 8192, 1000, 0, 0));
        assertThat(e.purchase().missing()).isEmpty();
        assertThat(e.purchase().spotCost()).isZero();
        assertThat(e.purchase().urgentCost()).isEqualTo(MarketOrder.cost(5, 4000, 120));
        // both nodes lack all 4000: ties by id
        assertThat(e.nodes()).extracting(Explain.NodeGap::node).containsExactly("n1", "n2");
        Explain.NodeGap g1 = e.nodes().get(0);
        // 7000 held by others, 2000 booked from +62 s: no room at all for a2 before its lease would end
        assertThat(g1.kinds()).containsExactly(new Explain.KindGap("memory", 4000, 8192, 1192, 2000, 4000, false));
        assertThat(g1.own()).containsExactly(new Explain.Holder("a1", new TreeMap<>(Map.of("memory", 1000L)),
                now + 300_000));
        assertThat(g1.others()).isEqualTo(1);
        assertThat(g1.otherAmounts()).containsEntry("memory", 6000L);
        assertThat(g1.releases()).containsExactly(
                new Explain.Release(now + 300_000, new TreeMap<>(Map.of("memory", 1000L))),
                new Explain.Release(now + 600_000, new TreeMap<>(Map.of("memory", 6000L))));
        assertThat(g1.bookings()).containsExactly(new Explain.Window(now + 62_000, now + 3_600_000,
                new TreeMap<>(Map.of("memory", 2000L))));
        // it fits there once the other tenant's 6000 end at +600 s (4000 + 2000 booked + nothing else ≤ 8192)
        assertThat(g1.fitsAt()).isEqualTo(now + 600_000);
        Explain.NodeGap g2 = e.nodes().get(1);
        assertThat(g2.kinds().get(0).missing()).isEqualTo(4000);
        assertThat(g2.fitsAt()).isEqualTo(now + 900_000);
        assertThat(g2.own()).isEmpty();
        assertThat(g2.others()).isEqualTo(1);
        // the lock is held by the other tenant, counted, until its lease ends
        assertThat(e.locks()).containsExactly(new Explain.LockGap("db", 1, 1, List.of(), 1, now + 600_000));
    }

    @Test
    void aClaimOverItsQuotaIsToldWhatBuyingTheMissingPartCosts() {
        assertThat(submit("a1", "acme", 6000, null, 0, 600, List.of()).state()).isEqualTo(ClaimState.GRANTED);
        Claim waiting = submit("a2", "acme", 3000, null, 0, 1800, List.of());
        assertThat(waiting.reason()).isEqualTo("QUOTA");
        Explain.Input read = Explain.Input.of(ledger, "acme");
        Explain.Input in = new Explain.Input(read.now(), read.nodes(), read.locks(), read.tenant(), read.holders(),
                read.deadlines(), Map.of("memory", 4L), Map.of("memory", 6L), read.queue());
        Explain.Explanation e = Explain.of(waiting, in);
        assertThat(e.quota()).containsExactly(new Explain.QuotaGap("memory", 3000, 8192, 6000, 0, 808));
        assertThat(e.purchase().missing()).containsExactlyEntriesOf(new TreeMap<>(Map.of("memory", 808L)));
        assertThat(e.purchase().spotCost()).isEqualTo(MarketOrder.cost(4, 808, 1800)).isEqualTo(1616);
        assertThat(e.purchase().urgentCost()).isEqualTo(MarketOrder.cost(6, 3000, 1800));
        assertThat(e.queue().position()).isEqualTo(1);
        assertThat(e.queue().aheadOwn()).isEmpty();
    }

    @Test
    void aLostNodeMissesEverythingAndIsListedLast() {
        submit("a1", "acme", 100, "n2", 0, 600, List.of());
        Claim waiting = submit("a2", "acme", 6000, null, 0, 60, List.of());
        NodeState n1 = store.nodes().get("n1");
        Map<String, NodeState> nodes = new HashMap<>(store.nodes().entries());
        nodes.put("n1", n1.markLost(now));
        Explain.Input read = Explain.Input.of(ledger, "acme");
        Explain.Input in = new Explain.Input(read.now(), nodes, read.locks(), read.tenant(), read.holders(),
                read.deadlines(), read.spot(), read.urgent(), read.queue());
        // a2 was granted on n1 by the pass: explain a fresh queued copy of it against the lost node instead
        Claim queued = Claim.queued("a9", "acme", waiting.bundle(), 0, 60, null, now, Funding.QUOTA_ONLY);
        Explain.Explanation e = Explain.of(queued, in);
        assertThat(e.nodes()).extracting(Explain.NodeGap::node).containsExactly("n2", "n1");
        assertThat(e.nodes().get(1).lost()).isTrue();
        assertThat(e.nodes().get(1).kinds().get(0).missing()).isEqualTo(6000);
        assertThat(e.nodes().get(1).fitsAt()).isNull();
        assertThat(e.queue().position()).as("not in the queue as read").isNull();
    }

    @Test
    void grantedAndEndedClaimsSayWhereAndHowTheyEnded() {
        Claim granted = submit("a1", "acme", 1000, null, 0, 60, List.of());
        Explain.Explanation g = Explain.of(granted, Explain.Input.of(ledger, "acme"));
        assertThat(g.claim().node()).isEqualTo("n2");
        assertThat(g.queue()).isNull();
        assertThat(g.nodes()).isNull();
        clock.advance(Duration.ofSeconds(61));
        new LeaseReaper(ledger).sweep();
        Claim ended = ledger.claim("a1");
        assertThat(ended.state()).isEqualTo(ClaimState.EXPIRED);
        Explain.Explanation x = Explain.of(ended, Explain.Input.of(ledger, "acme"));
        assertThat(x.claim().reason()).isEqualTo("EXPIRED");
        assertThat(x.claim().endedAt()).isEqualTo(clock.millis());
        assertThat(x.purchase()).isNull();
    }
}
