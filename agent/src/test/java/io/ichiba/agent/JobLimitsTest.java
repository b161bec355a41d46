package io.ichiba.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * How a job is held to its memory, against a cgroup file system made of plain files (this machine's kernel has
 * cgroup v1; the files the agent writes are checked, not the kernel's enforcement) and the real prlimit.
 */
class JobLimitsTest {
    @TempDir
    Path dir;

    private Path cgroupV2(String controllers) throws IOException {
        Path fs = Files.createDirectories(dir.resolve("cgroup"));
        Files.writeString(fs.resolve("cgroup.controllers"), controllers);
        Path own = Files.createDirectories(fs.resolve("system.slice/ichiba-agent.service"));
        Files.writeString(own.resolve("cgroup.subtree_control"), "");
        Files.writeString(dir.resolve("self-cgroup"), "0::/system.slice/ichiba-agent.service\n");
        return fs;
    }

    @Test
    void whereItsCgroupIsWritableTheAgentMovesToALeafAndEachJobGetsMemoryMax() throws Exception {
        Path fs = cgroupV2("cpu io memory pids");
        JobLimits limits = new JobLimits(JobLimits.Mode.AUTO, fs, dir.resolve("self-cgroup"), dir.resolve("none"));
        Path own = fs.resolve("system.slice/ichiba-agent.service");
        assertThat(limits.describe()).contains("cgroup v2").contains(own.toString());

        JobLimits.Applied a = limits.apply("j1", 512L);
        Path cg = own.resolve("ichiba-job-j1");
        assertThat(Files.readString(cg.resolve("memory.max"))).isEqualTo(String.valueOf(512L << 20));
        assertThat(Files.readString(own.resolve("cgroup.subtree_control"))).isEqualTo("+memory");
        assertThat(Files.readString(own.resolve("ichiba-agent/cgroup.procs")))
                .isEqualTo(String.valueOf(ProcessHandle.current().pid()));
        assertThat(a.said()).isEqualTo("memory 512 MiB: cgroup v2 memory.max");
        assertThat(a.cgroup()).isEqualTo(cg);
        assertThat(a.wrap(List.of("run", "it"))).containsExactly("sh", "-c", "echo 0 > \"$0\" && exec \"$@\"",
                cg.resolve("cgroup.procs").toString(), "run", "it");
    }

    @Test
    void withoutCgroupV2ItIsPrlimitOrNothingAndCgroupModeRefuses() throws Exception {
        Path fs = cgroupV2("cpu io pids"); // no memory controller
        Path prlimit = Files.createFile(dir.resolve("prlimit"));
        prlimit.toFile().setExecutable(true);
        JobLimits auto = new JobLimits(JobLimits.Mode.AUTO, fs, dir.resolve("self-cgroup"), prlimit);
        JobLimits.Applied a = auto.apply("j2", 100L);
        assertThat(a.wrap(List.of("x"))).containsExactly("prlimit", "--as=" + (100L << 20), "--", "x");
        assertThat(a.said()).isEqualTo("memory 100 MiB: address space (prlimit --as)");
        assertThat(auto.apply("j3", null).said()).isEqualTo("none: no memory asked");
        assertThat(auto.apply("j3", null).wrap(List.of("x"))).containsExactly("x");

        JobLimits nothing = new JobLimits(JobLimits.Mode.AUTO, fs, dir.resolve("self-cgroup"), dir.resolve("none"));
        assertThat(nothing.apply("j4", 100L).said()).startsWith("none: the machine allows none");
        JobLimits cgroupOnly = new JobLimits(JobLimits.Mode.CGROUP, fs, dir.resolve("self-cgroup"), prlimit);
        assertThatThrownBy(() -> cgroupOnly.apply("j5", 100L)).isInstanceOf(IOException.class)
                .hasMessageContaining("cgroup v2");
        JobLimits off = new JobLimits(JobLimits.Mode.OFF, fs, dir.resolve("self-cgroup"), prlimit);
        assertThat(off.apply("j6", 100L).said()).isEqualTo("none: --memory-limit off");
        assertThat(JobLimits.Mode.of(" Prlimit ")).isEqualTo(JobLimits.Mode.PRLIMIT);
    }
}
