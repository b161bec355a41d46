package io.ichiba.broker.engine;

import io.ichiba.ledger.jdbc.DurableJournal;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The journal's durable step ({@code ichiba_journal_*}): each batch's database write (latency histogram, records per
 * batch), the snapshots (duration, size, age, batch), and the database's failures by step ({@code write},
 * {@code snapshot}, {@code takeover}: bounded).
 */
public final class JournalMeters implements DurableJournal.Listener {
    private final Timer write;
    private final DistributionSummary records;
    private final Timer snapshot;
    private final MeterRegistry registry;
    private final java.util.Map<String, Counter> failures = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile long snapshotSeq;
    private volatile long snapshotBytes;
    private volatile long snapshotAtMillis = System.currentTimeMillis();

    /** Registers the meters; {@code where} names the database ({@code embedded} or {@code postgresql}). */
    public JournalMeters(MeterRegistry registry, String where) {
        this.registry = registry;
        this.write = Timer.builder("ichiba.journal.batch.write")
                .description("Time to write one journaled batch to the database (a transaction: its fsync), before any "
                        + "caller is answered").tag("database", where).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(10_000)).maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
        this.records = DistributionSummary.builder("ichiba.journal.batch.records")
                .description("Records per batch written to the database (the group each commit carries)")
                .publishPercentileHistogram().minimumExpectedValue(1.0).maximumExpectedValue(100_000.0)
                .register(registry);
        this.snapshot = Timer.builder("ichiba.journal.snapshot")
                .description("Time to write a snapshot of the whole state (on its own thread)").register(registry);
        Gauge.builder("ichiba.journal.snapshot.seq", () -> snapshotSeq)
                .description("The batch of the newest snapshot written by this member (0: none yet)").register(registry);
        Gauge.builder("ichiba.journal.snapshot.bytes", () -> snapshotBytes)
                .description("The size of the newest snapshot written by this member").register(registry);
        Gauge.builder("ichiba.journal.snapshot.age", () -> (System.currentTimeMillis() - snapshotAtMillis) / 1000.0)
                .description("Seconds since this member last wrote a snapshot (or started)").baseUnit("seconds")
                .register(registry);
        for (String step : new String[] {"write", "snapshot", "takeover"}) {
            failures.put(step, Counter.builder("ichiba.journal.database.errors").tag("step", step)
                    .description("Times the database failed the journal (the engine stops and is taken over again "
                            + "once the database answers: requests get 503 meanwhile)").register(registry));
        }
    }

    @Override
    public void written(int changes, long nanos) {
        write.record(nanos, TimeUnit.NANOSECONDS);
        records.record(changes);
    }

    @Override
    public void snapshotted(long seq, int bytes, long nanos) {
        snapshot.record(nanos, TimeUnit.NANOSECONDS);
        snapshotSeq = seq;
        snapshotBytes = bytes;
        snapshotAtMillis = System.currentTimeMillis();
    }

    @Override
    public void failed(String what) {
        Counter c = failures.get(what);
        if (c != null) {
            c.increment();
        }
    }
}
