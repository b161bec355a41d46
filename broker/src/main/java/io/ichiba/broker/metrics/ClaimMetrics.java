package io.ichiba.broker.metrics;

import io.ichiba.ledger.Admission;
import io.ichiba.ledger.Auditor;
import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimFilters;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.job.JobFilters;
import io.ichiba.ledger.job.JobState;
import io.ichiba.ledger.tenant.TenantLimits;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Claims and jobs by state, the queue's depth and oldest wait, grants and their latency, admission passes, lease
 * expiries, placement hints and explanations, refusals at a tenant's limits, and audits.
 */
public final class ClaimMetrics {
    /** The modes of a placement hint: one stage, or a plan of several. */
    private static final List<String> HINT_MODES = List.of("stage", "plan");

    private final Ledger ledger;
    private final MeterRegistry registry;
    private final MultiGauge claims;
    private final MultiGauge jobs;
    private final AtomicLong queueDepth = new AtomicLong();
    private final AtomicLong oldestWaitMillis = new AtomicLong();
    private final AtomicLong auditDriftNow = new AtomicLong();
    private final Timer grantLatency;
    private final Map<Admission.Pass.Kind, Timer> passDuration = new EnumMap<>(Admission.Pass.Kind.class);
    private final Counter grants;
    private final Counter leaseExpiries;
    private final Counter auditDrift;
    private final Counter explains;
    private final Map<String, Counter> hints = new ConcurrentHashMap<>();
    private final Map<String, Counter> limitRefusals = new ConcurrentHashMap<>();

    /** Registers the meters in {@code registry}. */
    public ClaimMetrics(MeterRegistry registry, Ledger ledger) {
        this.ledger = ledger;
        this.registry = registry;
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
        for (Admission.Pass.Kind kind : List.of(Admission.Pass.Kind.FULL, Admission.Pass.Kind.PARTIAL,
                Admission.Pass.Kind.SKIPPED)) {
            passDuration.put(kind, Timer.builder("ichiba.admission.pass.duration")
                    .description("Duration of one admission pass: over the whole queue (full), over the claims the "
                            + "changes since concern (partial), or skipped as nothing changed (skipped)")
                    .tag("kind", kind.name().toLowerCase(java.util.Locale.ROOT)).register(registry));
        }
        this.grants = Counter.builder("ichiba.grants").description("Claims granted").register(registry);
        this.leaseExpiries = Counter.builder("ichiba.lease.expiries")
                .description("Grants ended because their lease was not renewed").register(registry);
        this.auditDrift = Counter.builder("ichiba.audit.drift")
                .description("Drift entries found by audits (recorded holdings that differ from the live grants)")
                .register(registry);
        this.explains = Counter.builder("ichiba.claim.explains")
                .description("Explanations of claims asked (GET /v1/claims/{id}/explain), counted by the member that "
                        + "answered: sum over members").register(registry);
        HINT_MODES.forEach(this::hintsCounter);
        for (String limit : TenantLimits.NAMES) {
            limitRefusals.put(limit, Counter.builder("ichiba.tenant.limit.refusals").tag("limit", limit)
                    .description("Requests refused because their tenant was at this limit (429 TENANT_LIMIT)")
                    .register(registry));
        }
    }

    private Counter hintsCounter(String mode) {
        return hints.computeIfAbsent(mode, m -> Counter.builder("ichiba.placement.hints").tag("mode", m)
                .description("Placement hints answered, by mode (stage, plan), counted by the member that answered: "
                        + "sum over members").register(registry));
    }

    /** A request refused because its tenant is at one of its limits (one of {@link TenantLimits#NAMES}). */
    public void tenantLimitRefused(String limit) {
        limitRefusals.get(TenantLimits.NAMES.contains(limit) ? limit : TenantLimits.NAMES.get(0)).increment();
    }

    /** Counts a placement hint answered in {@code mode} ({@code stage} or {@code plan}). */
    public void hinted(String mode) {
        hintsCounter(HINT_MODES.contains(mode) ? mode : "stage").increment();
    }

    /** Counts an explanation of a claim answered. */
    public void explained() {
        explains.increment();
    }

    /** Records a grant and its latency from submission. */
    public void granted(Claim c, long latencyMillis) {
        grants.increment();
        grantLatency.record(Duration.ofMillis(Math.max(0, latencyMillis)));
    }

    /** Records the duration of an admission pass of {@code kind} (full, partial or skipped; others are not kept). */
    public void pass(Admission.Pass.Kind kind, long nanos) {
        Timer t = passDuration.get(kind);
        if (t != null) {
            t.record(Duration.ofNanos(nanos));
        }
    }

    /** Counts a lease that ended unrenewed. */
    public void leaseExpired() {
        leaseExpiries.increment();
    }

    /** Records an audit. */
    public void audited(Auditor.Report report) {
        auditDrift.increment(report.drift().size());
        auditDriftNow.set(report.drift().size());
    }

    /** Counts claims and jobs by state, from their indexes, and the queue's oldest wait. */
    public void refresh() {
        Map<ClaimState, Long> byState = new EnumMap<>(ClaimState.class);
        long now = ledger.clock().millis();
        // counted from the claims' index by state, not by reading every claim (ended ones are kept for the retention)
        for (ClaimState s : ClaimState.values()) {
            byState.put(s, (long) ledger.store().claims().count(new ClaimFilters.ClaimIn(EnumSet.of(s))));
        }
        long oldest = 0;
        for (Claim c : ledger.store().claims().values(new ClaimFilters.ClaimIn(EnumSet.of(ClaimState.QUEUED)))) {
            oldest = Math.max(oldest, now - c.createdAt());
        }
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        byState.forEach((s, n) -> rows.add(MultiGauge.Row.of(Tags.of("state", s.name()), n)));
        claims.register(rows, true);
        Map<JobState, Long> jobsByState = new EnumMap<>(JobState.class);
        for (JobState s : JobState.values()) {
            jobsByState.put(s, 0L);
        }
        // counts, not records: on a member that does not run the engine only the numbers cross the network
        jobsByState.replaceAll((s, n) -> (long) ledger.store().jobs().count(new JobFilters.JobsOf(null, s)));
        List<MultiGauge.Row<?>> jobRows = new ArrayList<>();
        jobsByState.forEach((s, n) -> jobRows.add(MultiGauge.Row.of(Tags.of("state", s.name()), n)));
        jobs.register(jobRows, true);
        queueDepth.set(byState.getOrDefault(ClaimState.QUEUED, 0L));
        oldestWaitMillis.set(oldest);
    }
}
