package io.ichiba.agent;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * The settings of a {@link Runner}: where it keeps its jobs and how it paces itself.
 *
 * @param workDir   the runner's directory: {@code <workDir>/<job-id>/} holds the job's {@code output.log} (its
 *                  working directory too) and the runner's state file for it
 * @param pollWait  how long one {@code GET /v1/nodes/{node}/jobs} may wait for news (1 to 60 s, whole seconds)
 * @param killGrace the time between SIGTERM and SIGKILL when the runner stops a job's processes
 * @param minRenew  the shortest time between two lease renewals of a job (renewals come every third of the lease,
 *                  but not more often than this)
 * @param busyPause the pause before polling again when the broker answered at once only because of news the
 *                  runner is already acting on (a job being stopped after a cancel), so it does not spin
 * @param users     which user runs each tenant's jobs ({@link JobUsers#SAME}: the runner's own)
 * @param limits    how a job is held to its bundle's memory ({@link JobLimits})
 */
public record RunnerSettings(Path workDir, Duration pollWait, Duration killGrace, Duration minRenew,
                             Duration busyPause, JobUsers users, JobLimits.Mode limits) {
    /** The default long-poll wait. */
    public static final Duration POLL_WAIT = Duration.ofSeconds(20);
    /** The default grace between SIGTERM and SIGKILL. */
    public static final Duration KILL_GRACE = Duration.ofSeconds(10);
    /** The default shortest time between two renewals of a job's lease. */
    public static final Duration MIN_RENEW = Duration.ofSeconds(1);
    /** The default pause after an answer that brought nothing new to do. */
    public static final Duration BUSY_PAUSE = Duration.ofMillis(500);

    /** Checks the settings and makes the directory absolute. */
    public RunnerSettings {
        Objects.requireNonNull(workDir, "workDir");
        workDir = workDir.toAbsolutePath().normalize();
        if (pollWait == null || pollWait.compareTo(Duration.ofSeconds(1)) < 0
                || pollWait.compareTo(Duration.ofSeconds(60)) > 0) {
            throw new IllegalArgumentException("pollWait must be 1 to 60 s, was " + pollWait);
        }
        if (killGrace == null || killGrace.isNegative()) {
            throw new IllegalArgumentException("killGrace must be 0 or more, was " + killGrace);
        }
        if (minRenew == null || minRenew.isNegative() || minRenew.isZero()) {
            throw new IllegalArgumentException("minRenew must be positive, was " + minRenew);
        }
        if (busyPause == null || busyPause.isNegative()) {
            throw new IllegalArgumentException("busyPause must be 0 or more, was " + busyPause);
        }
        Objects.requireNonNull(users, "users");
        Objects.requireNonNull(limits, "limits");
    }

    /** The defaults, with jobs kept under {@code workDir}. */
    public static RunnerSettings defaults(Path workDir) {
        return new RunnerSettings(workDir, POLL_WAIT, KILL_GRACE, MIN_RENEW, BUSY_PAUSE, JobUsers.SAME,
                JobLimits.Mode.AUTO);
    }

    /** The same settings with another long-poll wait. */
    public RunnerSettings withPollWait(Duration wait) {
        return new RunnerSettings(workDir, wait, killGrace, minRenew, busyPause, users, limits);
    }

    /** The same settings with another grace between SIGTERM and SIGKILL. */
    public RunnerSettings withKillGrace(Duration grace) {
        return new RunnerSettings(workDir, pollWait, grace, minRenew, busyPause, users, limits);
    }

    /** The same settings with another shortest renewal period. */
    public RunnerSettings withMinRenew(Duration min) {
        return new RunnerSettings(workDir, pollWait, killGrace, min, busyPause, users, limits);
    }

    /** The same settings with another pause after an answer that brought nothing new. */
    public RunnerSettings withBusyPause(Duration pause) {
        return new RunnerSettings(workDir, pollWait, killGrace, minRenew, pause, users, limits);
    }

    /** The same settings with jobs run as {@code users} say. */
    public RunnerSettings withUsers(JobUsers users) {
        return new RunnerSettings(workDir, pollWait, killGrace, minRenew, busyPause, users, limits);
    }

    /** The same settings with jobs held to their memory by {@code mode}. */
    public RunnerSettings withLimits(JobLimits.Mode mode) {
        return new RunnerSettings(workDir, pollWait, killGrace, minRenew, busyPause, users, mode);
    }

    /** How often a job with a lease of {@code leaseSeconds} is renewed: a third of the lease, at least {@link #minRenew}. */
    public Duration renewEvery(long leaseSeconds) {
        Duration third = Duration.ofMillis(Math.max(0, leaseSeconds) * 1000 / 3);
        return third.compareTo(minRenew) < 0 ? minRenew : third;
    }
}
