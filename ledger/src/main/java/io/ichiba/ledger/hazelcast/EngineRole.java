package io.ichiba.ledger.hazelcast;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import io.ichiba.ledger.engine.Engine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Decides where the engine runs: on the member that owns the partition of {@link HazelcastJournal#ENGINE_KEY}.
 * Checks on every membership or migration change and on a short tick; starts this member's engine when the
 * partition arrives (the engine takes the journal over) and stops it when the partition leaves.
 */
public final class EngineRole implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EngineRole.class);

    private final HazelcastInstance hz;
    private final Engine engine;
    private final HazelcastRemote remote;
    private final AtomicBoolean starting = new AtomicBoolean();
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "ichiba-engine-role");
        t.setDaemon(true);
        return t;
    });

    /** Creates the role watcher; {@link #start} begins it. {@code remote} tells whether a majority is reachable. */
    public EngineRole(HazelcastInstance hz, Engine engine, HazelcastRemote remote) {
        this.hz = hz;
        this.engine = engine;
        this.remote = remote;
    }

    /** Starts checking, every {@code tickMillis} and on every change of the cluster. */
    public EngineRole start(long tickMillis) {
        hz.getCluster().addMembershipListener(new com.hazelcast.cluster.MembershipListener() {
            @Override
            public void memberAdded(com.hazelcast.cluster.MembershipEvent e) {
                nudge();
            }

            @Override
            public void memberRemoved(com.hazelcast.cluster.MembershipEvent e) {
                nudge();
            }
        });
        hz.getPartitionService().addMigrationListener(new com.hazelcast.partition.MigrationListener() {
            @Override
            public void migrationStarted(com.hazelcast.partition.MigrationState s) {
            }

            @Override
            public void migrationFinished(com.hazelcast.partition.MigrationState s) {
                nudge();
            }

            @Override
            public void replicaMigrationCompleted(com.hazelcast.partition.ReplicaMigrationEvent e) {
            }

            @Override
            public void replicaMigrationFailed(com.hazelcast.partition.ReplicaMigrationEvent e) {
            }
        });
        ticker.scheduleWithFixedDelay(this::check, 0, tickMillis, TimeUnit.MILLISECONDS);
        return this;
    }

    /** Whether this member owns the engine's partition now. */
    public boolean owner() {
        try {
            Member m = hz.getPartitionService().getPartition(HazelcastJournal.ENGINE_KEY).getOwner();
            return m != null && m.localMember() && hz.getLifecycleService().isRunning();
        } catch (HazelcastInstanceNotActiveException e) {
            return false;
        }
    }

    private void nudge() {
        try {
            ticker.execute(this::check);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // closing
        }
    }

    private void check() {
        try {
            boolean owner = owner();
            if (owner && !engine.active() && remote.quorum() && starting.compareAndSet(false, true)) {
                LOG.info("this member owns the engine's partition: taking the journal over");
                engine.activate().whenComplete((v, e) -> {
                    starting.set(false);
                    if (e != null) {
                        failedToTakeOver(e.toString());
                    } else {
                        lastFailure = null;
                    }
                });
            } else if (!owner && engine.active()) {
                LOG.info("the engine's partition left this member: stopping the engine here");
                engine.deactivate();
            }
        } catch (RuntimeException e) {
            LOG.warn("engine role check failed: {}", e.toString());
        }
    }

    /**
     * The last failure to take over, and how many times in a row it came: the same failure is logged once, then every
     * {@link #LOG_EVERY} times (about once a minute at the role's tick).
     */
    private volatile String lastFailure;
    private volatile int repeated;
    private static final int LOG_EVERY = 600;

    private void failedToTakeOver(String why) {
        boolean again = why.equals(lastFailure);
        repeated = again ? repeated + 1 : 0;
        lastFailure = why;
        if (!again || repeated % LOG_EVERY == 0) {
            LOG.warn("taking the journal over failed{}, will retry: {}", again ? " (" + repeated + " times)" : "", why);
        } else {
            LOG.debug("taking the journal over failed again: {}", why);
        }
    }

    @Override
    public void close() {
        ticker.shutdownNow();
    }
}
