package io.ichiba.ledger.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import io.ichiba.ledger.engine.EngineListener;
import io.ichiba.ledger.engine.EngineStore;

import java.time.Duration;

/**
 * Wires the engine's store over a Hazelcast member: the {@link HazelcastJournal}, the event log in a ring buffer,
 * the {@link HazelcastRemote} to the engine on another member, and the {@link EngineRole} that starts the engine on
 * the owner of its partition. The store, once made, is found by calls forwarded from other members in the member's
 * user context; closing it stops the role and the engine.
 */
public final class HazelcastEngine {
    private HazelcastEngine() {
    }

    /** Prefix of every map and ring buffer the ledger uses. */
    public static final String PREFIX = "ichiba.";
    /** How long a request's first answer is kept for retries with the same idempotency key. */
    public static final int IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
    /** The event log's ring buffer: how many events it keeps at most. */
    public static final int EVENTS_CAPACITY = 100_000;
    /** The event log's ring buffer: how long it keeps an event. */
    public static final int EVENTS_TTL_SECONDS = 3600;

    /**
     * Adds the ledger's configuration to {@code config}: its maps (the journal's head and the state maps) with one
     * synchronous backup in OBJECT format, operations that fail rather than return when their backup or member is
     * gone, Kryo for what the engine writes, the remote's executor, and the event log's ring buffer.
     */
    public static com.hazelcast.config.Config configure(com.hazelcast.config.Config config) {
        com.hazelcast.config.MapConfig all = new com.hazelcast.config.MapConfig(PREFIX + "*")
                .setBackupCount(1)
                .setAsyncBackupCount(0)
                .setReadBackupData(false)
                .setInMemoryFormat(com.hazelcast.config.InMemoryFormat.OBJECT);
        config.addMapConfig(all);
        // An operation whose backup did not answer, or whose member left, throws instead of returning as if done:
        // the journal settles such an append by reading its head (DEPENDENCIES.md).
        config.setProperty("hazelcast.operation.fail.on.indeterminate.state", "true");
        KryoSerializer.register(config); // journal appends, state written behind, its events: Kryo, not Java
        // what is still read by Java serialization (records of the state maps, a few calls' answers): allowed classes
        config.getSerializationConfig().setJavaSerializationFilterConfig(SerialAllowList.hazelcastFilter());
        config.getExecutorConfig(HazelcastRemote.EXECUTOR).setPoolSize(64);
        config.addRingBufferConfig(new com.hazelcast.config.RingbufferConfig(PREFIX + "events")
                .setCapacity(EVENTS_CAPACITY).setTimeToLiveSeconds(EVENTS_TTL_SECONDS).setBackupCount(1)
                .setAsyncBackupCount(0).setInMemoryFormat(com.hazelcast.config.InMemoryFormat.BINARY));
        return config;
    }

    /** How long a call waits for an engine that is moving before it fails (503 at the HTTP edge). */
    public static final Duration PATIENCE = Duration.ofSeconds(30);
    /** How often the role is checked besides on every cluster change. */
    public static final long ROLE_TICK_MILLIS = 100;

    /** The split-brain protection of the journal and the state maps. */
    public static final String PROTECTION = "ichiba-majority";
    /**
     * How recently a member must have been heard from to count toward the majority: well above the heartbeat (1 s),
     * since a loaded 2-core machine delayed heartbeats past 4 s in the tests, and below failure detection (15 s), so
     * that a member paused until it was removed counts nobody when it wakes.
     */
    public static final long PROTECTION_TOLERANCE_MILLIS = 10_000;

    /**
     * Adds split-brain protection to {@code config} (after {@link #configure}): the journal (read and write) and the state maps (write) work
     * only while at least {@code minClusterSize} members have been heard from within
     * {@link #PROTECTION_TOLERANCE_MILLIS}, so a member paused past failure detection refuses at once when it wakes,
     * instead of trusting its stale member list. Heartbeats go every second, so that a live member always counts.
     * With a minimum of 1 nothing is added. Hazelcast counts the members only from the first heartbeats on: until
     * then (about a second after start) the protected maps refuse, and the engine's takeover is tried again.
     */
    public static com.hazelcast.config.Config protect(com.hazelcast.config.Config config, int minClusterSize) {
        return protect(config, minClusterSize, minClusterSize);
    }

    /**
     * How many synchronous backups the ledger's structures need so that any {@code minClusterSize} of {@code members}
     * still hold a copy of every record: more copies than members that may be gone while the rest still write
     * ({@code members - minClusterSize}), at least one, at most Hazelcast's six. One backup on three members; two on
     * five (with one, a majority of three could lose the journal's head with the two members that held it, and start
     * from nothing).
     */
    public static int backupsFor(int members, int minClusterSize) {
        return Math.max(1, Math.min(6, members - minClusterSize));
    }

    /**
     * As {@link #protect(com.hazelcast.config.Config, int)} for a cluster of {@code members} configured members: also
     * gives the ledger's maps and event log {@link #backupsFor} synchronous backups.
     */
    public static com.hazelcast.config.Config protect(com.hazelcast.config.Config config, int minClusterSize,
                                                      int members) {
        int backups = backupsFor(members, minClusterSize);
        config.getMapConfig(PREFIX + "*").setBackupCount(backups);
        config.getRingbufferConfig(PREFIX + "events").setBackupCount(backups);
        if (minClusterSize <= 1) {
            return config; // one member is enough: nothing to protect (and no window before the first heartbeat)
        }
        config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        config.addSplitBrainProtectionConfig(com.hazelcast.config.SplitBrainProtectionConfig
                .newRecentlyActiveSplitBrainProtectionConfigBuilder(PROTECTION, Math.max(1, minClusterSize),
                        (int) PROTECTION_TOLERANCE_MILLIS)
.enabled(true).build());
        config.addSplitBrainProtectionConfig(com.hazelcast.config.SplitBrainProtectionConfig
                .newRecentlyActiveSplitBrainProtectionConfigBuilder(PROTECTION + "-writes", Math.max(1, minClusterSize),
                        (int) PROTECTION_TOLERANCE_MILLIS)
.enabled(true).build());
        config.getSplitBrainProtectionConfig(PROTECTION + "-writes")
                .setProtectOn(com.hazelcast.splitbrainprotection.SplitBrainProtectionOn.WRITE);
        com.hazelcast.config.MapConfig base = config.getMapConfig(PREFIX + "*");
        config.addMapConfig(new com.hazelcast.config.MapConfig(base).setName(HazelcastJournal.MAP)
                .setSplitBrainProtectionName(PROTECTION));
        config.addMapConfig(new com.hazelcast.config.MapConfig(base).setName(HazelcastJournal.STATE_PREFIX + "*")
                .setSplitBrainProtectionName(PROTECTION + "-writes"));
        return config;
    }

    /** Makes the engine's store over {@code hz}, with no observer. */
    public static EngineStore store(HazelcastInstance hz) {
        return store(hz, EngineListener.NONE);
    }

    /** Makes the engine's store over {@code hz}; {@code listener} hears of its batches and takeovers. */
    public static EngineStore store(HazelcastInstance hz, EngineListener listener) {
        return store(hz, listener, j -> j);
    }

    /** As {@link #store(HazelcastInstance, EngineListener)}, the journal wrapped by {@code wrap} (tests' faults). */
    public static EngineStore store(HazelcastInstance hz, EngineListener listener,
                                    java.util.function.UnaryOperator<io.ichiba.ledger.journal.Journal> wrap) {
        io.ichiba.ledger.journal.Journal journal = wrap.apply(new HazelcastJournal(hz));
        HazelcastRemote remote = new HazelcastRemote(hz);
        EngineStore store = new EngineStore(journal, new RingbufferEventLog(hz.getRingbuffer(
                PREFIX + "events"), hz.getMap(RingbufferEventLog.BASE_MAP)), remote, listener, PATIENCE);
        hz.getUserContext().put(EngineStore.CONTEXT_KEY, store);
        EngineRole role = new EngineRole(hz, store.engine(), remote).start(ROLE_TICK_MILLIS);
        store.closeAlso(role);
        store.closeAlso(() -> {
            if (hz.getLifecycleService().isRunning()) {
                hz.getUserContext().remove(EngineStore.CONTEXT_KEY, store);
            }
        });
        return store;
    }
}
