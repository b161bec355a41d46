package io.ichiba.agent;

import io.ichiba.api.client.IchibaClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;

/**
 * The agent's entry point: {@code java -jar ichiba-agent.jar --broker URL --node NAME --token TOKEN …}.
 *
 * <p>It reads the {@link AgentConfig}, starts the {@link Reporter} (and with {@code --runner} the {@link Runner})
 * and runs until the process is stopped (SIGTERM, Ctrl-C), when a shutdown hook ends the loops. Stopping the agent
 * leaves running jobs running: the next agent on the same work directory adopts them. A usage error prints what is wrong and the
 * usage, and exits with 2.
 */
public final class Main {
    /** The exit code of a usage error. */
    public static final int USAGE = 2;

    private static final Logger LOG = LoggerFactory.getLogger(Main.class);

    private Main() {
    }

    /** Runs the agent until the process is stopped. */
    public static void main(String[] args) {
        Charset cs = Charset.defaultCharset();
        PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(System.out, cs), true);
        PrintWriter err = new PrintWriter(new java.io.OutputStreamWriter(System.err, cs), true);
        int code = run(args, System.getenv(), out, err, Main::monitor);
        if (code != 0) {
            System.exit(code);
        }
    }

    /**
     * Parses {@code args} over {@code env} and hands the settings to {@code agent}.
     *
     * @return 0 after help, {@link #USAGE} after a usage error, else what {@code agent} returns
     */
    static int run(String[] args, Map<String, String> env, PrintWriter out, PrintWriter err,
                   ToIntFunction<AgentConfig> agent) {
        CommandLine cmd = AgentConfig.commandLine(env);
        AgentConfig config;
        try {
            CommandLine.ParseResult parsed = cmd.parseArgs(args);
            if (parsed.isUsageHelpRequested()) {
                cmd.usage(out);
                return 0;
            }
            config = AgentConfig.from(cmd);
        } catch (CommandLine.ParameterException e) {
            err.println("ichiba-agent: " + e.getMessage().replace("\n", "\nichiba-agent: "));
            err.println();
            cmd.usage(err);
            return USAGE;
        }
        return agent.applyAsInt(config);
    }

    /**
     * The monitor role, and with {@code --runner} the runner role beside it: report this node (and run its jobs)
     * until the process is stopped. The reporter runs on its own thread, the runner on this one.
     */
    static int monitor(AgentConfig config) {
        if (config.users().switches() && !"root".equals(ProcessHandle.current().info().user().orElse(""))) {
            LOG.error("--run-as and --run-as-map need the agent to run as root (to start jobs as other users)");
            return USAGE;
        }
        IchibaClient.Builder client = IchibaClient.builder(config.broker()).token(config.token())
                .connectTimeout(Duration.ofSeconds(5))
                .requestTimeout(Duration.ofSeconds(Math.max(10, config.interval().toSeconds())));
        if (config.caCert() != null) {
            client.trustCertificates(config.caCert());
        }
        IchibaClient broker = client.build();
        List<Probe> probes = List.of(new MemInfoProbe(config.meminfo(), config.reserveMib()),
                new DiskProbe(config.mounts(), config.diskReserveMib()));
        Reporter reporter = new Reporter(config.node(), broker, probes, config.interval(), Backoff.DEFAULT,
                Sleeper.SYSTEM);
        Runner runner = config.runner() ? new Runner(config.node(), broker,
                RunnerSettings.defaults(config.workDir()).withKillGrace(config.killGrace()).withUsers(config.users())
                        .withLimits(config.memoryLimit()),
                Backoff.DEFAULT, Sleeper.SYSTEM) : null;
        LOG.info("agent started node={} broker={} interval={}s memoryReserve={}MiB diskReserve={}MiB meminfo={} "
                        + "mounts={} runner={}", config.node(), config.broker(), config.interval().toSeconds(),
                config.reserveMib(), config.diskReserveMib(), config.meminfo(), config.mounts(),
                runner == null ? "off" : "on workDir=" + config.workDir());
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            reporter.stop();
            if (runner != null) {
                runner.stop();
            }
            try {
                done.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "ichiba-agent-shutdown"));
        try {
            if (runner == null) {
                reporter.run();
            } else {
                Thread reporting = new Thread(reporter, "ichiba-reporter");
                reporting.setDaemon(true);
                reporting.start();
                try {
                    runner.run();
                } finally {
                    reporter.stop();
                }
            }
        } finally {
            LOG.info("agent stopped node={} reports={}", config.node(), reporter.reports());
            done.countDown();
        }
        return 0;
    }
}
