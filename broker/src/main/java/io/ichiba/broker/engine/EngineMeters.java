package io.ichiba.broker.engine;

import io.ichiba.ledger.engine.Engine;
import io.ichiba.ledger.engine.EngineListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The engine's meters ({@code ichiba_engine_*}): commands and records per batch, the batch's append latency, the
 * inbox depth, the epoch, whether the engine runs here, takeovers and stops, the timers' runs and failures.
 */
public final class EngineMeters implements EngineListener {
    private final MeterRegistry registry;
    private final DistributionSummary batchCommands;
    private final DistributionSummary batchRecords;
    private final Timer append;
    private final Counter takeovers;
    private final Counter stops;
    private final Counter operationsRun;
    private final Counter operationsAnsweredAgain;
    /** By timer name: a handful of constants ({@code leases}, {@code market}, ...), so the labels stay bounded. */
    private final java.util.Map<String, Timer> timerRuns = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Map<String, Counter> timerFailures = new java.util.concurrent.ConcurrentHashMap<>();

    /** Told of each event the engine published (the broker's event meters). */
    private volatile java.util.function.Consumer<io.ichiba.ledger.event.Event> onEvent = e -> { };

    /** Tells {@code onEvent} of each event the engine publishes from now on. */
    public void onEvents(java.util.function.Consumer<io.ichiba.ledger.event.Event> onEvent) {
        this.onEvent = onEvent;
    }

    @Override
    public void published(java.util.List<Object> events) {
        java.util.function.Consumer<io.ichiba.ledger.event.Event> tell = onEvent;
        for (Object e : events) {
            tell.accept((io.ichiba.ledger.event.Event) e);
        }
    }

    /** Registers the meters that need no engine. */
    public EngineMeters(MeterRegistry registry) {
        this.registry = registry;
        this.batchCommands = DistributionSummary.builder("ichiba.engine.batch.commands")
                .description("Commands per journaled batch").publishPercentileHistogram()
                .minimumExpectedValue(1.0).maximumExpectedValue((double) Engine.MAX_BATCH).register(registry);
        this.batchRecords = DistributionSummary.builder("ichiba.engine.batch.records")
                .description("Records changed per journaled batch").publishPercentileHistogram()
                .minimumExpectedValue(1.0).maximumExpectedValue(100_000.0).register(registry);
        this.append = Timer.builder("ichiba.engine.append")
                .description("Time to journal one batch (the replicated append), before any caller is answered")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(10_000))
                .maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
        this.takeovers = Counter.builder("ichiba.engine.takeovers")
                .description("Times the engine took the journal over on this member").register(registry);
        this.stops = Counter.builder("ichiba.engine.stops")
                .description("Times the engine stopped on this member (moved, fenced, or the journal failed)")
                .register(registry);
        this.operationsRun = Counter.builder("ichiba.engine.operations.served").tag("outcome", "run")
                .description("Operations sent from other members and served here: run, or answered again from the "
                        + "journal (sent twice: their first answer was lost with a member)").register(registry);
        this.operationsAnsweredAgain = Counter.builder("ichiba.engine.operations.served")
                .tag("outcome", "answered_again").register(registry);
    }

    /** Registers the gauges that read {@code engine}. */
    public void bind(Engine engine) {
        Gauge.builder("ichiba.engine.active", engine, e -> e.active() ? 1 : 0)
                .description("1 when the engine runs on this member").register(registry);
        Gauge.builder("ichiba.engine.ledger.lost", engine, e -> e.journalLost() == null ? 0 : 1)
                .description("1 when this member found part of the ledger lost (more members gone at once than its "
                        + "maps have copies): no engine starts until an operator restarts the cluster")
                .register(registry);
        Gauge.builder("ichiba.engine.epoch", engine, Engine::epoch)
                .description("The engine's epoch on this member (0: never ran here)").register(registry);
        Gauge.builder("ichiba.engine.inbox.depth", engine, Engine::inboxDepth)
                .description("Commands waiting for the engine's next batch").register(registry);
        Gauge.builder("ichiba.engine.clock.lag.seconds", engine, e -> e.clock().lagMillis() / 1000.0)
                .description("The engine's time less this member's clock: negative after a takeover by a member "
                        + "whose clock is ahead of the journaled time (it closes at 1 % of elapsed time)")
                .register(registry);
    }

    @Override
    public void journaled(int commands, int records, long appendNanos) {
        batchCommands.record(commands);
        batchRecords.record(records);
        append.record(appendNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void tookOver(long epoch) {
        takeovers.increment();
    }

    @Override
    public void stopped(String why) {
        stops.increment();
    }

    @Override
    public void operationServed(boolean again) {
        (again ? operationsAnsweredAgain : operationsRun).increment();
    }

    @Override
    public void timerRan(String name, long nanos, boolean ok) {
        timerRuns.computeIfAbsent(name, n -> Timer.builder("ichiba.engine.timer")
                .description("Runs of the engine's timers (lease expiry, node loss, market, purges, spot prices) on "
                        + "its thread, and the time each took, within the batch it fell in")
                .tag("timer", n).register(registry)).record(nanos, TimeUnit.NANOSECONDS);
        if (!ok) {
            timerFailures.computeIfAbsent(name, n -> Counter.builder("ichiba.engine.timer.failures")
                    .description("Runs of the engine's timers that threw (they run again at their next period)")
                    .tag("timer", n).register(registry)).increment();
        }
    }
}
