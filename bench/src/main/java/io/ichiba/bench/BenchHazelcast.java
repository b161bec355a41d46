package io.ichiba.bench;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.ichiba.ledger.hazelcast.HazelcastEngine;

import java.util.UUID;

/**
 * Embedded Hazelcast members for benchmarks: loopback only, no multicast or auto-detection, no phone-home, a
 * cluster of their own, ports from {@link #BASE_PORT} (away from the default 5701 that tests and brokers use),
 * and the ledger's maps configured by {@link HazelcastEngine#configure}.
 */
public final class BenchHazelcast {
    /** The first port a benchmark member tries. */
    public static final int BASE_PORT = 25_701;

    private BenchHazelcast() {
    }

    /** Starts one member of a new single-member cluster named for {@code owner}. */
    public static HazelcastInstance startOne(Class<?> owner) {
        return start("ichiba-bench-" + owner.getSimpleName() + "-" + UUID.randomUUID());
    }

    /** Starts {@code n} members of a new cluster named for {@code owner}, in this process. */
    public static java.util.List<HazelcastInstance> startCluster(Class<?> owner, int n) {
        String name = "ichiba-bench-" + owner.getSimpleName() + "-" + UUID.randomUUID();
        java.util.List<HazelcastInstance> members = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            members.add(start(name));
        }
        return members;
    }

    private static HazelcastInstance start(String clusterName) {
        Config config = new Config();
        config.setClusterName(clusterName);
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        config.setProperty("hazelcast.socket.bind.any", "false");
        config.setProperty("hazelcast.wait.seconds.before.join", "0");
        NetworkConfig net = config.getNetworkConfig();
        net.setPort(BASE_PORT).setPortAutoIncrement(true).setPortCount(100);
        net.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig join = net.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).addMember("127.0.0.1");
        return Hazelcast.newHazelcastInstance(HazelcastEngine.configure(config));
    }
}
