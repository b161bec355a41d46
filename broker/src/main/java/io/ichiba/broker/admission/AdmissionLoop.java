package io.ichiba.broker.admission;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import io.ichiba.broker.BrokerMetrics;
import io.ichiba.ledger.Admission;
import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer of grants: runs {@link Admission} passes where the engine runs, and moves with it.
 *
 * <p>A pass is a timer of the ledger's store ({@link io.ichiba.ledger.store.Store#every}): on the engine, the engine
 * runs it on its own thread, by its clock, as a command of the batch it falls in, and only while the engine runs on
 * this member. It runs every tick (aging) and at once on a nudge (a new claim, an ended claim, a report, a new lock,
 * heard by the engine's member from its engine). When the loop arrives on a member (or the engine takes over again) it
 * first opens the system accounts.
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
    private final java.util.function.BooleanSupplier engineHere;
    private final java.util.function.LongSupplier epoch;
    private volatile io.ichiba.ledger.store.Timer timer;
    private volatile boolean owner;
    /** The engine's epoch when the loop last arrived here. */
    private long ownedEpoch = -1;

    /**
     * Creates the loop; {@link #start} begins it. {@code engineHere} tells whether the engine runs on this member:
     * the loop makes passes only there, each pass one command (its grants are journaled together or not at all);
     * {@code epoch} is its epoch (a takeover: the loop arrives again).
     */
    public AdmissionLoop(HazelcastInstance hz, Ledger ledger, BrokerMetrics metrics, long tickMillis,
                         java.util.function.BooleanSupplier engineHere, java.util.function.LongSupplier epoch) {
        this.engineHere = engineHere;
        this.epoch = epoch;
        this.hz = hz;
        this.ledger = ledger;
        this.admission = new Admission(ledger);
        this.metrics = metrics;
        this.tickMillis = tickMillis;
    }

    /**
     * Starts ticking and listening for changes that may let a queued claim in. A pass runs only where the engine runs,
     * and that member hears every change from its engine: the loop listens there only ({@code listenLocal}), so that
     * the state maps written behind carry no event of a node, a lock or a tenant that no member needs.
     */
    public void start() {
        ledger.admitOnIntake(this::admitAtIntake);
        ledger.store().claims().listenLocal(c -> {
            if ((c.state() == ClaimState.QUEUED && !c.considered()) || (c.state().isFinal() && c.returned())) {
                nudge();
            }
        });
        ledger.store().nodes().listenLocal(n -> nudge());
        ledger.store().locks().listenLocal(l -> nudge());
        ledger.store().tenants().listenLocal(t -> nudge());
        timer = ledger.store().every("admission", java.time.Duration.ofMillis(tickMillis), this::tick);
        timer.wake();
    }

    /** Asks for a pass soon; many nudges before the pass starts make one pass. */
    public void nudge() {
        io.ichiba.ledger.store.Timer t = timer;
        if (t != null) {
            t.wake();
        }
    }

    /**
     * A new claim's admission, run by the ledger right after its submission, in the same operation
     * ({@link Ledger#admitOnIntake}): on the member that runs the admission loop (the engine's), {@link Admission#admit}
     * (a pass when no other claim is queued, the claim alone when nothing changed since the last pass), so that a
     * claim that fits is granted by its own request however long the queue, whichever member received it.
     */
    private Claim admitAtIntake(Claim queued) {
        if (!engineHere.getAsBoolean() || !ownsKey()) {
            return queued;
        }
        Admission.Pass pass = admission.admit(queued.id());
        long now = ledger.clock().millis();
        for (Claim c : pass.granted()) {
            metrics.claims().granted(c, now - c.createdAt());
        }
        Claim after = ledger.claim(queued.id());
        return after == null ? queued : after;
    }

    /** Whether the loop runs on this member now. */
    public boolean owner() {
        return owner && engineHere.getAsBoolean();
    }

    private boolean ownsKey() {
        Member m = hz.getPartitionService().getPartition(KEY).getOwner();
        return m != null && m.localMember();
    }

    private void tick() {
        try {
            if (!hz.getLifecycleService().isRunning() || !ownsKey() || !engineHere.getAsBoolean()) {
                if (owner) {
                    LOG.info("admission loop left this member");
                }
                owner = false;
                return;
            }
            long at = epoch.getAsLong();
            if (!owner || at != ownedEpoch) {
                ledger.accounts().openSystemAccounts(); // idempotent; a member that started alone could not
                owner = true;
                ownedEpoch = at;
                LOG.info("admission loop runs on this member now (epoch {})", at);
            }
            long t0 = System.nanoTime();
            Admission.Pass pass = ledger.store().atomically(admission::pass);
            long now = ledger.clock().millis();
            for (Claim c : pass.granted()) {
                metrics.claims().granted(c, now - c.createdAt());
            }
            metrics.claims().pass(pass.kind(), System.nanoTime() - t0);
        } catch (HazelcastInstanceNotActiveException e) {
            owner = false;
        } catch (io.ichiba.ledger.store.Timer.Deferred e) {
            throw e; // the timer run reached the engine's bound: it goes on in the next batch
        } catch (RuntimeException e) {
            LOG.warn("admission pass failed, will retry: {}", e.toString());
        }
    }

    @Override
    public void close() {
        io.ichiba.ledger.store.Timer t = timer;
        if (t != null) {
            t.close();
        }
    }
}
