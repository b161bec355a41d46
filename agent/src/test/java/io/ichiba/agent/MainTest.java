package io.ichiba.agent;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

class MainTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private final AtomicReference<AgentConfig> started = new AtomicReference<>();

    private int run(Map<String, String> env, String... args) {
        return Main.run(args, env, new PrintWriter(out, true), new PrintWriter(err, true), c -> {
            started.set(c);
            return 0;
        });
    }

    @Test
    void startsTheAgentWithTheSettings() {
        int code = run(Map.of("ICHIBA_AGENT_TOKEN", "t"), "--broker", "http://127.0.0.1:8080", "--node", "n1");

        assertThat(code).isZero();
        assertThat(started.get().node()).isEqualTo("n1");
        assertThat(started.get().token()).isEqualTo("t");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void aMissingValueIsAUsageErrorWithTheUsage() {
        int code = run(Map.of(), "--node", "n1");

        assertThat(code).isEqualTo(Main.USAGE);
        assertThat(started.get()).isNull();
        assertThat(err.toString())
                .startsWith("ichiba-agent: missing --broker (or ICHIBA_BROKER), --token (or ICHIBA_AGENT_TOKEN)")
                .contains("Usage: ichiba-agent").contains("--interval-seconds=N");
    }

    @Test
    void severalWrongValuesAreOneLineEach() {
        int code = run(Map.of(), "--broker", "x", "--node", "n1", "--token", "t", "--reserve-mib", "-1");

        assertThat(code).isEqualTo(Main.USAGE);
        assertThat(err.toString()).contains("ichiba-agent: --broker (or ICHIBA_BROKER) must be")
                .contains("\nichiba-agent: --reserve-mib (or ICHIBA_MEMORY_RESERVE_MIB) must be");
    }

    @Test
    void helpPrintsTheUsageWithTheVariablesAndStartsNothing() {
        int code = run(Map.of(), "--help");

        assertThat(code).isZero();
        assertThat(started.get()).isNull();
        assertThat(out.toString()).contains("Usage: ichiba-agent").contains("ICHIBA_BROKER")
                .contains("ICHIBA_AGENT_TOKEN").contains("ICHIBA_MOUNTS").contains("ICHIBA_REPORT_INTERVAL_SECONDS")
                .contains("ICHIBA_MEMORY_RESERVE_MIB").contains("--runner").contains("ICHIBA_WORK_DIR")
                .contains("ICHIBA_DISK_RESERVE_MIB").contains("ICHIBA_KILL_GRACE_SECONDS");
    }

    @Test
    void helpShowsNoSecretFromTheEnvironment() {
        run(Map.of("ICHIBA_AGENT_TOKEN", "ich_secret"), "--help");

        assertThat(out.toString()).doesNotContain("ich_secret");
    }
}
