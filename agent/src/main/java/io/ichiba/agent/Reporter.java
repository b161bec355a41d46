package io.ichiba.agent;

import io.ichiba.api.Model;
import io.ichiba.api.client.IchibaClient;
import io.ichiba.api.client.IchibaException;
import io.ichiba.api.client.IchibaIoException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The reporter: the agent's monitor loop, which probes the node and reports it to the broker every interval
 * ({@code PUT /v1/nodes/{node}/report}, which is also the node's heartbeat), and keeps doing so whatever fails.
 *
 * <pre>
 *   ┌──────────► probe every kind ──every probe failed──► log, skip this report ──► wait interval ─┐
 *   │                 │ one kind or more measured (a failed probe is logged, its kind left out)     │
 *   │           PUT the report ──error──► log, failures+1 ──► wait backoff(failures) ───────────────┤
 *   │                 │ ok                                                                          │
 *   │           failures = 0 ──► wait interval ─────────────────────────────────────────────────────┤
 *   └───────────────────────────────────────────────────────────────────────────────────────────────┘
 * </pre>
 *
 * <p>Notes: every attempt probes afresh, so a report sent after a long outage carries what the machine has now,
 * not what it had when the broker went away. A probe that fails leaves its kind out of that report (the broker
 * keeps the kind's last capacity) while the kinds that could be measured still go out: the report is also the
 * heartbeat, and one unreadable mount must not make the broker lose the node and every job on it. Only when no
 * kind at all could be measured is the report skipped. A refused report (401, 403, 422) is retried like an unreachable
 * broker: the operator may fix the agent's token or the kinds while the agent runs, and the agent must not exit
 * because of it. Each failure is one log line; a success is logged at info when it is the first or ends a run of
 * failures, at debug otherwise. Waits go through an injected {@link Sleeper}; {@link #stop()} ends the loop at
 * its next wait.
 */
public final class Reporter implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(Reporter.class);

    private final String node;
    private final IchibaClient broker;
    private final List<Probe> probes;
    private final Duration interval;
    private final Backoff backoff;
    private final Sleeper sleeper;

    private volatile boolean stopped;
    private volatile Thread runner;
    private volatile int failures;
    private volatile long reports;

    /**
     * Creates the reporter of one node.
     *
     * @param node     the node, as the agent's token names it
     * @param broker   the broker's client, with the agent's token
     * @param probes   one probe per kind reported
     * @param interval the time between two reports while all is well
     * @param backoff  the waits after failures to reach the broker
     * @param sleeper  how to wait
     */
    public Reporter(String node, IchibaClient broker, List<Probe> probes, Duration interval, Backoff backoff,
                    Sleeper sleeper) {
        this.node = Objects.requireNonNull(node, "node");
        this.broker = Objects.requireNonNull(broker, "broker");
        this.probes = List.copyOf(probes);
        this.interval = Objects.requireNonNull(interval, "interval");
        this.backoff = Objects.requireNonNull(backoff, "backoff");
        this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
        if (this.probes.isEmpty()) {
            throw new IllegalArgumentException("the reporter needs at least one probe");
        }
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("the report interval must be positive, was " + interval);
        }
    }

    /**
     * Runs the loop on the calling thread until {@link #stop()} or an interrupt: probe, report, wait. It returns
     * only then; no failure of a probe or of the broker ends it.
     */
    @Override
    public void run() {
        runner = Thread.currentThread();
        try {
            while (!stopped && !Thread.currentThread().isInterrupted()) {
                Duration wait;
                try {
                    wait = cycle();
                } catch (VirtualMachineError e) {
                    throw e;
                } catch (Throwable e) {
                    LOG.error("report cycle failed node={}, going on: {}", node, e.toString());
                    wait = interval;
                }
                if (stopped) {
                    break;
                }
                sleeper.sleep(wait);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            runner = null;
        }
    }

    /** Ends the loop: the current wait is cut short, an HTTP call in flight is abandoned. */
    public void stop() {
        stopped = true;
        Thread t = runner;
        if (t != null && t != Thread.currentThread()) {
            t.interrupt();
        }
    }

    /**
     * Probes and reports once, and says how long to wait before the next time: the interval after a success or
     * a probe failure, the backoff after a failure to report.
     */
    public Duration cycle() {
        Model.NodeReport report = probe();
        if (report.allocatable().isEmpty()) {
            LOG.warn("no kind could be measured node={}, report skipped", node);
            return interval;
        }
        try {
            broker.report(node, report);
        } catch (RuntimeException e) {
            if (stopped) {
                return interval;
            }
            failures++;
            Duration wait = backoff.delay(failures);
            LOG.warn("report failed node={} attempt={} retry in {}: {}", node, failures, seconds(wait), why(e));
            return wait;
        }
        reports++;
        if (failures > 0 || reports == 1) {
            LOG.info("report sent node={}{} {}", node,
                    failures > 0 ? " after " + failures + " failed attempts" : "", amounts(report));
        } else {
            LOG.debug("report sent node={} {}", node, amounts(report));
        }
        failures = 0;
        return interval;
    }

    /** The number of reports that failed in a row since the last success. */
    public int failures() {
        return failures;
    }

    /** The number of reports the broker accepted. */
    public long reports() {
        return reports;
    }

    /**
     * Reads every probe into one report; a probe that fails is logged and its kind left out, so the report may be
     * partial, or empty when every probe failed.
     */
    Model.NodeReport probe() {
        Map<String, Long> allocatable = new TreeMap<>();
        Map<String, Long> free = new TreeMap<>();
        for (Probe p : probes) {
            Probe.Reading r;
            try {
                r = p.read();
            } catch (ProbeException e) {
                LOG.warn("probe failed node={} kind={}, left out of this report: {}", node, p.kind(), e.getMessage());
                continue;
            } catch (RuntimeException | LinkageError e) {
                LOG.warn("probe failed node={} kind={}, left out of this report: {}", node, p.kind(), e.toString());
                continue;
            }
            allocatable.put(r.kind(), r.allocatable());
            free.put(r.kind(), r.free());
        }
        return new Model.NodeReport(allocatable, free);
    }

    private static String why(RuntimeException e) {
        if (e instanceof IchibaIoException) {
            return "broker unreachable: " + e.getMessage();
        }
        if (e instanceof IchibaException ie) {
            return (ie.retryable() ? "broker error: " : "broker refused the report: ") + e.getMessage();
        }
        return e.toString();
    }

    private static String amounts(Model.NodeReport r) {
        StringBuilder b = new StringBuilder();
        r.allocatable().forEach((kind, alloc) -> b.append(b.length() == 0 ? "" : " ").append(kind).append("=")
                .append(r.free().get(kind)).append('/').append(alloc).append("MiB"));
        return b.append(" (free/allocatable)").toString();
    }

    private static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.3fs", d.toNanos() / 1e9);
    }
}
