package io.ichiba.ledger;

import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.claim.Funding;
import io.ichiba.ledger.pool.Booking;
import io.ichiba.ledger.pool.Hold;
import io.ichiba.ledger.pool.Holdings;
import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.store.Store;
import io.ichiba.ledger.tenant.TenantState;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** Placement hints on fixed states: the ranking rule, deadlines, quota, the queue, bookings, plans, validation. */
@org.junit.jupiter.api.extension.ExtendWith(io.ichiba.ledger.engine.Engines.ClosedAfterEach.class)
class HintsTest {
    /** An empty store: the engine's, over a journal in memory; each test's engine is closed after it. */
    Store createStore() {
        return io.ichiba.ledger.engine.Engines.started(new io.ichiba.ledger.journal.InMemoryJournal());
    }

    private static final long NOW = Instant.parse("2030-01-01T00:00:00Z").toEpochMilli();
    private static final long MIN = 60_000;
    private static final Map<String, Long> SPOT = Map.of("memory", 2L, "disk", 1L);

    private static SortedMap<String, Long> amounts(long memory, long disk) {
        TreeMap<String, Long> m = new TreeMap<>();
        if (memory > 0) {
            m.put("memory", memory);
        }
        if (disk > 0) {
            m.put("disk", disk);
        }
        return m;
    }

    /** A reporting node with {@code memory} and {@code disk} capacity and the given holders (claim id to memory). */
    private static NodeState node(String id, long memory, long disk, Map<String, Long> heldMemory) {
        TreeMap<String, Hold> holders = new TreeMap<>();
        heldMemory.forEach((claim, m) -> holders.put(claim, new Hold(amounts(m, 0))));
        return new NodeState(id, amounts(memory, disk), amounts(memory, disk), NOW - 1000, new Holdings(holders));
    }

    private static Hints.Stage stage(long tasks, long memory, long disk, List<String> prefer) {
        return new Hints.Stage(null, tasks, amounts(memory, disk), 60, prefer, List.of());
    }

    private static Hints.Stage named(String name, long tasks, long memory, long lease, List<String> after) {
        return new Hints.Stage(name, tasks, amounts(memory, 0), lease, List.of(), after);
    }

    private static Hints.Snapshot snapshot(Map<String, NodeState> nodes, TenantState tenant,
                                           Map<String, Long> deadlines, List<Claim> queue) {
        return new Hints.Snapshot(NOW, nodes, tenant, deadlines, SPOT, queue);
    }

    private static List<String> order(Hints.StageHint h) {
        return h.nodes().stream().map(Hints.NodeHint::node).toList();
    }

    private static Hints.NodeHint on(Hints.StageHint h, String node) {
        return h.nodes().stream().filter(n -> n.node().equals(node)).findFirst().orElseThrow();
    }

    @Test
    void ranksDataLocalThenRoomThenWaitAndPutsLostOverCommittedAndReservedNodesWhereTheyBelong() {
        Map<String, NodeState> nodes = new TreeMap<>();
        nodes.put("n1", node("n1", 8192, 100_000, Map.of()));                       // 4 tasks now
        nodes.put("n2", node("n2", 16384, 100_000, Map.of()));                      // 8 tasks now
        nodes.put("n3", node("n3", 8192, 100_000, Map.of("c3", 4096L)));            // 2 now, data-local
        nodes.put("n4", node("n4", 16384, 100_000, Map.of()).markLost(NOW - 10));    // lost
        // over-committed: the agent reported 4096 below the 6000 held until +10 min
        nodes.put("n5", node("n5", 8192, 100_000, Map.of("c5", 6000L))
                .report(amounts(4096, 100_000), amounts(0, 100_000), NOW - 500));
        // reserved: the whole node is booked from +30 s to +1 h; a 60 s lease from now would overlap it
        NodeState n6 = node("n6", 8192, 100_000, Map.of());
        nodes.put("n6", n6.withHoldings(n6.holdings().withBooking("r1:0",
                new Booking("r1", NOW + 30_000, NOW + 60 * MIN, amounts(8192, 0)))));
        Map<String, Long> deadlines = Map.of("c3", NOW + 5 * MIN, "c5", NOW + 10 * MIN);

        Hints.StageHint h = Hints.rank(snapshot(nodes, null, deadlines, List.of()), stage(120, 2048, 1024,
                List.of("n3")), null, false);

        assertThat(order(h)).containsExactly("n3", "n2", "n1", "n5", "n6", "n4");
        assertThat(h.nodes()).extracting(Hints.NodeHint::rank).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(on(h, "n3").fitsNow()).isEqualTo(2);
        assertThat(on(h, "n3").reason()).isEqualTo("data-local, fits 2 now");
        assertThat(on(h, "n2").fitsNow()).isEqualTo(8);
        assertThat(on(h, "n2").waitSeconds()).isZero();
        assertThat(on(h, "n4").reason()).isEqualTo("lost");
        assertThat(on(h, "n4").earliestAt()).isNull();
        Hints.NodeHint over = on(h, "n5");
        assertThat(over.fitsNow()).isZero();
        assertThat(over.reason()).startsWith("over-committed").contains("frees at 2030-01-01T00:10:00Z");
        assertThat(over.earliestAt()).isEqualTo(NOW + 10 * MIN);
        assertThat(over.waitSeconds()).isEqualTo(600);
        Hints.NodeHint reserved = on(h, "n6");
        assertThat(reserved.fitsNow()).isZero();
        assertThat(reserved.reason()).startsWith("reserved from 2030-01-01T00:00:30Z");
        assertThat(reserved.earliestAt()).isEqualTo(NOW + 60 * MIN);
        // the price: 2048 MiB × 2 + 1024 MiB × 1 per hour, the same on every node
        assertThat(h.pricePerTaskHour()).isEqualTo(2048 * 2 + 1024);
        assertThat(h.nodes()).allMatch(n -> n.pricePerTaskHour() == 2048 * 2 + 1024);
        // what starts now goes down the ranking: 2 on n3, 8 on n2, 4 on n1
        assertThat(h.startNow()).isEqualTo(14);
        assertThat(h.placement()).containsExactlyEntriesOf(new TreeMap<>(Map.of("n1", 4L, "n2", 8L, "n3", 2L)));
        assertThat(h.earliestAt()).isEqualTo(NOW);
        // a pure function: the same state gives the same answer
        assertThat(Hints.rank(snapshot(nodes, null, deadlines, List.of()), stage(120, 2048, 1024, List.of("n3")),
                null, false)).isEqualTo(h);
    }

    @Test
    void aNodeThatTakesTheWholeStageTiesWithABiggerOneAndIdsBreakTies() {
        Map<String, NodeState> nodes = new TreeMap<>(Map.of(
                "b", node("b", 65536, 100_000, Map.of()), "a", node("a", 8192, 100_000, Map.of()),
                "c", node("c", 2048, 100_000, Map.of())));
        Hints.StageHint h = Hints.rank(snapshot(nodes, null, Map.of(), List.of()), stage(4, 2048, 0, List.of()),
                null, false);
        assertThat(order(h)).containsExactly("a", "b", "c");
        assertThat(on(h, "a").reason()).isEqualTo("fits all now");
        assertThat(h.placement()).containsExactlyEntriesOf(new TreeMap<>(Map.of("a", 4L)));
    }

    @Test
    void byTheDeadlineCountsReleasesBeforeItAndNotAfter() {
        Map<String, NodeState> nodes = new TreeMap<>(Map.of(
                "n1", node("n1", 8192, 100_000, Map.of("x", 4096L, "y", 2048L))));
        Map<String, Long> deadlines = Map.of("x", NOW + 5 * MIN, "y", NOW + 20 * MIN);
        Hints.Snapshot s = snapshot(nodes, null, deadlines, List.of());
        Hints.NodeHint at10 = Hints.rank(s, stage(10, 1024, 0, List.of()), NOW + 10 * MIN, false).nodes().get(0);
        assertThat(at10.fitsNow()).isEqualTo(2);
        assertThat(at10.fitsByDeadline()).isEqualTo(6);
        Hints.NodeHint at30 = Hints.rank(s, stage(10, 1024, 0, List.of()), NOW + 30 * MIN, false).nodes().get(0);
        assertThat(at30.fitsByDeadline()).isEqualTo(8);
        assertThat(Hints.rank(s, stage(10, 1024, 0, List.of()), null, false).nodes().get(0).fitsByDeadline())
                .isNull();
    }

    @Test
    void aStageFundedByQuotaStartsNoMoreThanTheTenantsFreeEntitlementAndOneThatBuysIsNotLimited() {
        Map<String, NodeState> nodes = new TreeMap<>(Map.of("n1", node("n1", 65536, 100_000, Map.of("mine", 2048L))));
        TreeMap<String, Hold> holders = new TreeMap<>(Map.of("mine", new Hold(amounts(2048, 0))));
        TenantState acme = new TenantState("acme", amounts(8192, 0), new Holdings(holders), NOW - MIN);
        Map<String, Long> deadlines = Map.of("mine", NOW + 3 * MIN);
        Hints.Snapshot s = snapshot(nodes, acme, deadlines, List.of());

        Hints.StageHint quota = Hints.rank(s, stage(10, 2048, 0, List.of()), null, true);
        assertThat(quota.quotaTasks()).isEqualTo(3);
        assertThat(quota.startNow()).isEqualTo(3);
        assertThat(on(quota, "n1").fitsNow()).as("the node's own view is not capped").isEqualTo(31);

        Hints.StageHint buy = Hints.rank(s, stage(10, 2048, 0, List.of()), null, false);
        assertThat(buy.quotaTasks()).isNull();
        assertThat(buy.startNow()).isEqualTo(10);

        // in a plan, the quota frees up as the tasks (and the tenant's own hold) end
        Hints.Plan plan = Hints.plan(s, List.of(named("s0", 5, 2048, 600, List.of())), null, true);
        Hints.PlannedStage s0 = plan.stages().get(0);
        assertThat(s0.startNow()).isTrue();
        assertThat(s0.placement()).containsEntry("n1", 3L);
        // 3 now, 1 when the tenant's own hold ends (+3 min), the last when the first three end (+10 min)
        assertThat(s0.allStartedAt()).isEqualTo(NOW + 10 * MIN);
        assertThat(s0.endsAt()).isEqualTo(NOW + 20 * MIN);
    }

    @Test
    void claimsQueuedForCapacityGoFirstWhenItFrees() {
        Map<String, NodeState> nodes = new TreeMap<>(Map.of("n1", node("n1", 8192, 100_000, Map.of("big", 8192L))));
        Map<String, Long> deadlines = Map.of("big", NOW + 5 * MIN);
        Claim waiting = Claim.queued("q1", "other", Bundle.of(Map.of("memory", 6144L), List.of()), 5, 3600, "n1",
                NOW - MIN, Funding.QUOTA_ONLY).waiting("INSUFFICIENT_CAPACITY");
        Claim onQuota = Claim.queued("q2", "other", Bundle.of(Map.of("memory", 8192L), List.of()), 5, 3600, null,
                NOW - MIN, Funding.QUOTA_ONLY).waiting("QUOTA");

        Hints.StageHint alone = Hints.rank(snapshot(nodes, null, deadlines, List.of()),
                stage(4, 4096, 0, List.of()), NOW + 10 * MIN, false);
        assertThat(on(alone, "n1").earliestAt()).isEqualTo(NOW + 5 * MIN);
        assertThat(on(alone, "n1").fitsByDeadline()).isEqualTo(2);

        // the queued claim takes 6144 of the 8192 when "big" ends, for an hour: one 2048 task fits, no 4096 one
        Hints.StageHint queued = Hints.rank(snapshot(nodes, null, deadlines, List.of(waiting, onQuota)),
                stage(4, 4096, 0, List.of()), NOW + 10 * MIN, false);
        assertThat(on(queued, "n1").earliestAt()).isEqualTo(NOW + 65 * MIN);
        assertThat(on(queued, "n1").fitsByDeadline()).isZero();
        assertThat(on(queued, "n1").reason()).isEqualTo("frees at 2030-01-01T01:05:00Z");
    }

    @Test
    void aPlanStartsReadyStagesNowAndTheirDependantsWhenTheyEnd() {
        Map<String, NodeState> nodes = new TreeMap<>(Map.of(
                "n1", node("n1", 8192, 100_000, Map.of()), "n2", node("n2", 8192, 100_000, Map.of("x", 8192L))));
        Map<String, Long> deadlines = Map.of("x", NOW + 20 * MIN);
        List<Hints.Stage> stages = List.of(
                named("s2", 2, 4096, 60, List.of("s0", "s1")),
                named("s0", 6, 2048, 600, List.of()),
                named("s1", 2, 2048, 300, List.of()));
        assertThat(Hints.validate(stages, true, Set.of("memory", "disk"), nodes.keySet(), null, NOW)).isNull();

        Hints.Plan plan = Hints.plan(snapshot(nodes, null, deadlines, List.of()), stages, NOW + 15 * MIN, false);

        Hints.PlannedStage s2 = plan.stages().get(0);
        Hints.PlannedStage s0 = plan.stages().get(1);
        Hints.PlannedStage s1 = plan.stages().get(2);
        // s0 comes first in topological order (then request order): it takes all 4 slots of n1 now
        assertThat(s0.startNow()).isTrue();
        assertThat(s0.placement()).containsExactlyEntriesOf(new TreeMap<>(Map.of("n1", 4L)));
        assertThat(s0.reason()).startsWith("starts now");
        // its last 2 tasks start when its first end (+10 min), s1 gets room then too
        assertThat(s0.allStartedAt()).isEqualTo(NOW + 10 * MIN);
        assertThat(s0.endsAt()).isEqualTo(NOW + 20 * MIN);
        assertThat(s1.startNow()).isFalse();
        assertThat(s1.startsAt()).isEqualTo(NOW + 10 * MIN);
        assertThat(s1.waitSeconds()).isEqualTo(600);
        assertThat(s1.endsAt()).isEqualTo(NOW + 15 * MIN);
        assertThat(s0.byDeadline()).isEqualTo(6);
        // s2 waits for both: from +20 min, when n2's hold ends too
        assertThat(s2.startsAt()).isEqualTo(NOW + 20 * MIN);
        assertThat(s2.reason()).isEqualTo("starts at 2030-01-01T00:20:00Z, after s0, s1");
        assertThat(s2.placement().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(2);
        assertThat(s2.byDeadline()).isZero();
        assertThat(s2.endsAt()).isEqualTo(NOW + 21 * MIN);
    }

    @Test
    void aStageThatNeverFitsIsSaidToNotFitAndItsDependantsToWait() {
        Map<String, NodeState> nodes = new TreeMap<>(Map.of("n1", node("n1", 4096, 100_000, Map.of())));
        Hints.Plan plan = Hints.plan(snapshot(nodes, null, Map.of(), List.of()),
                List.of(named("big", 1, 8192, 60, List.of()), named("next", 1, 1024, 60, List.of("big"))), null, false);
        assertThat(plan.stages().get(0).startsAt()).isNull();
        assertThat(plan.stages().get(0).reason()).isEqualTo("does not fit within the horizon");
        assertThat(plan.stages().get(1).reason()).startsWith("waits for big");
        Hints.StageHint h = Hints.rank(snapshot(nodes, null, Map.of(), List.of()), stage(1, 8192, 0, List.of()),
                null, false);
        assertThat(h.nodes().get(0).reason()).isEqualTo("too small");
        assertThat(h.earliestAt()).isNull();
    }

    @Test
    void validationNamesWhatIsWrong() {
        Set<String> kinds = Set.of("memory", "disk");
        Set<String> nodes = Set.of("n1");
        assertThat(Hints.validate(List.of(stage(1, 1, 0, List.of())), false, kinds, nodes, NOW, NOW).code())
                .isEqualTo(Rejection.Code.INVALID);
        assertThat(Hints.validate(List.of(new Hints.Stage(null, 1, new TreeMap<>(Map.of("gpu", 1L)), 60, null, null)),
                false, kinds, nodes, null, NOW).code()).isEqualTo(Rejection.Code.UNKNOWN_KIND);
        Rejection noNode = Hints.validate(List.of(stage(1, 1, 0, List.of("n9"))), false, kinds, nodes, null, NOW);
        assertThat(noNode.code()).isEqualTo(Rejection.Code.NO_SUCH_NODE);
        assertThat(noNode.detail()).contains("n9");
        assertThat(Hints.validate(List.of(stage(1, 1, 0, List.of("n1"))), false, kinds, nodes, NOW + 1, NOW)).isNull();

        Rejection twice = Hints.validate(List.of(named("a", 1, 1, 60, List.of()), named("a", 1, 1, 60, List.of())),
                true, kinds, nodes, null, NOW);
        assertThat(twice.detail()).contains("two stages are named a");
        Rejection unknown = Hints.validate(List.of(named("a", 1, 1, 60, List.of("zz"))), true, kinds, nodes, null, NOW);
        assertThat(unknown.code()).isEqualTo(Rejection.Code.INVALID);
        assertThat(unknown.detail()).contains("unknown stage zz");
        assertThat(Hints.validate(List.of(named("a", 1, 1, 60, List.of("a"))), true, kinds, nodes, null, NOW)
                .detail()).contains("itself");
        Rejection cycle = Hints.validate(List.of(named("a", 1, 1, 60, List.of("c")), named("b", 1, 1, 60, List.of("a")),
                named("c", 1, 1, 60, List.of("b")), named("d", 1, 1, 60, List.of())), true, kinds, nodes, null, NOW);
        assertThat(cycle.detail()).contains("cycle");
        assertThat(Hints.validate(List.of(), true, kinds, nodes, null, NOW).code()).isEqualTo(Rejection.Code.INVALID);

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> stage(0, 1, 0, List.of()))
                .hasMessageContaining("tasks must be between 1");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> stage(1, 0, 0, List.of()))
                .hasMessageContaining("bundle is empty");
    }

    @Test
    void theSnapshotIsReadFromTheLedger() {
        MutableClock clock = new MutableClock(Instant.ofEpochMilli(NOW));
        Ledger ledger = new Ledger(createStore(), clock, LedgerSettings.defaults());
        assertThat(ledger.createTenant("acme", Map.of("memory", 8192L)).ok()).isTrue();
        assertThat(ledger.report("n1", Map.of("memory", 8192L), Map.of()).ok()).isTrue();
        assertThat(ledger.submit(ClaimRequest.of("c1", "acme", Bundle.of(Map.of("memory", 6144L), List.of()), 0, 600,
                null)).ok())
                .isTrue();
        new Admission(ledger).pass();
        Hints.Snapshot s = Hints.Snapshot.of(ledger, "acme");
        assertThat(s.deadlines()).containsEntry("c1", NOW + 600_000);
        Hints.StageHint h = Hints.rank(s, stage(2, 2048, 0, List.of()), null, true);
        assertThat(h.quotaTasks()).isEqualTo(1);
        assertThat(h.startNow()).isEqualTo(1);
        assertThat(on(h, "n1").fitsNow()).isEqualTo(1);
        assertThat(on(h, "n1").pricePerTaskHour()).isEqualTo(2048 * ledger.exchange().spot("memory"));
    }
}
