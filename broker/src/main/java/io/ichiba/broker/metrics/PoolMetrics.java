package io.ichiba.broker.metrics;

import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.pool.PoolView;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;

import java.util.ArrayList;
import java.util.List;

/** Pools (capacity, granted, over-commit, withheld) tagged by pool and kind; nodes by state; nodes and grants lost. */
public final class PoolMetrics {
    private final Ledger ledger;
    private final MultiGauge poolCapacity;
    private final MultiGauge poolGranted;
    private final MultiGauge poolOvercommitted;
    private final MultiGauge poolWithheld;
    private final MultiGauge nodes;
    private final Counter nodesLost;
    private final Counter grantsLost;

    /** Registers the meters in {@code registry}. */
    public PoolMetrics(MeterRegistry registry, Ledger ledger) {
        this.ledger = ledger;
        this.poolCapacity = MultiGauge.builder("ichiba.pool.capacity")
                .description("Capacity of a pool: allocatable MiB (or units) of a node-local kind, permits of a lock")
                .register(registry);
        this.poolGranted = MultiGauge.builder("ichiba.pool.granted")
                .description("Amount of a pool held by granted claims").register(registry);
        this.poolOvercommitted = MultiGauge.builder("ichiba.pool.overcommitted")
                .description("1 when a pool holds more than its reported capacity").register(registry);
        this.poolWithheld = MultiGauge.builder("ichiba.pool.withheld")
                .description("Capacity not granted because the agent measured less free than capacity - granted")
                .register(registry);
        this.nodes = MultiGauge.builder("ichiba.nodes").description("Nodes by state (READY, LOST)").register(registry);
        this.nodesLost = Counter.builder("ichiba.nodes.lost")
                .description("Nodes found lost: no report for the grace period").register(registry);
        this.grantsLost = Counter.builder("ichiba.grants.lost")
                .description("Grants ended because their node was lost (reason NODE_LOST)").register(registry);
    }

    /** Counts a node found lost. */
    public void nodeLost() {
        nodesLost.increment();
    }

    /** Counts a grant ended because its node was lost. */
    public void grantLost() {
        grantsLost.increment();
    }

    /** Reads the pools and nodes and updates the gauges. */
    public void refresh() {
        List<MultiGauge.Row<?>> cap = new ArrayList<>();
        List<MultiGauge.Row<?>> granted = new ArrayList<>();
        List<MultiGauge.Row<?>> over = new ArrayList<>();
        List<MultiGauge.Row<?>> withheld = new ArrayList<>();
        for (PoolView p : ledger.pools()) {
            Tags tags = Tags.of("pool", p.id(), "kind", p.kind());
            cap.add(MultiGauge.Row.of(tags, p.capacity()));
            granted.add(MultiGauge.Row.of(tags, p.granted()));
            over.add(MultiGauge.Row.of(tags, p.overcommitted() ? 1 : 0));
            if (p.node() != null) {
                withheld.add(MultiGauge.Row.of(tags, p.withheld()));
            }
        }
        poolCapacity.register(cap, true);
        poolGranted.register(granted, true);
        poolOvercommitted.register(over, true);
        poolWithheld.register(withheld, true);
        java.util.Collection<NodeState> all = ledger.store().nodes().entries().values();
        long lost = all.stream().filter(NodeState::lost).count();
        nodes.register(List.of(MultiGauge.Row.of(Tags.of("state", "READY"), all.size() - lost),
                MultiGauge.Row.of(Tags.of("state", "LOST"), lost)), true);
    }
}
