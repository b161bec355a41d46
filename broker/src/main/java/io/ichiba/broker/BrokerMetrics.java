package io.ichiba.broker;

import io.ichiba.ledger.Auditor;
import io.ichiba.ledger.Claim;
import io.ichiba.ledger.ClaimState;
import io.ichiba.ledger.Filters;
import io.ichiba.ledger.JobState;
import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.NodeState;
import io.ichiba.ledger.PoolView;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Ichiba's own meters, all prefixed {@code ichiba_}: pools (capacity, granted, over-commit) tagged by pool and
 * kind; claims by state; queue depth and the oldest wait; grant latency; lease expiries; audit drift.
 *
 * <p>Pool and claim gauges are refreshed from the store every few seconds ({@link #refresh}), not per scrape,
 * so that a scrape costs no cluster-wide read. Tags stay bounded: one series per pool, per state.
 */
public final class BrokerMetrics {
    /**
     * Makes the registry's output pass {@code promtool check metrics}: the gauge {@code system.cpu.count} is renamed
     * (a gauge may not end in {@code _count}), and the two JVM counters kept in milliseconds or nanoseconds
     * ({@code jvm.compilation.time}, {@code process.cpu.time}) are dropped, since Prometheus wants seconds and
     * a filter cannot rescale them ({@code process_cpu_usage} remains).
     */
    public static void configureForPrometheus(MeterRegistry registry) {
        registry.config().meterFilter(MeterFilter.deny(id -> "ms".equals(id.getBaseUnit())
                || "ns".equals(id.getBaseUnit())));
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                return id.getName().equals("system.cpu.count") ? id.withName("system.cpu.logical") : id;
            }
        });
    }

    private final Ledger ledger;
    private final MultiGauge poolCapacity;
    private final MultiGauge poolGranted;
    private final MultiGauge poolOvercommitted;
    private final MultiGauge poolWithheld;
    private final MultiGauge nodes;
    private final Counter nodesLost;
    private final Counter grantsLost;
    private final MultiGauge claims;
    private final MultiGauge jobs;
    private final AtomicLong queueDepth = new AtomicLong();
    private final AtomicLong oldestWaitMillis = new AtomicLong();
    private final AtomicLong auditDriftNow = new AtomicLong();
    private final Timer grantLatency;
    private final Timer passDuration;
    private final Counter grants;
    private final Counter leaseExpiries;
    private final Counter auditDrift;
    private final Counter orphansReturned;

    /** Registers the meters in {@code registry}. */
    public BrokerMetrics(MeterRegistry registry, Ledger ledger) {
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
        this.claims = MultiGauge.builder("ichiba.claims").description("Claims by state").register(registry);
        this.jobs = MultiGauge.builder("ichiba.jobs").description("Jobs by state").register(registry);
        Gauge.builder("ichiba.queue.depth", queueDepth, AtomicLong::get)
                .description("Claims waiting in the admission queue").register(registry);
        Gauge.builder("ichiba.queue.oldest.wait.seconds", oldestWaitMillis, a -> a.get() / 1000.0)
                .description("How long the oldest queued claim has waited").register(registry);
        Gauge.builder("ichiba.audit.drift.current", auditDriftNow, AtomicLong::get)
                .description("Drift entries found by the last audit on this member").register(registry);
        this.grantLatency = Timer.builder("ichiba.grant.latency")
                .description("Time from a claim's submission to its grant")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(10))
                .register(registry);
        this.passDuration = Timer.builder("ichiba.admission.pass.duration")
                .description("Duration of one admission pass over the queue").register(registry);
        this.grants = Counter.builder("ichiba.grants").description("Claims granted").register(registry);
        this.leaseExpiries = Counter.builder("ichiba.lease.expiries")
                .description("Grants ended because their lease was not renewed").register(registry);
        this.auditDrift = Counter.builder("ichiba.audit.drift")
                .description("Drift entries found by audits (recorded holdings that differ from the live grants)")
                .register(registry);
        this.orphansReturned = Counter.builder("ichiba.orphan.holds.returned")
                .description("Holds returned because no live grant owned them").register(registry);
    }

    /** Records a grant and its latency from submission. */
    public void granted(Claim c, long latencyMillis) {
        grants.increment();
        grantLatency.record(Duration.ofMillis(Math.max(0, latencyMillis)));
    }

    /** Records the duration of an admission pass. */
    public void pass(long nanos) {
        passDuration.record(Duration.ofNanos(nanos));
    }

    /** Records a reaper sweep's work. */
    public void swept(int expired, int orphans) {
        leaseExpiries.increment(expired);
        orphansReturned.increment(orphans);
    }

    /** Records nodes found lost and the grants that ended with them. */
    public void nodesLost(int lostNodes, int lostGrants) {
        nodesLost.increment(lostNodes);
        grantsLost.increment(lostGrants);
    }

    /** Records an audit. */
    public void audited(Auditor.Report report) {
        auditDrift.increment(report.drift().size());
        auditDriftNow.set(report.drift().size());
    }

    /** Reads pools and claims from the store and updates the gauges. */
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
        Map<ClaimState, Long> byState = new EnumMap<>(ClaimState.class);
        for (ClaimState s : ClaimState.values()) {
            if (s != ClaimState.GRANTING) {
                byState.put(s, 0L);
            }
        }
        long now = ledger.clock().millis();
        long oldest = 0;
        for (Claim c : ledger.store().claims().values(new Filters.All<>())) {
            byState.merge(c.state().visible(), 1L, Long::sum);
            if (c.state().visible() == ClaimState.QUEUED) {
                oldest = Math.max(oldest, now - c.createdAt());
            }
        }
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        byState.forEach((s, n) -> rows.add(MultiGauge.Row.of(Tags.of("state", s.name()), n)));
        claims.register(rows, true);
        Map<JobState, Long> jobsByState = new EnumMap<>(JobState.class);
        for (JobState s : JobState.values()) {
            jobsByState.put(s, 0L);
        }
        ledger.store().jobs().values(new Filters.All<>()).forEach(j -> jobsByState.merge(j.state(), 1L, Long::sum));
        List<MultiGauge.Row<?>> jobRows = new ArrayList<>();
        jobsByState.forEach((s, n) -> jobRows.add(MultiGauge.Row.of(Tags.of("state", s.name()), n)));
        jobs.register(jobRows, true);
        queueDepth.set(byState.getOrDefault(ClaimState.QUEUED, 0L));
        oldestWaitMillis.set(oldest);
    }
}
