package io.ichiba.ledger.hazelcast;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.DistributedObject;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.ichiba.ledger.engine.EngineStore;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.awaitility.Awaitility.await;

/**
 * Embedded Hazelcast members for tests: loopback only, no multicast, no auto-detection, no phone-home, a
 * cluster name of their own (so that no other test run on the machine joins them), and the ledger's maps
 * configured by {@link HazelcastEngine#configure}.
 */
public final class EmbeddedHazelcast {
    private EmbeddedHazelcast() {
    }

    /** A cluster name unique to {@code owner} and to this run. */
    public static String clusterName(Class<?> owner) {
        return "ichiba-" + owner.getSimpleName() + "-" + UUID.randomUUID();
    }

    /** The configuration of a member of {@code cluster} that starts at {@code port} and joins {@code members}. */
    public static Config config(String cluster, int port, String... members) {
        Config config = new Config();
        config.setClusterName(cluster);
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.wait.seconds.before.join", "0");
        config.setProperty("hazelcast.tcp.join.port.try.count", "5");
        config.setProperty("hazelcast.graceful.shutdown.max.wait", "10");
        NetworkConfig net = config.getNetworkConfig();
        net.setPort(port).setPortAutoIncrement(true).setPortCount(100);
        net.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig join = net.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).addMember("127.0.0.1");
        for (String m : members) {
            join.getTcpIpConfig().addMember(m);
        }
        return HazelcastEngine.configure(config);
    }

    /** Starts one member of a new cluster named for {@code owner}. */
    public static HazelcastInstance startOne(Class<?> owner, int port) {
        return Hazelcast.newHazelcastInstance(config(clusterName(owner), port));
    }

    /** Starts {@code n} members of one new cluster in this JVM and waits (bounded) until they all see each other. */
    public static List<HazelcastInstance> startCluster(Class<?> owner, int port, int n) {
        return startCluster(owner, port, n, c -> c);
    }

    /** As {@link #startCluster(Class, int, int)}, each member's configuration changed by {@code change}. */
    public static List<HazelcastInstance> startCluster(Class<?> owner, int port, int n,
                                                      java.util.function.UnaryOperator<Config> change) {
        String cluster = clusterName(owner);
        List<HazelcastInstance> members = new ArrayList<>();
        HazelcastInstance first = Hazelcast.newHazelcastInstance(change.apply(config(cluster, port)));
        members.add(first);
        String firstAddress = "127.0.0.1:" + first.getCluster().getLocalMember().getAddress().getPort();
        for (int i = 1; i < n; i++) {
            members.add(Hazelcast.newHazelcastInstance(change.apply(config(cluster, port + i, firstAddress))));
        }
        await().atMost(Duration.ofSeconds(60))
                .until(() -> members.stream().allMatch(m -> m.getCluster().getMembers().size() == n));
        await().atMost(Duration.ofSeconds(60))
                .until(() -> members.stream().allMatch(m -> m.getPartitionService().isClusterSafe()));
        return members;
    }

    /** Destroys every map of the ledger (listeners included) and its event log, so that the next test starts empty. */
    public static void destroyLedgerMaps(HazelcastInstance hz) {
        for (DistributedObject o : hz.getDistributedObjects()) {
            if ((o instanceof IMap<?, ?> || o instanceof com.hazelcast.ringbuffer.Ringbuffer<?>)
                    && o.getName().startsWith(HazelcastEngine.PREFIX)) {
                o.destroy();
            }
        }
    }

    /**
     * The engine's stores over {@code members}, one each, over emptied maps, once the engine runs on one of them (its
     * partition's owner); the others send their calls there. Close them when done.
     */
    public static List<EngineStore> engineStores(List<HazelcastInstance> members) {
        members.forEach(EmbeddedHazelcast::destroyLedgerMaps);
        List<EngineStore> stores = members.stream().map(HazelcastEngine::store).toList();
        await().atMost(Duration.ofSeconds(30)).until(() -> stores.stream().filter(s -> s.engine().active()).count() == 1);
        return stores;
    }

    /** Stops the members (without waiting for migrations: the data is thrown away). */
    public static void stop(List<HazelcastInstance> members) {
        for (HazelcastInstance m : members) {
            m.getLifecycleService().terminate();
        }
    }
}
