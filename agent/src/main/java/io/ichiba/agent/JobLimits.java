package io.ichiba.agent;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Holds a job's process to the memory its bundle asked for, by what the machine allows (issue 14):
 *
 * <ul>
 *   <li><b>cgroup v2</b> where the agent may write its own cgroup (a unified hierarchy, delegated to it, e.g.
 *       systemd's {@code Delegate=yes}): at the first job the agent moves itself into a leaf
 *       {@code <its cgroup>/ichiba-agent} and enables the memory controller for its children; each job gets
 *       {@code <its cgroup>/ichiba-job-<id>} with {@code memory.max} the bundle's memory, and the job's command starts
 *       through a shell that moves itself there before it {@code exec}s it (no moment outside). The directory is
 *       removed once the job ended.</li>
 *   <li>else <b>{@code prlimit --as}</b> (util-linux): the process's address space (RLIMIT_AS) is the bundle's memory.
 *       That bounds virtual memory, not what is resident: a program that reserves more than it uses (a JVM, whose
 *       heap, code cache and metaspace are reserved at start) needs a bundle that covers its reservations.</li>
 *   <li>else, or with {@code --memory-limit off}, or for a bundle without memory: none.</li>
 * </ul>
 *
 * What was applied is said in the job's record ({@code limits}, sent with {@code POST /v1/jobs/{id}/start}) and in the
 * runner's log.
 */
public final class JobLimits {
    private static final Logger LOG = LoggerFactory.getLogger(JobLimits.class);
    private static final long MIB = 1L << 20;

    /** How the runner holds jobs to their memory. */
    public enum Mode {
        /** cgroup v2 where writable, else prlimit, else none. */
        AUTO,
        /** cgroup v2 only (a job fails to start if it cannot be made). */
        CGROUP,
        /** prlimit only. */
        PRLIMIT,
        /** none. */
        OFF;

        /** The mode of a flag's value: auto, cgroup, prlimit, off. */
        public static Mode of(String s) {
            return valueOf(s.strip().toUpperCase(Locale.ROOT));
        }
    }

    /**
     * A job's limit: what goes before its command (the user's wrapper included), what the job's record says of it,
     * and its cgroup to remove once it ended (or null).
     */
    record Applied(List<String> prefix, String said, Path cgroup) {
        /** {@code command} run under the limit. */
        List<String> wrap(List<String> command) {
            List<String> out = new ArrayList<>(prefix);
            out.addAll(command);
            return out;
        }
    }

    private final Mode mode;
    private final Path cgroupFs;
    private final Path ownCgroup;
    private final boolean prlimit;
    private boolean delegated;

    /**
     * Limits of {@code mode}, with cgroup v2 mounted at {@code cgroupFs}, the agent's own cgroup read from
     * {@code procSelfCgroup}, and {@code prlimit} at {@code prlimitBinary}.
     */
    JobLimits(Mode mode, Path cgroupFs, Path procSelfCgroup, Path prlimitBinary) {
        this.mode = mode;
        this.cgroupFs = cgroupFs;
        this.ownCgroup = mode == Mode.OFF || mode == Mode.PRLIMIT ? null : ownCgroup(cgroupFs, procSelfCgroup);
        this.prlimit = Files.isExecutable(prlimitBinary);
    }

    /** The machine's: {@code /sys/fs/cgroup}, {@code /proc/self/cgroup}, {@code /usr/bin/prlimit}. */
    static JobLimits of(Mode mode) {
        return new JobLimits(mode, Path.of("/sys/fs/cgroup"), Path.of("/proc/self/cgroup"), Path.of("/usr/bin/prlimit"));
    }

    /**
     * The agent's cgroup directory if the unified hierarchy is mounted at {@code fs}, has the memory controller, and
     * the agent may write the directory; else {@code null}.
     */
    static Path ownCgroup(Path fs, Path procSelfCgroup) {
        try {
            if (!Files.isReadable(fs.resolve("cgroup.controllers"))
                    || !Files.readString(fs.resolve("cgroup.controllers")).contains("memory")) {
                return null;
            }
            for (String line : Files.readAllLines(procSelfCgroup)) {
                if (line.startsWith("0::")) {
                    Path dir = fs.resolve(line.substring(3).replaceFirst("^/", "")).normalize();
                    return dir.startsWith(fs) && Files.isWritable(dir) && Files.isWritable(dir.resolve(
                            "cgroup.subtree_control")) ? dir : null;
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("no cgroup v2 for jobs: {}", e.toString());
        }
        return null;
    }

    /** What this runner can apply, for its start-up line: {@code cgroup v2 at …}, {@code prlimit}, {@code none}. */
    String describe() {
        if (mode == Mode.OFF) {
            return "none (--memory-limit off)";
        }
        if (ownCgroup != null) {
            return "cgroup v2 memory.max under " + ownCgroup;
        }
        return mode != Mode.CGROUP && prlimit ? "prlimit --as (RLIMIT_AS)" : "none (no writable cgroup v2, no prlimit)";
    }

    /**
     * The limit of {@code memoryMib} (the bundle's memory; {@code null} or 0: none) for {@code job}, its cgroup made.
     *
     * @throws IOException if the job's cgroup cannot be made (with {@link Mode#CGROUP}, the job must not start)
     */
    synchronized Applied apply(String job, Long memoryMib) throws IOException {
        if (mode == Mode.OFF || memoryMib == null || memoryMib <= 0) {
            return new Applied(List.of(), mode == Mode.OFF ? "none: --memory-limit off" : "none: no memory asked",
                    null);
        }
        long bytes = memoryMib * MIB;
        if (ownCgroup != null) {
            try {
                Path cg = jobCgroup(job, bytes);
                return new Applied(List.of("sh", "-c", "echo 0 > \"$0\" && exec \"$@\"",
                        cg.resolve("cgroup.procs").toString()), "memory " + memoryMib + " MiB: cgroup v2 memory.max",
                        cg);
            } catch (IOException e) {
                if (mode == Mode.CGROUP) {
                    throw new IOException("cannot make the job's cgroup: " + e.getMessage(), e);
                }
                LOG.warn("job={} cgroup v2 limit not set ({}); falling back", job, e.toString());
            }
        }
        if (mode != Mode.CGROUP && prlimit) {
            return new Applied(List.of("prlimit", "--as=" + bytes, "--"), "memory " + memoryMib
                    + " MiB: address space (prlimit --as)", null);
        }
        if (mode == Mode.CGROUP) {
            throw new IOException("no writable cgroup v2 with the memory controller for the job");
        }
        return new Applied(List.of(), "none: the machine allows none (no writable cgroup v2, no prlimit)", null);
    }

    /** Makes the job's cgroup with its {@code memory.max}, first delegating the agent's own cgroup if not done. */
    private Path jobCgroup(String job, long bytes) throws IOException {
        if (!delegated) {
            // no process may stay in a cgroup whose children have controllers: the agent moves to a leaf first
            Path leaf = ownCgroup.resolve("ichiba-agent");
            Files.createDirectories(leaf);
            Files.writeString(leaf.resolve("cgroup.procs"), String.valueOf(ProcessHandle.current().pid()),
                    StandardCharsets.US_ASCII);
            Files.writeString(ownCgroup.resolve("cgroup.subtree_control"), "+memory", StandardCharsets.US_ASCII);
            delegated = true;
        }
        Path cg = ownCgroup.resolve("ichiba-job-" + job);
        Files.createDirectories(cg);
        Files.writeString(cg.resolve("memory.max"), String.valueOf(bytes), StandardCharsets.US_ASCII);
        return cg;
    }

    /** Removes a job's cgroup once its processes are gone (an error only logged: an empty cgroup costs little). */
    static void release(Path cgroup) {
        if (cgroup == null) {
            return;
        }
        try {
            Files.deleteIfExists(cgroup);
        } catch (IOException e) {
            LOG.warn("job cgroup {} not removed: {}", cgroup, e.toString());
        }
    }
}
