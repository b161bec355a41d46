package io.ichiba.broker.admission;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import io.ichiba.broker.BrokerMetrics;
import io.ichiba.ledger.Admission;
import io.ichiba.ledger.Claim;
import io.ichiba.ledger.ClaimState;
import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.Result;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The single writer of grants: runs {@link Admission} passes on the member that owns the partition of a fixed
 * key, and moves with that partition when members come and go.
 *
 * <p>Every member runs this loop, but only the owner of {@link #KEY}'s partition makes passes. A pass runs on
 * a nudge (a new claim, an ended claim, a report, a new lock: every member hears those changes) and on a
 * periodic tick (aging, ownership changes). When the loop arrives on a member it first undoes every grant
 * attempt the previous owner left half done.
 */
public final class AdmissionLoop implements AutoCloseable {
    /** The key whose partition owner runs the loop: the engine's, so that a pass is a command on its own member. */
    public static final String KEY = io.ichiba.ledger.hazelcast.HazelcastJournal.ENGINE_KEY;
    private static final Logger LOG = LoggerFactory.getLogger(AdmissionLoop.class);

    private final HazelcastInstance hz;
    private final Ledger ledger;
    private final Admission admission;
    private final BrokerMetrics metrics;
    private final long tickMillis;
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "ichiba-admission");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean pending = new AtomicBoolean();
    private final java.util.function.BooleanSupplier engineHere;
    private volatile boolean owner;

    /**
     * Creates the loop; {@link #start} begins it. {@code engineHere} tells whether the engine runs on this member:
     * the loop makes passes only there, each pass one command (its grants are journaled together or not at all).
     */
    public AdmissionLoop(HazelcastInstance hz, Ledger ledger, BrokerMetrics metrics, long tickMillis,
                         java.util.function.BooleanSupplier engineHere) {
        this.engineHere = engineHere;
        this.hz = hz;
        this.ledger = ledger;
        this.admission = new Admission(ledger);
        this.metrics = metrics;
        this.tickMillis = tickMillis;
    }

    /** Starts ticking and listening for changes that may let a queued claim in. */
    public void start() {
        ledger.store().claims().listen(c -> {
            if ((c.state() == ClaimState.QUEUED && !c.considered()) || (c.state().isFinal() && c.returned())) {
                nudge();
            }
        });
        ledger.store().nodes().listen(n -> nudge());
        ledger.store().locks().listen(l -> nudge());
        ledger.store().tenants().listen(t -> nudge());
        executor.scheduleWithFixedDelay(this::tick, 0, tickMillis, TimeUnit.MILLISECONDS);
    }

    /** Asks for a pass soon; many nudges before the pass starts make one pass. */
    public void nudge() {
        if (pending.compareAndSet(false, true)) {
            try {
                executor.execute(this::tick);
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                pending.set(false);
            }
        }
    }

    /**
     * The intake of new claims: on the engine's member, a submission and its admission ({@link Admission#admit}: a
     * pass when no other claim is queued, the claim alone when nothing changed since the last pass) run as one
     * command, so that a claim that fits is granted by its own request however long the queue; elsewhere the
     * submission alone.
     */
    public Intake intake() {
        return new Intake() {
            @Override
            public Result<Claim> submit(Supplier<Result<Claim>> submit) {
                if (!engineHere.getAsBoolean() || !ownsKey()) {
                    return submit.get();
                }
                return ledger.store().atomically(() -> admitted(submit));
            }

            @Override
            public java.util.concurrent.CompletableFuture<Result<Claim>> submitLocal(Supplier<Result<Claim>> submit) {
                return engineHere.getAsBoolean() && ownsKey() ? ledger.store().submitLocal(() -> admitted(submit))
                        : null;
            }
        };
    }

    /** On the engine thread: the submission, then its admission; answers the claim as it is after both. */
    private Result<Claim> admitted(Supplier<Result<Claim>> submit) {
        Result<Claim> submitted = submit.get();
        if (!submitted.ok() || submitted.value().state() != ClaimState.QUEUED) {
            return submitted;
        }
        Admission.Pass pass = admission.admit(submitted.value().id());
        long now = ledger.clock().millis();
        for (Claim c : pass.granted()) {
            metrics.granted(c, now - c.createdAt());
        }
        Claim after = ledger.claim(submitted.value().id());
        return Result.ok(after == null ? submitted.value() : after);
    }

    /** Whether the loop runs on this member now. */
    public boolean owner() {
        return owner;
    }

    private boolean ownsKey() {
        Member m = hz.getPartitionService().getPartition(KEY).getOwner();
        return m != null && m.localMember();
    }

    private void tick() {
        pending.set(false);
        try {
            if (!hz.getLifecycleService().isRunning() || !ownsKey() || !engineHere.getAsBoolean()) {
                if (owner) {
                    LOG.info("admission loop left this member");
                }
                owner = false;
                return;
            }
            if (!owner) {
                ledger.accounts().openSystemAccounts(); // idempotent; a member that started alone could not
                owner = true;
                int undone = admission.recover(true);
                LOG.info("admission loop runs on this member now; undid {} abandoned grant attempt(s)", undone);
            }
            long t0 = System.nanoTime();
            Admission.Pass pass = ledger.store().atomically(admission::pass);
            long now = ledger.clock().millis();
            for (Claim c : pass.granted()) {
                metrics.granted(c, now - c.createdAt());
            }
            if (pass.considered() > 0) {
                metrics.pass(System.nanoTime() - t0);
            }
        } catch (HazelcastInstanceNotActiveException e) {
            owner = false;
        } catch (RuntimeException e) {
            LOG.warn("admission pass failed, will retry: {}", e.toString());
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
