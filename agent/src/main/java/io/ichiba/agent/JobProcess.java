package io.ichiba.agent;

import io.ichiba.api.Model;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.Future;

/**
 * One job in a {@link Runner}'s hands: from the moment it asks the broker to start it until the broker has taken
 * its end. It holds the job's root process and the life cycle of stopping it.
 *
 * <pre>
 *   AWAITING_START ──start 200, launched──► RUNNING ──root exited (and, when stopping, the tree gone or killed)──► ENDED
 *         │                                   │  terminate(reason): SIGTERM to the tree          │
 *         └──start refused / could not launch─┼─► ENDED  kill() at the grace: SIGKILL to the tree   └─► finish sent
 * </pre>
 *
 * <p>Notes: the process tree is the root's descendants, snapshotted when the stop begins and again at SIGKILL;
 * handles of processes seen once are kept, so a child that outlives its parent (re-parented, out of the tree) still
 * gets SIGKILL. {@link ProcessHandle#destroy()} checks the process's start time, so a pid reused meanwhile is never
 * signalled. A zombie counts as gone ({@link #alive(ProcessHandle)}): a child re-parented to an init that reaps
 * slowly would otherwise hold the job's end until the SIGKILL. Methods are synchronized: the poll thread, the timers and the JVM's process-exit threads all call in.
 */
final class JobProcess {
    /** Where the job is in the runner's hands. */
    enum Phase {
        /** The runner asked (or is about to ask) the broker to start it; no process yet. */
        AWAITING_START,
        /** Its process runs (or is being stopped). */
        RUNNING,
        /** Its process is gone; the runner is telling the broker. */
        ENDED
    }

    private final String id;
    private final long leaseSeconds;
    private final boolean recovered;
    private final Set<ProcessHandle> tree = new LinkedHashSet<>();

    private Phase phase = Phase.AWAITING_START;
    private ProcessHandle root;
    private boolean adopted;
    private String stopReason;
    private boolean killed;
    private boolean exited;
    private Integer exitCode;
    private Future<?> renewal;
    private Future<?> killTimer;
    private Future<?> treeWatch;

    /**
     * A job awaiting its start.
     *
     * @param recovered whether it was read back from a state file by a restarted runner
     */
    JobProcess(String id, long leaseSeconds, boolean recovered) {
        this.id = id;
        this.leaseSeconds = leaseSeconds;
        this.recovered = recovered;
    }

    String id() {
        return id;
    }

    long leaseSeconds() {
        return leaseSeconds;
    }

    /** Whether a restarted runner read this job back from its state file. */
    boolean recovered() {
        return recovered;
    }

    synchronized Phase phase() {
        return phase;
    }

    /** The root process's pid, or {@code null} before it runs. */
    synchronized Long pid() {
        return root == null ? null : root.pid();
    }

    /** Whether the process is not this runner's child (found again after a restart): its exit code is unknown. */
    synchronized boolean adopted() {
        return adopted;
    }

    /** Whether a stop was asked for (a cancel, the job ended on the broker, the lease lost). */
    synchronized boolean stopping() {
        return stopReason != null;
    }

    /** The process runs: watch {@code process}, which is this runner's child, or one {@code adopted} after a restart. */
    synchronized void running(ProcessHandle process, boolean adoptedProcess) {
        this.root = process;
        this.adopted = adoptedProcess;
        this.phase = Phase.RUNNING;
    }

    /** Keeps the renewal task, to cancel it when the job ends. */
    synchronized void renewal(Future<?> task) {
        if (phase == Phase.ENDED) {
            task.cancel(false);
        } else {
            this.renewal = task;
        }
    }

    /**
     * Begins a stop: SIGTERM to the process and its descendants.
     *
     * @return {@code false} when there is nothing to stop (not running, already stopping, already exited)
     */
    synchronized boolean terminate(String reason) {
        if (phase != Phase.RUNNING || stopReason != null || exited) {
            return false;
        }
        stopReason = reason;
        snapshot();
        for (ProcessHandle h : tree) {
            h.destroy();
        }
        root.destroy();
        return true;
    }

    /** Keeps the SIGKILL timer, to cancel it when the tree is gone before it fires. */
    synchronized void killTimer(Future<?> task) {
        if (phase == Phase.ENDED) {
            task.cancel(false);
        } else {
            this.killTimer = task;
        }
    }

    /** Keeps the task that watches the rest of the tree after the root exited during a stop. */
    synchronized void treeWatch(Future<?> task) {
        if (phase == Phase.ENDED) {
            task.cancel(false);
        } else {
            this.treeWatch = task;
        }
    }

    /**
     * SIGKILL to the root and every process of the tree still alive.
     *
     * @return whether the root had already exited, so the job may now be finished
     */
    synchronized boolean kill() {
        if (phase != Phase.RUNNING) {
            return false;
        }
        killed = true;
        snapshot();
        root.destroyForcibly();
        for (ProcessHandle h : tree) {
            h.destroyForcibly();
        }
        return exited;
    }

    /**
     * Records that the root process exited.
     *
     * @param code its exit code, {@code null} for an adopted process
     * @return whether the job may be finished now: not when a stop is under way and part of the tree lives on
     *         (the job is finished when the rest is gone, or after the SIGKILL at the grace deadline)
     */
    synchronized boolean exited(Integer code) {
        if (phase != Phase.RUNNING || exited) {
            return false;
        }
        exited = true;
        exitCode = code;
        return stopReason == null || killed || tree.stream().noneMatch(JobProcess::alive);
    }

    /**
     * Ends the job in the runner's hands: no more renewals or timers.
     *
     * @return {@code false} when it had ended already (so its end is reported once)
     */
    synchronized boolean end() {
        if (phase == Phase.ENDED) {
            return false;
        }
        phase = Phase.ENDED;
        if (renewal != null) {
            renewal.cancel(false);
        }
        if (killTimer != null) {
            killTimer.cancel(false);
        }
        if (treeWatch != null) {
            treeWatch.cancel(false);
        }
        return true;
    }

    /** What to tell the broker about the process's end: its exit code, or for an adopted one that it is unknown. */
    synchronized Model.JobFinish result() {
        if (adopted) {
            return new Model.JobFinish(null, stopReason == null ? Runner.EXIT_UNKNOWN
                    : Runner.EXIT_UNKNOWN + " (stopped: " + stopReason + ")");
        }
        return new Model.JobFinish(exitCode, null);
    }

    /** Whether any process of the tree is alive. */
    synchronized boolean anyAlive() {
        return (root != null && alive(root)) || tree.stream().anyMatch(JobProcess::alive);
    }

    /**
     * Whether the process runs: alive and, where {@code /proc} tells, not a zombie (a process that has exited and
     * waits for its parent to collect it).
     */
    static boolean alive(ProcessHandle h) {
        if (!h.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(h.pid()), "stat"), StandardCharsets.US_ASCII);
            int close = stat.lastIndexOf(')');
            return close < 0 || close + 2 >= stat.length() || stat.charAt(close + 2) != 'Z';
        } catch (IOException | RuntimeException e) {
            return h.isAlive();
        }
    }

    private void snapshot() {
        if (root.isAlive()) {
            root.descendants().forEach(tree::add);
        }
    }

    @Override
    public synchronized String toString() {
        return "JobProcess[" + id + " " + phase + (root == null ? "" : " pid=" + root.pid())
                + (adopted ? " adopted" : "") + (stopReason == null ? "" : " stopping: " + stopReason) + "]";
    }
}
