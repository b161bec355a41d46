package io.ichiba.agent;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AgentConfigTest {
    private static final Map<String, String> NO_ENV = Map.of();

    @Test
    void readsEveryFlag() {
        AgentConfig c = AgentConfig.parse(new String[] {"--broker", "http://broker:8080", "--node", "node-1",
                "--token", "ich_abc", "--mount", "/data", "--mount", "/scratch,/tmp", "--interval-seconds", "5",
                "--reserve-mib", "1024", "--meminfo", "/tmp/meminfo", "--runner", "--disk-reserve-mib", "2048",
                "--work-dir", "/var/lib/ichiba", "--kill-grace-seconds", "3"}, NO_ENV);

        assertThat(c.broker()).isEqualTo(URI.create("http://broker:8080"));
        assertThat(c.node()).isEqualTo("node-1");
        assertThat(c.token()).isEqualTo("ich_abc");
        assertThat(c.mounts()).containsExactly(Path.of("/data"), Path.of("/scratch"), Path.of("/tmp"));
        assertThat(c.interval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.reserveMib()).isEqualTo(1024);
        assertThat(c.meminfo()).isEqualTo(Path.of("/tmp/meminfo"));
        assertThat(c.runner()).isTrue();
        assertThat(c.diskReserveMib()).isEqualTo(2048);
        assertThat(c.workDir()).isEqualTo(Path.of("/var/lib/ichiba"));
        assertThat(c.killGrace()).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void aCaCertificateToTrustIsAReadableFileFromTheFlagOrTheEnvironment(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path ca = java.nio.file.Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
        String[] base = {"--broker", "https://b:8443", "--node", "n", "--token", "t"};
        assertThat(AgentConfig.parse(base, NO_ENV).caCert()).isNull();
        assertThat(AgentConfig.parse(base, Map.of("ICHIBA_CA_CERT", ca.toString())).caCert()).isEqualTo(ca);
        String[] flag = {"--broker", "https://b:8443", "--node", "n", "--token", "t", "--ca-cert", ca.toString()};
        assertThat(AgentConfig.parse(flag, NO_ENV).caCert()).isEqualTo(ca);
        String[] missing = {"--broker", "https://b:8443", "--node", "n", "--token", "t", "--ca-cert",
                dir.resolve("nope.pem").toString()};
        assertThatThrownBy(() -> AgentConfig.parse(missing, NO_ENV)).isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("--ca-cert");
    }

    @Test
    void runAsNamesTheJobsUserAndNeedsTheRunner() {
        String[] base = {"--broker", "http://b", "--node", "n", "--token", "t"};
        assertThat(AgentConfig.parse(base, NO_ENV).users()).isEqualTo(JobUsers.SAME);
        AgentConfig c = AgentConfig.parse(new String[] {"--broker", "http://b", "--node", "n", "--token", "t",
                "--runner", "--run-as", "jobs"}, NO_ENV);
        assertThat(c.users().userFor("any-tenant")).isEqualTo("jobs");
        assertThat(AgentConfig.parse(new String[] {"--broker", "http://b", "--node", "n", "--token", "t", "--runner"},
                Map.of("ICHIBA_RUN_AS", "jobs")).users().userFor("x")).isEqualTo("jobs");
        assertThatThrownBy(() -> AgentConfig.parse(new String[] {"--broker", "http://b", "--node", "n", "--token", "t",
                "--run-as", "jobs"}, NO_ENV)).isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("--runner");
        assertThatThrownBy(() -> AgentConfig.parse(new String[] {"--broker", "http://b", "--node", "n", "--token", "t",
                "--runner", "--run-as", "Not A User"}, NO_ENV)).isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("not a user name");
    }

    @Test
    void defaultsFillWhatIsNotGiven() {
        AgentConfig c = AgentConfig.parse(new String[] {"--broker", "http://b", "--node", "n", "--token", "t"},
                NO_ENV);

        assertThat(c.mounts()).containsExactly(Path.of("").toAbsolutePath());
        assertThat(c.interval()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.reserveMib()).isEqualTo(512);
        assertThat(c.meminfo()).isEqualTo(Path.of("/proc/meminfo"));
        assertThat(c.runner()).isFalse();
        assertThat(c.diskReserveMib()).isZero();
        assertThat(c.workDir()).isEqualTo(Path.of("ichiba-work").toAbsolutePath());
        assertThat(c.killGrace()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void readsEveryEnvironmentVariable() {
        AgentConfig c = AgentConfig.parse(new String[0], Map.ofEntries(
                Map.entry("ICHIBA_BROKER", "https://broker.example:8443/ichiba"),
                Map.entry("ICHIBA_NODE", "node-7"),
                Map.entry("ICHIBA_AGENT_TOKEN", "ich_env"),
                Map.entry("ICHIBA_MOUNTS", "/data, /scratch"),
                Map.entry("ICHIBA_REPORT_INTERVAL_SECONDS", "10"),
                Map.entry("ICHIBA_MEMORY_RESERVE_MIB", "0"),
                Map.entry("ICHIBA_MEMINFO", "/x/meminfo"),
                Map.entry("ICHIBA_RUNNER", "true"),
                Map.entry("ICHIBA_DISK_RESERVE_MIB", "100"),
                Map.entry("ICHIBA_WORK_DIR", "/srv/jobs"),
                Map.entry("ICHIBA_KILL_GRACE_SECONDS", "0")));

        assertThat(c.broker()).isEqualTo(URI.create("https://broker.example:8443/ichiba"));
        assertThat(c.node()).isEqualTo("node-7");
        assertThat(c.token()).isEqualTo("ich_env");
        assertThat(c.mounts()).containsExactly(Path.of("/data"), Path.of("/scratch"));
        assertThat(c.interval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.reserveMib()).isZero();
        assertThat(c.meminfo()).isEqualTo(Path.of("/x/meminfo"));
        assertThat(c.runner()).isTrue();
        assertThat(c.diskReserveMib()).isEqualTo(100);
        assertThat(c.workDir()).isEqualTo(Path.of("/srv/jobs"));
        assertThat(c.killGrace()).isZero();
    }

    @Test
    void aFlagWinsOverItsVariable() {
        Map<String, String> env = Map.of("ICHIBA_BROKER", "http://env-broker", "ICHIBA_NODE", "env-node",
                "ICHIBA_AGENT_TOKEN", "env-token", "ICHIBA_MOUNTS", "/env1,/env2",
                "ICHIBA_REPORT_INTERVAL_SECONDS", "10", "ICHIBA_MEMORY_RESERVE_MIB", "2048", "ICHIBA_RUNNER", "true");

        AgentConfig c = AgentConfig.parse(new String[] {"--node", "flag-node", "--mount", "/flag",
                "--interval-seconds", "1", "--runner=false"}, env);

        assertThat(c.node()).isEqualTo("flag-node");
        assertThat(c.mounts()).containsExactly(Path.of("/flag"));
        assertThat(c.interval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.runner()).isFalse();
        assertThat(c.broker()).isEqualTo(URI.create("http://env-broker"));
        assertThat(c.token()).isEqualTo("env-token");
        assertThat(c.reserveMib()).isEqualTo(2048);
    }

    @Test
    void blankVariablesCountAsUnset() {
        AgentConfig c = AgentConfig.parse(new String[] {"--broker", "http://b", "--node", "n", "--token", "t"},
                Map.of("ICHIBA_MOUNTS", " ", "ICHIBA_REPORT_INTERVAL_SECONDS", ""));

        assertThat(c.interval()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.mounts()).hasSize(1);
    }

    @Test
    void missingRequiredValuesAreNamedWithTheirVariables() {
        assertThatThrownBy(() -> AgentConfig.parse(new String[] {"--node", "n"}, NO_ENV))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessage("missing --broker (or ICHIBA_BROKER), --token (or ICHIBA_AGENT_TOKEN)");
    }

    @Test
    void wrongValuesAreEachExplained() {
        assertThatThrownBy(() -> AgentConfig.parse(new String[] {"--broker", "broker:8080", "--node", "bad node!",
                "--token", "t", "--interval-seconds", "0", "--kill-grace-seconds", "-1"},
                Map.of("ICHIBA_MEMORY_RESERVE_MIB", "lots", "ICHIBA_DISK_RESERVE_MIB", "-5")))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("--broker (or ICHIBA_BROKER) must be an http:// or https:// URL with a host")
                .hasMessageContaining("--node (or ICHIBA_NODE) must be 1-63 letters")
                .hasMessageContaining("--interval-seconds (or ICHIBA_REPORT_INTERVAL_SECONDS) must be a whole number "
                        + "from 1 to 86400, was '0'")
                .hasMessageContaining("--reserve-mib (or ICHIBA_MEMORY_RESERVE_MIB) must be a whole number from 0")
                .hasMessageContaining("was 'lots'")
                .hasMessageContaining("--disk-reserve-mib (or ICHIBA_DISK_RESERVE_MIB) must be a whole number from 0")
                .hasMessageContaining("--kill-grace-seconds (or ICHIBA_KILL_GRACE_SECONDS) must be a whole number "
                        + "from 0 to 3600, was '-1'");
    }

    @Test
    void anUnknownFlagIsAUsageError() {
        assertThatThrownBy(() -> AgentConfig.parse(new String[] {"--brokr", "http://b"}, NO_ENV))
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--brokr");
    }

    @Test
    void theTokenNeverShowsInTheSettingsText() {
        AgentConfig c = AgentConfig.parse(new String[] {"--broker", "http://b", "--node", "n", "--token",
                "ich_secret"}, NO_ENV);

        assertThat(c.toString()).doesNotContain("ich_secret").contains("token=***").contains("node=n");
    }

    @Test
    void mountsAreMadeAbsoluteAndRepeatsDropped() {
        AgentConfig c = AgentConfig.parse(new String[] {"--broker", "http://b", "--node", "n", "--token", "t",
                "--mount", "rel/dir", "--mount", "/data/", "--mount", "/data"}, NO_ENV);

        assertThat(c.mounts()).containsExactly(Path.of("rel/dir").toAbsolutePath(), Path.of("/data"));
        assertThat(List.copyOf(c.mounts())).allMatch(Path::isAbsolute);
    }
}
