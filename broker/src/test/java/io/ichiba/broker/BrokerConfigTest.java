package io.ichiba.broker;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BrokerConfigTest {

    @Test
    void defaultsMakeOneEmbeddedMemberOnPort8080WithAGeneratedOperatorToken() throws Exception {
        BrokerConfig c = BrokerConfig.load(new String[0], Map.of());
        assertThat(c.httpPort()).isEqualTo(8080);
        assertThat(c.hzPort()).isEqualTo(5701);
        assertThat(c.hzMembers()).isEmpty();
        assertThat(c.operatorTokenGiven()).isFalse();
        assertThat(c.operatorToken()).startsWith("ich_").hasSizeGreaterThan(40);
        assertThat(BrokerConfig.load(new String[0], Map.of()).operatorToken()).isNotEqualTo(c.operatorToken());
        assertThat(c.ledger().nodeGraceMillis()).as("a node silent this long is lost").isEqualTo(15_000);
    }

    @Test
    void membersJoinOnlyOverTcpTheMembersListedNeverByMulticast() throws Exception {
        BrokerConfig c = BrokerConfig.load(new String[0], Map.of("ICHIBA_HZ_MEMBERS", "127.0.0.1:5701,127.0.0.1:5702",
                "ICHIBA_HZ_PORT", "5702", "ICHIBA_HZ_CLUSTER", "blue-cluster-secret-1234"));
        com.hazelcast.config.Config hz = Broker.hazelcastConfig(c);
        com.hazelcast.config.JoinConfig join = hz.getAdvancedNetworkConfig().getJoin();
        assertThat(hz.getAdvancedNetworkConfig().isEnabled()).isTrue();
        assertThat(join.getMulticastConfig().isEnabled()).isFalse();
        assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
        assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
        assertThat(join.getTcpIpConfig().getMembers()).containsExactly("127.0.0.1:5701", "127.0.0.1:5702");
        com.hazelcast.config.ServerSocketEndpointConfig member = (com.hazelcast.config.ServerSocketEndpointConfig)
                hz.getAdvancedNetworkConfig().getEndpointConfigs().get(com.hazelcast.instance.EndpointQualifier.MEMBER);
        assertThat(member.getPort()).isEqualTo(5702);
        assertThat(member.isPortAutoIncrement()).as("the port asked for, or none").isFalse();
        assertThat(member.getInterfaces().getInterfaces()).containsExactly("127.0.0.1");
        assertThat(hz.getAdvancedNetworkConfig().getEndpointConfigs()).as("members only: no client endpoint")
                .containsOnlyKeys(com.hazelcast.instance.EndpointQualifier.MEMBER);
        assertThat(hz.getSerializationConfig().getJavaSerializationFilterConfig().getWhitelist().getPrefixes())
                .contains("io.ichiba.");
        assertThat(hz.getClusterName()).isEqualTo("blue-cluster-secret-1234");
        assertThat(hz.getProperty("hazelcast.phone.home.enabled")).isEqualTo("false");
    }

    @Test
    void securitySettingsComeFromTheEnvironmentAndBadOnesAreSaidAtStart() throws Exception {
        BrokerConfig.Security s = BrokerConfig.load(new String[0], Map.of("ICHIBA_WEBHOOK_ALLOW", "10.0.0.0/8, ::1",
                "ICHIBA_HTTP_RATE_LIMIT", "50", "ICHIBA_PUBLIC_METRICS", "false")).security();
        assertThat(s.webhookAllow()).containsExactly("10.0.0.0/8", "::1");
        assertThat(s.rateLimit()).isEqualTo(50);
        assertThat(s.rateBurst()).isEqualTo(100);
        assertThat(s.publicMetrics()).isFalse();
        assertThat(BrokerConfig.load(new String[0], Map.of()).security()).isEqualTo(BrokerConfig.Security.defaults());
        assertThat(BrokerConfig.load(new String[0], Map.of()).httpHost()).isEqualTo("127.0.0.1");
        assertThatThrownBy(() -> BrokerConfig.load(new String[0], Map.of("ICHIBA_WEBHOOK_ALLOW", "intranet")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ICHIBA_WEBHOOK_ALLOW");
        assertThatThrownBy(() -> BrokerConfig.load(new String[0], Map.of("ICHIBA_PUBLIC_METRICS", "nope")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("true or false");
        assertThatThrownBy(() -> BrokerConfig.load(new String[0], Map.of("ICHIBA_TLS_CERT", "/etc/hostname")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("both");
        assertThatThrownBy(() -> BrokerConfig.load(new String[0], Map.of("ICHIBA_HTTP_RATE_LIMIT", "-1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0 or more");
    }

    @Test
    void anOperatorTokenShorterThan32CharactersIsRefusedAtStart() throws Exception {
        assertThatThrownBy(() -> BrokerConfig.load(new String[0], Map.of("ICHIBA_OPERATOR_TOKEN", "secret")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("32 characters");
        assertThat(BrokerConfig.load(new String[0], Map.of("ICHIBA_OPERATOR_TOKEN", "x".repeat(32))).operatorToken())
                .hasSize(32);
    }

    @Test
    void theClusterNameIsASecretRequiredWithMembersAndRandomWhenAlone() throws Exception {
        assertThatThrownBy(() -> BrokerConfig.load(new String[0], Map.of("ICHIBA_HZ_MEMBERS", "127.0.0.1:5701")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ICHIBA_HZ_CLUSTER");
        for (String weak : new String[] {"ichiba", "blue", "fifteen-chars-x"}) {
            assertThatThrownBy(() -> BrokerConfig.load(new String[0], Map.of("ICHIBA_HZ_MEMBERS", "127.0.0.1:5701",
                    "ICHIBA_HZ_CLUSTER", weak))).as(weak).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("16 characters");
        }
        String alone = BrokerConfig.load(new String[0], Map.of()).clusterName();
        assertThat(alone).startsWith("ichiba-").hasSizeGreaterThan(40)
                .isNotEqualTo(BrokerConfig.load(new String[0], Map.of()).clusterName());
        assertThat(BrokerConfig.load(new String[0], Map.of("ICHIBA_HZ_CLUSTER", "mine")).clusterName())
                .as("alone, any name given").isEqualTo("mine");
    }

    @Test
    void environmentOverridesTheFileWhichOverridesTheDefaults(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("ichiba.properties");
        Files.writeString(file, "http.port=9000\nhz.port=6000\nadmission.aging.millis=5000\n");
        BrokerConfig c = BrokerConfig.load(new String[] {"--config", file.toString()},
                Map.of("ICHIBA_HTTP_PORT", "9100", "ICHIBA_HZ_MEMBERS", "10.0.0.1:5701, 10.0.0.2:5701",
                        "ICHIBA_HZ_CLUSTER", "a-cluster-name-of-our-own",
                        "ICHIBA_OPERATOR_TOKEN", "a-secret-of-thirty-two-characters-x"));
        assertThat(c.httpPort()).isEqualTo(9100);
        assertThat(c.hzPort()).isEqualTo(6000);
        assertThat(c.hzMembers()).isEqualTo(List.of("10.0.0.1:5701", "10.0.0.2:5701"));
        assertThat(c.operatorToken()).isEqualTo("a-secret-of-thirty-two-characters-x");
        assertThat(c.ledger().agingMillisPerPriority()).isEqualTo(5000);
    }

    @Test
    void aMalformedNumberIsAClearError() {
        assertThatThrownBy(() -> BrokerConfig.load(new String[0], Map.of("ICHIBA_HTTP_PORT", "eighty")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("http.port");
    }

    @Test
    void tenantLimitsComeFromTheEnvironmentWithNoneForNoLimit() throws Exception {
        BrokerConfig d = BrokerConfig.load(new String[0], Map.of());
        assertThat(d.ledger().limits()).isEqualTo(io.ichiba.ledger.tenant.TenantLimits.defaults());
        BrokerConfig c = BrokerConfig.load(new String[0], Map.of("ICHIBA_TENANT_LIMIT_QUEUED_CLAIMS", "50",
                "ICHIBA_TENANT_LIMIT_OPEN_ORDERS", "none", "ICHIBA_TENANT_LIMIT_RESERVATIONS", "0"));
        assertThat(c.ledger().limits().queuedClaims()).isEqualTo(50);
        assertThat(c.ledger().limits().openOrders()).isEqualTo(Long.MAX_VALUE);
        assertThat(c.ledger().limits().reservations()).isZero();
        assertThat(c.ledger().limits().liveClaims()).isEqualTo(io.ichiba.ledger.tenant.TenantLimits.defaults().liveClaims());
        assertThatThrownBy(() -> BrokerConfig.load(new String[0], Map.of("ICHIBA_TENANT_LIMIT_OPEN_JOBS", "-1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tenant.limit.open.jobs");
    }

    @Test
    void theJournalIsKeptInTheDataDirectoryAloneInPostgreSqlByUrlAndNowhereInAClusterWithoutOne() throws Exception {
        BrokerConfig alone = BrokerConfig.load(new String[0], Map.of());
        assertThat(alone.durability().embedded()).isTrue();
        assertThat(alone.durability().dataDir()).isEqualTo("ichiba-data");
        assertThat(BrokerConfig.load(new String[0], Map.of("ICHIBA_DATA_DIR", "none")).durability().embedded())
                .isFalse();
        BrokerConfig cluster = BrokerConfig.load(new String[0], Map.of("ICHIBA_HZ_MEMBERS", "127.0.0.1:5701",
                "ICHIBA_HZ_CLUSTER", "a-secret-of-sixteen-characters"));
        assertThat(cluster.durability().embedded()).as("one file per member would hold part of the history").isFalse();
        assertThat(cluster.durability().remote()).isFalse();
        BrokerConfig pg = BrokerConfig.load(new String[0], Map.of("ICHIBA_DB_URL",
                "jdbc:postgresql://db:5432/ichiba?password=hunter2", "ICHIBA_DB_USER", "ichiba", "ICHIBA_DB_PASSWORD",
                "s3cret", "ICHIBA_SNAPSHOT_BATCHES", "1000"));
        assertThat(pg.durability().remote()).isTrue();
        assertThat(pg.durability().snapshotBatches()).isEqualTo(1000);
        assertThat(pg.durability().toString()).doesNotContain("s3cret").doesNotContain("hunter2");
        assertThatThrownBy(() -> BrokerConfig.load(new String[0], Map.of("ICHIBA_DB_URL",
                "jdbc:mysql://db/ichiba?password=hunter2"))).hasMessageContaining("PostgreSQL")
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> BrokerConfig.load(new String[0], Map.of("ICHIBA_SNAPSHOT_SECONDS", "0")))
                .hasMessageContaining("snapshot");
    }
}
