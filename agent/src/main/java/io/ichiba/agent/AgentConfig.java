package io.ichiba.agent;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

import java.net.URI;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The agent's settings, from command-line flags over environment variables over defaults.
 *
 * <pre>
 *   flag                    variable                          default
 *   --broker URL            ICHIBA_BROKER                     (required)
 *   --node NAME             ICHIBA_NODE                       (required)
 *   --token TOKEN           ICHIBA_AGENT_TOKEN                (required)
 *   --mount PATH …          ICHIBA_MOUNTS (comma-separated)   the working directory
 *   --interval-seconds N    ICHIBA_REPORT_INTERVAL_SECONDS    3
 *   --reserve-mib N         ICHIBA_MEMORY_RESERVE_MIB         512
 *   --disk-reserve-mib N    ICHIBA_DISK_RESERVE_MIB           0
 *   --meminfo PATH          ICHIBA_MEMINFO                    /proc/meminfo
 *   --runner                ICHIBA_RUNNER (true/false)        false
 *   --work-dir PATH         ICHIBA_WORK_DIR                   ichiba-work (in the working directory)
 *   --kill-grace-seconds N  ICHIBA_KILL_GRACE_SECONDS         10
 *   --ca-cert PATH          ICHIBA_CA_CERT                    (the JDK's authorities)
 *   --run-as USER           ICHIBA_RUN_AS                     (the agent's own user)
 *   --run-as-map PATH       ICHIBA_RUN_AS_MAP                 (none)
 *   --memory-limit MODE     ICHIBA_MEMORY_LIMIT               auto (cgroup v2, else prlimit; or cgroup, prlimit, off)
 * </pre>
 *
 * @param broker         the broker's base URL
 * @param node           this node's name, as the agent's token was issued for it
 * @param token          the agent's bearer token (never printed)
 * @param mounts         the paths whose file stores make up the disk pool
 * @param interval       the time between two reports
 * @param reserveMib     MiB of memory kept out of the pool for the system
 * @param diskReserveMib MiB of disk kept out of the pool (subtracted from the mounts' total)
 * @param meminfo        where memory is read from
 * @param runner         whether the agent also runs the jobs granted on its node
 * @param workDir        the runner's directory: one sub-directory per job with its log and state file
 * @param killGrace      how long a job's processes get between SIGTERM and SIGKILL when the runner stops them
 * @param caCert         PEM certificates to trust for an {@code https://} broker (its CA, or its own certificate),
 *                       or {@code null} for the JDK's authorities
 * @param users          which user runs each tenant's jobs: {@code --run-as}, and {@code --run-as-map}'s
 *                       {@code tenant = user} lines over it
 * @param memoryLimit    how a job is held to its bundle's memory ({@link JobLimits})
 */
public record AgentConfig(URI broker, String node, String token, List<Path> mounts, Duration interval,
                          long reserveMib, long diskReserveMib, Path meminfo, boolean runner, Path workDir,
                          Duration killGrace, Path caCert, JobUsers users, JobLimits.Mode memoryLimit) {
    /** What a node name must look like: the contract's {@code Name}. */
    public static final Pattern NAME = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$");

    /** Option (longest name) to the environment variable that supplies its default. */
    static final Map<String, String> ENV = Map.ofEntries(
            Map.entry("--broker", "ICHIBA_BROKER"),
            Map.entry("--node", "ICHIBA_NODE"),
            Map.entry("--token", "ICHIBA_AGENT_TOKEN"),
            Map.entry("--mount", "ICHIBA_MOUNTS"),
            Map.entry("--interval-seconds", "ICHIBA_REPORT_INTERVAL_SECONDS"),
            Map.entry("--reserve-mib", "ICHIBA_MEMORY_RESERVE_MIB"),
            Map.entry("--disk-reserve-mib", "ICHIBA_DISK_RESERVE_MIB"),
            Map.entry("--meminfo", "ICHIBA_MEMINFO"),
            Map.entry("--runner", "ICHIBA_RUNNER"),
            Map.entry("--work-dir", "ICHIBA_WORK_DIR"),
            Map.entry("--ca-cert", "ICHIBA_CA_CERT"),
            Map.entry("--run-as", "ICHIBA_RUN_AS"),
            Map.entry("--run-as-map", "ICHIBA_RUN_AS_MAP"),
            Map.entry("--memory-limit", "ICHIBA_MEMORY_LIMIT"),
            Map.entry("--kill-grace-seconds", "ICHIBA_KILL_GRACE_SECONDS"));

    /** Checks the settings. */
    public AgentConfig {
        Objects.requireNonNull(broker, "broker");
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(token, "token");
        mounts = List.copyOf(mounts);
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(meminfo, "meminfo");
        Objects.requireNonNull(workDir, "workDir");
        Objects.requireNonNull(killGrace, "killGrace");
    }

    /**
     * Reads the settings from {@code args} over {@code env}.
     *
     * @throws CommandLine.ParameterException naming every missing or wrong setting, flag and variable both
     */
    public static AgentConfig parse(String[] args, Map<String, String> env) {
        CommandLine cmd = commandLine(env);
        cmd.parseArgs(args);
        return from(cmd);
    }

    /** A command line over {@link Options} whose defaults come from {@code env}; help is left to the caller. */
    static CommandLine commandLine(Map<String, String> env) {
        CommandLine cmd = new CommandLine(new Options());
        cmd.setDefaultValueProvider(spec -> fromEnv(spec, env));
        return cmd;
    }

    /** The settings of a parsed command line. */
    static AgentConfig from(CommandLine parsed) {
        Options o = parsed.getCommand();
        List<String> errors = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        URI broker = broker(o.broker, missing, errors);
        String node = required(o.node, "--node", missing);
        if (node != null && !NAME.matcher(node).matches()) {
            errors.add(describe("--node") + " must be 1-63 letters, digits, '.', '_' or '-', starting with a "
                    + "letter or digit, was '" + node + "'");
        }
        String token = required(o.token, "--token", missing);
        if (token != null && token.chars().anyMatch(c -> c < 0x21 || c > 0x7E)) {
            errors.add(describe("--token") + " must be printable ASCII without spaces");
        }
        long interval = number(o.intervalSeconds, "--interval-seconds", 1, 86_400, errors);
        long reserve = number(o.reserveMib, "--reserve-mib", 0, 1L << 40, errors);
        long diskReserve = number(o.diskReserveMib, "--disk-reserve-mib", 0, 1L << 40, errors);
        List<Path> mounts = paths(o.mounts, errors);
        Path meminfo = path(o.meminfo, "--meminfo", errors);
        boolean runner = bool(o.runner, errors);
        Path workDir = path(o.workDir, "--work-dir", errors);
        long grace = number(o.killGraceSeconds, "--kill-grace-seconds", 0, 3_600, errors);
        Path caCert = o.caCert == null || o.caCert.isBlank() ? null : path(o.caCert, "--ca-cert", errors);
        if (caCert != null && !java.nio.file.Files.isReadable(caCert)) {
            errors.add(describe("--ca-cert") + " must be a readable PEM file, was '" + caCert + "'");
        }
        JobUsers users = JobUsers.SAME;
        try {
            Path map = o.runAsMap == null || o.runAsMap.isBlank() ? null : path(o.runAsMap, "--run-as-map", errors);
            users = JobUsers.load(o.runAs, map);
        } catch (java.io.IOException | IllegalArgumentException e) {
            errors.add(describe("--run-as") + " / " + describe("--run-as-map") + ": " + e.getMessage());
        }
        JobLimits.Mode memoryLimit = JobLimits.Mode.AUTO;
        try {
            memoryLimit = JobLimits.Mode.of(o.memoryLimit == null ? "auto" : o.memoryLimit);
        } catch (IllegalArgumentException e) {
            errors.add(describe("--memory-limit") + " must be auto, cgroup, prlimit or off, was '" + o.memoryLimit + "'");
        }
        if (users.switches() && !runner) {
            errors.add(describe("--run-as") + " and " + describe("--run-as-map") + " are for the runner: add --runner");
        }
        if (!missing.isEmpty()) {
            errors.add(0, "missing " + String.join(", ", missing));
        }
        if (!errors.isEmpty()) {
            throw new CommandLine.ParameterException(parsed, String.join("\n", errors));
        }
        return new AgentConfig(broker, node, token, mounts, Duration.ofSeconds(interval), reserve, diskReserve, meminfo,
                runner, workDir, Duration.ofSeconds(grace), caCert, users, memoryLimit);
    }

    /** The settings for logs: the token is masked. */
    @Override
    public String toString() {
        return "AgentConfig[broker=" + broker + ", node=" + node + ", token=***, mounts=" + mounts + ", interval="
                + interval.toSeconds() + "s, reserveMib=" + reserveMib + ", diskReserveMib=" + diskReserveMib
                + ", meminfo=" + meminfo + ", runner=" + runner + ", workDir=" + workDir + ", killGrace="
                + killGrace.toSeconds() + "s, caCert=" + caCert + ", users=" + users + ", memoryLimit=" + memoryLimit
                + "]";
    }

    private static String fromEnv(ArgSpec spec, Map<String, String> env) {
        if (spec instanceof OptionSpec option) {
            String variable = ENV.get(option.longestName());
            String value = variable == null ? null : env.get(variable);
            if (value != null && !value.isBlank()) {
                return value.strip();
            }
        }
        return spec.defaultValue();
    }

    private static String describe(String flag) {
        String variable = ENV.get(flag);
        return variable == null ? flag : flag + " (or " + variable + ")";
    }

    private static String required(String value, String flag, List<String> missing) {
        if (value == null || value.isBlank()) {
            missing.add(describe(flag));
            return null;
        }
        return value.strip();
    }

    private static URI broker(String value, List<String> missing, List<String> errors) {
        String url = required(value, "--broker", missing);
        if (url == null) {
            return null;
        }
        try {
            URI uri = new URI(url);
            String scheme = uri.getScheme();
            if (uri.getHost() != null && ("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme))
                    && uri.getRawQuery() == null && uri.getRawFragment() == null) {
                return uri;
            }
        } catch (java.net.URISyntaxException e) {
            // reported below
        }
        errors.add(describe("--broker") + " must be an http:// or https:// URL with a host, e.g. "
                + "http://broker:8080, was '" + url + "'");
        return null;
    }

    private static long number(String value, String flag, long min, long max, List<String> errors) {
        try {
            long n = Long.parseLong(value.strip());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        errors.add(describe(flag) + " must be a whole number from " + min + " to " + max + ", was '" + value + "'");
        return min;
    }

    private static List<Path> paths(List<String> values, List<String> errors) {
        List<Path> out = new ArrayList<>();
        for (String v : values == null ? List.<String>of() : values) {
            if (!v.isBlank()) {
                Path p = path(v, "--mount", errors);
                if (p != null && !out.contains(p)) {
                    out.add(p);
                }
            }
        }
        if (out.isEmpty()) {
            out.add(workingDirectory());
        }
        return out;
    }

    private static Path path(String value, String flag, List<String> errors) {
        try {
            return Path.of(value.strip()).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            errors.add(describe(flag) + " '" + value + "' is not a path: " + e.getMessage());
            return null;
        }
    }

    private static boolean bool(String value, List<String> errors) {
        String v = value == null ? "false" : value.strip().toLowerCase(java.util.Locale.ROOT);
        return switch (v) {
            case "true", "yes", "1" -> true;
            case "false", "no", "0", "" -> false;
            default -> {
                errors.add(describe("--runner") + " must be true or false, was '" + value + "'");
                yield false;
            }
        };
    }

    /** The default mount: the file store of the working directory, or the root when it cannot be named. */
    static Path workingDirectory() {
        try {
            return Path.of("").toAbsolutePath().normalize();
        } catch (RuntimeException e) {
            return Path.of("/");
        }
    }

    /** The command line as picocli reads it: raw strings, checked by {@link #from(CommandLine)}. */
    @Command(name = "ichiba-agent", sortOptions = false, usageHelpAutoWidth = true,
            description = {"The Ichiba node agent: reports this node's allocatable and free memory and disk to the "
                    + "broker every few seconds (the report is also its heartbeat); with --runner it also runs the "
                    + "jobs granted on this node.",
                    "Every option can be given by its environment variable instead; a flag wins over its variable."},
            footer = {"", "Pass the token through ICHIBA_AGENT_TOKEN rather than --token: flags show in ps."})
    static final class Options {
        @Option(names = "--broker", paramLabel = "URL",
                description = "The broker's base URL, e.g. http://broker:8080 (env ICHIBA_BROKER).")
        String broker;

        @Option(names = "--node", paramLabel = "NAME",
                description = "This node's name; the agent's token must be issued for it (env ICHIBA_NODE).")
        String node;

        @Option(names = "--token", paramLabel = "TOKEN",
                description = "The agent's bearer token from POST /v1/agents (env ICHIBA_AGENT_TOKEN).")
        String token;

        @Option(names = "--mount", paramLabel = "PATH", split = ",",
                description = "A path on a file system whose space the broker may grant; repeat for more "
                        + "(env ICHIBA_MOUNTS, comma-separated). Default: the working directory.")
        List<String> mounts;

        @Option(names = "--interval-seconds", paramLabel = "N", defaultValue = "3",
                description = "Seconds between two reports (env ICHIBA_REPORT_INTERVAL_SECONDS). Default: ${DEFAULT-VALUE}.")
        String intervalSeconds;

        @Option(names = "--reserve-mib", paramLabel = "MIB", defaultValue = "512",
                description = "Memory kept out of the pool for the system, MiB (env ICHIBA_MEMORY_RESERVE_MIB). "
                        + "Default: ${DEFAULT-VALUE}.")
        String reserveMib;

        @Option(names = "--disk-reserve-mib", paramLabel = "MIB", defaultValue = "0",
                description = "Disk kept out of the pool, MiB, subtracted from the mounts' total "
                        + "(env ICHIBA_DISK_RESERVE_MIB). Default: ${DEFAULT-VALUE}.")
        String diskReserveMib;

        @Option(names = "--meminfo", paramLabel = "PATH", defaultValue = "/proc/meminfo",
                description = "Where memory is read from (env ICHIBA_MEMINFO). Default: ${DEFAULT-VALUE}.")
        String meminfo;

        @Option(names = "--runner", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
                description = "Also run the jobs granted on this node (env ICHIBA_RUNNER).")
        String runner;

        @Option(names = "--work-dir", paramLabel = "PATH", defaultValue = "ichiba-work",
                description = "The runner's directory: per job, its output.log and the state that lets a restarted "
                        + "runner find its processes again (env ICHIBA_WORK_DIR). Default: ${DEFAULT-VALUE}, in "
                        + "the working directory.")
        String workDir;

        @Option(names = "--kill-grace-seconds", paramLabel = "N", defaultValue = "10",
                description = "Seconds between SIGTERM and SIGKILL when the runner stops a job's processes "
                        + "(env ICHIBA_KILL_GRACE_SECONDS). Default: ${DEFAULT-VALUE}.")
        String killGraceSeconds;

        @Option(names = "--ca-cert", paramLabel = "PATH",
                description = "PEM certificates to trust for an https:// broker: the CA that signed its certificate, "
                        + "or the certificate itself (env ICHIBA_CA_CERT). Default: the JDK's authorities.")
        String caCert;

        @Option(names = "--run-as", paramLabel = "USER",
                description = "Run jobs as this user (through setpriv; the agent must run as root), each in a work "
                        + "directory of its own that only this user reads (env ICHIBA_RUN_AS). Default: the agent's "
                        + "own user.")
        String runAs;

        @Option(names = "--run-as-map", paramLabel = "PATH",
                description = "A file of 'tenant = user' lines: each tenant's jobs as its user, so that no two "
                        + "tenants' jobs share one (env ICHIBA_RUN_AS_MAP); --run-as for the others.")
        String runAsMap;

        @Option(names = "--memory-limit", paramLabel = "MODE", defaultValue = "auto",
                description = "How a job is held to its bundle's memory: auto (cgroup v2 memory.max where the agent "
                        + "may write its cgroup, else prlimit's address-space limit), cgroup, prlimit, or off "
                        + "(env ICHIBA_MEMORY_LIMIT). Default: ${DEFAULT-VALUE}.")
        String memoryLimit;

        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
        boolean help;
    }
}
