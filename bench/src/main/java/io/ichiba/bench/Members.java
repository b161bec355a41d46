package io.ichiba.bench;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.ichiba.ledger.hazelcast.HazelcastStore;

import java.util.UUID;

/** Embedded Hazelcast members for in-process benchmarks: loopback only, a cluster name of their own. */
public final class Members {
    private Members() {
    }

    /** Starts one member of a new cluster, at the first free port from {@code port}, with the ledger's maps. */
    public static HazelcastInstance startOne(int port) {
        Config config = new Config();
        config.setClusterName("ichiba-bench-" + UUID.randomUUID());
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.wait.seconds.before.join", "0");
        NetworkConfig net = config.getNetworkConfig();
        net.setPort(port).setPortAutoIncrement(true).setPortCount(100);
        net.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig join = net.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).addMember("127.0.0.1");
        return Hazelcast.newHazelcastInstance(HazelcastStore.configure(config));
    }
}
