package io.ichiba.agent;

import io.ichiba.agent.JobRecords.JobRecord;
import io.ichiba.api.Model;
import io.ichiba.api.client.IchibaClient;
import io.ichiba.api.client.IchibaException;
import io.ichiba.api.client.IchibaIoException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The runner: the agent's job loop, which starts the jobs granted on its node, renews their leases while they run,
 * stops them when asked, and tells the broker how each ended, so that its tokens return.
 *
 * <pre>
 *   poll thread:  GET /v1/nodes/{node}/jobs?waitSeconds=N ──► for each job listed
 *                   STARTING ─► state file ─► POST start ─200─► launch (dir, env, output.log) ─► watch
 *                                                 └─409─► not started, forgotten
 *                   RUNNING + cancelRequested ─► stop
 *                   RUNNING, unknown to this runner ─► finish {"error"} (no process: tokens back)
 *                 a watched job no longer listed ─► GET /v1/jobs/{id}: ended or gone ─► stop
 *   timers:       every max(lease/3, 1 s): POST renew ─409/404─► stop (the claim is gone)
 *                 stop: SIGTERM to the tree ─► grace ─► SIGKILL to what is left
 *   on exit:      state file gets the result ─► POST finish {"exitCode"} (retried with backoff) ─► state file removed
 * </pre>
 *
 * <p><b>Never before the broker says so.</b> A process is launched only after {@code POST /v1/jobs/{id}/start}
 * answered 200; a refusal (409, 404) means the job is not started at all. A command that cannot be launched
 * (missing executable, unwritable work directory) is finished with {@code error}.
 *
 * <p><b>Stopping.</b> When a job is cancelled ({@code cancelRequested}), or ends on the broker while its process
 * runs (lease expired, node lost, job gone), the runner stops its process tree: SIGTERM to the root and its
 * descendants, then SIGKILL to whatever is left after {@link RunnerSettings#killGrace()}. The job is finished when
 * the root has exited and, for a stop, the tree is gone or was killed; the broker makes a cancelled job
 * {@code CANCELLED} and answers an ended one unchanged.
 *
 * <p><b>Restart.</b> The runner keeps a state file per job ({@link JobRecords}: id, pid, the process's start time,
 * lease, and once known its result) from just before it asks to start the job until the broker has taken its end.
 * On start it reads them back before its first poll:
 * <ul>
 *   <li>a result recorded: the finish is sent again (the first may not have reached the broker);</li>
 *   <li>a pid whose process is alive and is the same process (same OS start time, within 2 s): the runner
 *       <em>adopts</em> it: renews its lease, stops it if asked, and when it ends finishes it with the error
 *       {@value #EXIT_UNKNOWN}, because the exit code of a process that is not the runner's child cannot be read.
 *       Adopting (rather than killing) lets a runner be restarted or upgraded without killing the work on its node;
 *       the job ends {@code FAILED} (or {@code CANCELLED} if cancelled meanwhile) since its outcome is unknown;</li>
 *   <li>a pid whose process is gone (or a different process now): finished with an error, exit code unknown;</li>
 *   <li>no pid (it stopped between the state file and the launch): if the broker still lists the job
 *       {@code STARTING} it never started and is started normally; if {@code RUNNING}, it is finished with an
 *       error, as its process cannot be known.</li>
 * </ul>
 * A {@code RUNNING} job of this node that the runner holds no record of is finished with an error too. So however
 * the runner stops, every job's tokens return: by its finish, or at the latest when its unrenewed lease expires.
 *
 * <p>Notes: the job's output goes straight to {@code <workDir>/<job>/output.log} (the OS appends to the file; no
 * runner thread copies it), so a process outlives a runner crash without a broken pipe, and stdin is
 * {@code /dev/null}. Broker failures never end the loop: polls are retried with the {@link Backoff}, renewals at
 * their next turn, finishes with the backoff until the broker takes them. {@link #stop()} ends the loop and the
 * timers but leaves the processes running and their state files in place, for the next runner to adopt — as a crash
 * would. The broker answers a poll at once while a job has a cancel request; while that job is being stopped the
 * runner pauses {@link RunnerSettings#busyPause()} between polls rather than spin.
 */
public final class Runner implements Runnable {
    /** The error a job is finished with when its process was adopted after a restart, so its exit code is unknown. */
    public static final String EXIT_UNKNOWN = "runner restarted; exit code unknown";

    private static final Logger LOG = LoggerFactory.getLogger(Runner.class);
    private static final int MAX_ERROR = 2000;
    private static final Duration SAME_START = Duration.ofSeconds(2);
    private static final int REMEMBERED = 4096;
    private static final Duration TREE_WATCH = Duration.ofMillis(100);

    private final String node;
    private final IchibaClient broker;
    private final RunnerSettings settings;
    private final Backoff backoff;
    private final Sleeper sleeper;
    private final JobRecords records;
    private final JobLimits limits;
    /** The limit each started job runs under (its cgroup removed when the job is done). */
    private final Map<String, JobLimits.Applied> applied = new ConcurrentHashMap<>();
    /** Each job user's primary group, as looked up the first time. */
    private final Map<String, String> groups = new ConcurrentHashMap<>();
    private final Map<String, JobProcess> jobs = new ConcurrentHashMap<>();
    private final Set<String> finished = Collections.synchronizedSet(Collections.newSetFromMap(
            new LinkedHashMap<>() {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                    return size() > REMEMBERED;
                }
            }));
    private final ScheduledThreadPoolExecutor timers;

    private volatile boolean stopped;
    private boolean ran;
    private volatile Thread loop;
    private volatile long polls;
    private int startFailures;

    /**
     * Creates the runner of one node.
     *
     * @param node     the node, as the agent's token names it
     * @param broker   the broker's client, with the agent's token
     * @param settings where jobs live and how the runner paces itself
     * @param backoff  the waits after failures to reach the broker
     * @param sleeper  how the poll loop waits
     */
    public Runner(String node, IchibaClient broker, RunnerSettings settings, Backoff backoff, Sleeper sleeper) {
        this.node = Objects.requireNonNull(node, "node");
        this.broker = Objects.requireNonNull(broker, "broker");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.backoff = Objects.requireNonNull(backoff, "backoff");
        this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
        this.records = new JobRecords(settings.workDir(), settings.users().switches());
        this.limits = JobLimits.of(settings.limits());
        this.timers = new ScheduledThreadPoolExecutor(4, daemons("ichiba-runner-" + node));
        this.timers.setRemoveOnCancelPolicy(true);
    }

    /**
     * Runs the runner on the calling thread until {@link #stop()} or an interrupt: recovers the jobs of the state
     * files, then polls the broker and acts on the node's jobs. No failure of the broker or of a job ends it. A
     * runner runs once; to start again, make a new one on the same work directory.
     *
     * @throws IllegalStateException when this runner has run already
     */
    @Override
    public void run() {
        synchronized (this) {
            if (ran) {
                throw new IllegalStateException("a runner runs once: make a new one on " + settings.workDir());
            }
            ran = true;
        }
        loop = Thread.currentThread();
        LOG.info("runner started node={} workDir={} killGrace={} memoryLimit={}", node, settings.workDir(),
                seconds(settings.killGrace()), limits.describe());
        try {
            recover();
            int failures = 0;
            while (!stopped && !Thread.currentThread().isInterrupted()) {
                Duration pause;
                try {
                    List<Model.Job> listed = broker.nodeJobs(node, (int) settings.pollWait().toSeconds());
                    if (failures > 0) {
                        LOG.info("broker reachable again node={} after {} failed polls", node, failures);
                    }
                    failures = 0;
                    polls++;
                    pause = reconcile(listed);
                } catch (IchibaException e) {
                    if (stopped || (e instanceof IchibaIoException io && io.interrupted())) {
                        break;
                    }
                    failures++;
                    pause = backoff.delay(failures);
                    LOG.warn("poll failed node={} attempt={} retry in {}: {}", node, failures, seconds(pause),
                            e.getMessage());
                } catch (RuntimeException e) {
                    failures++;
                    pause = backoff.delay(failures);
                    LOG.error("runner cycle failed node={}, going on in {}: {}", node, seconds(pause), e.toString());
                }
                if (!stopped && !pause.isZero()) {
                    sleeper.sleep(pause);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            timers.shutdownNow();
            loop = null;
            LOG.info("runner stopped node={} jobsLeft={}", node, jobs.keySet());
        }
    }

    /**
     * Ends the loop and the timers at once: a poll or a call in flight is abandoned. The jobs' processes keep
     * running and their state files stay, so that the next runner on this work directory adopts them.
     */
    public void stop() {
        stopped = true;
        Thread t = loop;
        if (t != null && t != Thread.currentThread()) {
            t.interrupt();
        }
        timers.shutdownNow();
    }

    /** The pid of each job whose process this runner watches, by job id. */
    public Map<String, Long> pids() {
        Map<String, Long> out = new TreeMap<>();
        jobs.forEach((id, p) -> {
            Long pid = p.pid();
            if (pid != null && p.phase() == JobProcess.Phase.RUNNING) {
                out.put(id, pid);
            }
        });
        return out;
    }

    /** The ids of the jobs this runner holds: starting, running, or ended and not yet taken by the broker. */
    public Set<String> jobs() {
        return Set.copyOf(jobs.keySet());
    }

    /** How many polls the broker answered. */
    public long polls() {
        return polls;
    }

    // ---------------------------------------------------------------- the poll

    /** Acts on one answer of the poll; returns how long to pause before the next poll. */
    Duration reconcile(List<Model.Job> listed) {
        Set<String> seen = new HashSet<>();
        boolean urgent = false;
        boolean acted = false;
        boolean retry = false;
        for (Model.Job j : listed) {
            if (!JobRecords.validId(j.id())) {
                LOG.warn("job ignored node={}: its id '{}' cannot name a directory", node, j.id());
                continue;
            }
            seen.add(j.id());
            urgent |= "STARTING".equals(j.state()) || j.cancelRequested();
            JobProcess p = jobs.get(j.id());
            try {
                if ("STARTING".equals(j.state())) {
                    if (p == null || p.phase() == JobProcess.Phase.AWAITING_START) {
                        acted = true;
                        retry |= !start(j, p);
                    }
                } else if ("RUNNING".equals(j.state())) {
                    if (p == null) {
                        if (!finished.contains(j.id())) {
                            acted = true;
                            orphan(j);
                        }
                    } else if (p.phase() == JobProcess.Phase.AWAITING_START) {
                        acted = true;
                        if (p.recovered()) {
                            finish(p, new Model.JobFinish(null, "runner restarted between starting the job and "
                                    + "recording its process; the process, if any, is unknown"));
                        } else {
                            retry |= !start(j, p); // our start reached the broker but its answer did not reach us
                        }
                    } else if (j.cancelRequested() && stop(p, "cancel requested")) {
                        acted = true;
                    }
                }
            } catch (IchibaIoException e) {
                if (e.interrupted()) {
                    throw e;
                }
                LOG.warn("job not handled this time job={} node={}: {}", j.id(), node, e.getMessage());
            }
        }
        for (JobProcess p : jobs.values()) {
            if (!seen.contains(p.id())) {
                acted |= notListed(p);
            }
        }
        if (retry) {
            startFailures++;
            return backoff.delay(startFailures);
        }
        startFailures = 0;
        return urgent && !acted ? settings.busyPause() : Duration.ZERO;
    }

    /**
     * Asks the broker to start the job and, on 200, launches it.
     *
     * @return {@code false} when the broker could not be asked and the start must be tried again
     */
    private boolean start(Model.Job j, JobProcess known) {
        JobProcess p = known != null ? known : new JobProcess(j.id(), j.leaseSeconds(), false);
        jobs.put(j.id(), p);
        IOException unrecorded = null;
        try {
            records.write(new JobRecord(j.id(), null, null, j.leaseSeconds(), null, null));
        } catch (IOException | RuntimeException e) {
            unrecorded = e instanceof IOException io ? io : new IOException(e);
        }
        JobLimits.Applied limit = null;
        String unlimited = null;
        try {
            Map<String, Long> asked = j.bundle() == null ? null : j.bundle().amounts();
            limit = limits.apply(j.id(), asked == null ? null : asked.get("memory"));
        } catch (IOException | RuntimeException e) {
            unlimited = e.getMessage();
        }
        try {
            broker.startJob(j.id(), limit == null ? "none: " + unlimited : limit.said());
        } catch (IchibaException e) {
            if (e instanceof IchibaIoException io && io.interrupted()) {
                throw e;
            }
            if (e.status() == 409 || e.status() == 404) {
                LOG.info("job not started job={} node={}: the broker refused: {}", j.id(), node, e.getMessage());
                forget(p);
                return true;
            }
            LOG.warn("start failed job={} node={}, will ask again: {}", j.id(), node, e.getMessage());
            return false;
        }
        if (limit != null) {
            applied.put(j.id(), limit);
        }
        if (unlimited != null) {
            LOG.error("job cannot be held to its memory job={} node={}: {}", j.id(), node, unlimited);
            finish(p, new Model.JobFinish(null, "cannot hold the job to its memory: " + unlimited));
            return true;
        }
        if (unrecorded != null) {
            LOG.error("job cannot be recorded job={} node={}: {}", j.id(), node, unrecorded.toString());
            finish(p, new Model.JobFinish(null, "the runner cannot write its state file in " + settings.workDir()
                    + ": " + unrecorded.getMessage()));
            return true;
        }
        launch(p, j);
        return true;
    }

    /** Starts the job's process; a command that cannot be launched is finished with its error. */
    private void launch(JobProcess p, Model.Job j) {
        String user = settings.users().userFor(j.tenant());
        Process process;
        try {
            Path dir = records.createDir(j.id());
            List<String> command = j.command();
            Map<String, String> env = environment(System.getenv(), j);
            JobLimits.Applied limit = applied.get(j.id());
            if (user != null) { // its own directory, its user's alone; its home and temporary files there
                String group = groupOf(user);
                dir = records.createWorkDir(j.id(), user, group);
                command = JobUsers.as(user, group, command);
                for (String name : List.of("HOME", "TMPDIR")) {
                    if (j.env() == null || !j.env().containsKey(name)) { // the job's own wins
                        env.put(name, dir.toString());
                    }
                }
            }
            if (limit != null) { // outside the user's wrapper: the cgroup's is written as the runner's user
                command = limit.wrap(command);
            }
            boolean wrapped = user != null || (limit != null && !limit.prefix().isEmpty());
            if (wrapped && !runnable(j.command().get(0), env.get("PATH"), dir)) {
                // started through a wrapper, a missing program would be the wrapper's exit code: said as before
                throw new IOException("Cannot run program \"" + j.command().get(0) + "\": no such program here");
            }
            ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(records.log(j.id()).toFile()))
                    .redirectInput(stdin());
            pb.environment().clear();
            pb.environment().putAll(env);
            process = pb.start();
        } catch (IOException | RuntimeException e) {
            String why = "cannot start " + j.command().get(0) + ": " + e.getMessage(); // not its arguments
            LOG.warn("job could not start job={} node={}: {}", j.id(), node, why);
            finish(p, new Model.JobFinish(null, why));
            return;
        }
        ProcessHandle h = process.toHandle();
        p.running(h, false);
        try {
            records.write(new JobRecord(j.id(), h.pid(), h.info().startInstant().orElse(null), j.leaseSeconds(),
                    null, null));
        } catch (IOException | RuntimeException e) {
            LOG.error("job's process not recorded job={} node={} pid={}: a restarted runner will not find it: {}",
                    j.id(), node, h.pid(), e.toString());
        }
        LOG.info("job started job={} node={} pid={} program={} args={} user={} log={}", j.id(), node, h.pid(),
                j.command().get(0), j.command().size() - 1, user == null ? "(the agent's)" : user,
                records.log(j.id())); // arguments may hold secrets
        watch(p, process.onExit().thenApply(Process::exitValue));
    }

    /**
     * The variables of the runner's own environment a job gets (issue 14): nothing else of the agent's, whose token
     * is among them.
     */
    static final List<String> PASSED = List.of("PATH", "HOME", "LANG", "TMPDIR");

    /**
     * A job's environment: the {@link #PASSED} variables of the runner's environment {@code runner}, the job's own
     * {@code env} over them, and {@code ICHIBA_JOB_ID} and {@code ICHIBA_CLAIM_ID} (the same id) over those. Never the
     * runner's other variables: its bearer token would let a tenant's job act as the node's agent.
     */
    static Map<String, String> environment(Map<String, String> runner, Model.Job j) {
        Map<String, String> env = new TreeMap<>();
        for (String name : PASSED) {
            String value = runner.get(name);
            if (value != null) {
                env.put(name, value);
            }
        }
        if (j.env() != null) {
            env.putAll(j.env());
        }
        env.put("ICHIBA_JOB_ID", j.id());
        env.put("ICHIBA_CLAIM_ID", j.id());
        return env;
    }

    /** A job this node runs that the runner holds no record of: there is no process to watch, so it is ended. */
    private void orphan(Model.Job j) {
        JobProcess p = new JobProcess(j.id(), j.leaseSeconds(), false);
        jobs.put(j.id(), p);
        LOG.warn("job running on the broker without a record here job={} node={}: finished as failed", j.id(), node);
        finish(p, new Model.JobFinish(null, "the runner of node " + node + " has no record of this job's process"));
    }

    /** A job the runner holds that the poll no longer lists: it ended or was taken away on the broker. */
    private boolean notListed(JobProcess p) {
        switch (p.phase()) {
            case AWAITING_START -> {
                LOG.info("job no longer to start job={} node={}: forgotten", p.id(), node);
                forget(p);
                return true;
            }
            case RUNNING -> {
                if (p.stopping()) {
                    return false;
                }
                Model.Job j;
                try {
                    j = broker.job(p.id());
                } catch (IchibaException e) {
                    if (e.status() == 404) {
                        return stop(p, "the job is no longer known to the broker");
                    }
                    if (e instanceof IchibaIoException io && io.interrupted()) {
                        throw e;
                    }
                    LOG.warn("job state unknown job={} node={}: {}", p.id(), node, e.getMessage());
                    return false;
                }
                if (ended(j.state()) || !node.equals(j.node())) {
                    return stop(p, "the job is " + j.state() + (j.reason() == null ? "" : " (" + j.reason() + ")")
                            + " on the broker");
                }
                return false;
            }
            default -> {
                return false;
            }
        }
    }

    // ---------------------------------------------------------------- a running job

    /** Renews the job's lease now and periodically, and reacts to its process's exit. */
    private void watch(JobProcess p, CompletableFuture<Integer> exit) {
        long every = settings.renewEvery(p.leaseSeconds()).toMillis();
        try {
            p.renewal(timers.scheduleWithFixedDelay(() -> renew(p), 0, every, TimeUnit.MILLISECONDS));
        } catch (RejectedExecutionException stopping) {
            return;
        }
        exit.whenComplete((code, error) -> execute(() -> exited(p, error == null ? code : null)));
    }

    private void renew(JobProcess p) {
        if (stopped || p.phase() != JobProcess.Phase.RUNNING) {
            return;
        }
        try {
            broker.renewJob(p.id());
        } catch (IchibaException e) {
            if (stopped) {
                return;
            }
            if (e.status() == 409 || e.status() == 404) {
                LOG.warn("lease lost job={} node={}: {}", p.id(), node, e.getMessage());
                stop(p, "its lease is lost: " + (e.code() == null ? e.status() : e.code()));
            } else {
                LOG.warn("renew failed job={} node={}, next try in {}: {}", p.id(), node,
                        seconds(settings.renewEvery(p.leaseSeconds())), e.getMessage());
            }
        } catch (RuntimeException e) {
            LOG.error("renew failed job={} node={}: {}", p.id(), node, e.toString());
        }
    }

    /**
     * Stops the job's process tree: SIGTERM now, SIGKILL after the grace.
     *
     * @return whether a stop began (not when it was under way already or the process had ended)
     */
    private boolean stop(JobProcess p, String reason) {
        if (!p.terminate(reason)) {
            return false;
        }
        LOG.info("job stopping job={} node={} pid={} reason={}: SIGTERM sent, SIGKILL in {}", p.id(), node, p.pid(),
                reason, seconds(settings.killGrace()));
        try {
            p.killTimer(timers.schedule(() -> kill(p), settings.killGrace().toMillis(), TimeUnit.MILLISECONDS));
        } catch (RejectedExecutionException stopping) {
            // the runner stops: the next one adopts the process and stops it again
        }
        return true;
    }

    private void kill(JobProcess p) {
        if (p.anyAlive()) {
            LOG.info("job killed job={} node={} pid={}: SIGKILL after {}", p.id(), node, p.pid(),
                    seconds(settings.killGrace()));
        }
        if (p.kill()) {
            ended(p);
        }
    }

    private void exited(JobProcess p, Integer code) {
        if (p.exited(code)) {
            ended(p);
        } else if (p.phase() == JobProcess.Phase.RUNNING) {
            LOG.info("job's root process exited job={} node={} exit={} while being stopped: waiting for the rest of "
                    + "its tree (SIGKILL at the grace)", p.id(), node, code);
            try {
                p.treeWatch(timers.scheduleWithFixedDelay(() -> {
                    if (!p.anyAlive()) {
                        ended(p);
                    }
                }, TREE_WATCH.toMillis(), TREE_WATCH.toMillis(), TimeUnit.MILLISECONDS));
            } catch (RejectedExecutionException stopping) {
                // the runner stops
            }
        }
    }

    /** The process (tree) is gone: tell the broker. */
    private void ended(JobProcess p) {
        Model.JobFinish result = p.result();
        LOG.info("job's process ended job={} node={} pid={} exit={}{}", p.id(), node, p.pid(), result.exitCode(),
                result.error() == null ? "" : " error=" + result.error());
        finish(p, result);
    }

    // ---------------------------------------------------------------- the end

    /** The primary group of {@code user}, looked up once per user ({@code id -gn} is a process of its own). */
    private String groupOf(String user) throws IOException {
        String g = groups.get(user);
        if (g == null) {
            g = JobUsers.primaryGroup(user);
            groups.put(user, g);
        }
        return g;
    }

    /**
     * Whether {@code program} names an executable file: a path (against {@code dir} if relative), or a name found on
     * {@code path}, as the shell would look for it.
     */
    static boolean runnable(String program, String path, Path dir) {
        if (program.contains("/")) {
            return java.nio.file.Files.isExecutable(dir.resolve(program));
        }
        for (String d : (path == null ? "" : path).split(":")) {
            if (!d.isEmpty() && java.nio.file.Files.isExecutable(Path.of(d, program))) {
                return true;
            }
        }
        return false;
    }

    /** Records the job's result and sends it to the broker until it is taken (once per job). */
    private void finish(JobProcess p, Model.JobFinish result) {
        if (!p.end()) {
            return;
        }
        Model.JobFinish f = result.exitCode() == null && result.error() == null
                ? new Model.JobFinish(null, EXIT_UNKNOWN) : result;
        if (f.error() != null && f.error().length() > MAX_ERROR) {
            f = new Model.JobFinish(f.exitCode(), f.error().substring(0, MAX_ERROR - 1) + "…");
        }
        try {
            records.write(new JobRecord(p.id(), p.pid(), null, p.leaseSeconds(), f.exitCode(), f.error()));
        } catch (IOException | RuntimeException e) {
            LOG.warn("job's result not recorded job={} node={}: {}", p.id(), node, e.toString());
        }
        Model.JobFinish sent = f;
        execute(() -> sendFinish(p, sent, 1));
    }

    private void sendFinish(JobProcess p, Model.JobFinish f, int attempt) {
        if (stopped) {
            return;
        }
        try {
            Model.Job j = broker.finishJob(p.id(), f);
            LOG.info("job finished job={} node={} state={}{} exit={}", p.id(), node, j.state(),
                    j.reason() == null ? "" : " reason=" + j.reason(), f.exitCode());
            done(p);
        } catch (IchibaException e) {
            if (stopped) {
                return;
            }
            if (e.status() == 400 || e.status() == 404 || e.status() == 409) {
                LOG.warn("finish refused job={} node={}, given up (an unrenewed lease returns the tokens): {}",
                        p.id(), node, e.getMessage());
                done(p);
                return;
            }
            Duration wait = backoff.delay(attempt);
            LOG.warn("finish failed job={} node={} attempt={} retry in {}: {}", p.id(), node, attempt, seconds(wait),
                    e.getMessage());
            try {
                timers.schedule(() -> sendFinish(p, f, attempt + 1), wait.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException stopping) {
                // the next runner sends it again from the state file
            }
        }
    }

    private void done(JobProcess p) {
        finished.add(p.id());
        jobs.remove(p.id(), p);
        released(p.id());
        try {
            records.delete(p.id());
        } catch (IOException e) {
            LOG.warn("state file not removed job={} node={}: {}", p.id(), node, e.toString());
        }
    }

    /** Removes the job's cgroup, if it had one. */
    private void released(String job) {
        JobLimits.Applied a = applied.remove(job);
        if (a != null) {
            JobLimits.release(a.cgroup());
        }
    }

    private void forget(JobProcess p) {
        p.end();
        jobs.remove(p.id(), p);
        released(p.id());
        try {
            records.deleteAll(p.id());
        } catch (IOException e) {
            LOG.warn("state file not removed job={} node={}: {}", p.id(), node, e.toString());
        }
    }

    // ---------------------------------------------------------------- restart

    /** Reads the state files back: resends results, adopts live processes, ends the jobs of dead ones. */
    private void recover() {
        List<JobRecords.Found> found;
        try {
            found = records.scan();
        } catch (IOException | RuntimeException e) {
            LOG.error("state files cannot be read node={} workDir={}: {}", node, settings.workDir(), e.toString());
            return;
        }
        for (JobRecords.Found f : found) {
            if (f.record() == null) {
                LOG.error("state file unreadable job={} node={}: {}; the job is reported failed", f.job(), node,
                        f.problem());
                JobProcess p = new JobProcess(f.job(), 0, true);
                jobs.put(f.job(), p);
                finish(p, new Model.JobFinish(null, "runner restarted and could not read its state file: "
                        + f.problem()));
                continue;
            }
            recover(f.record());
        }
    }

    private void recover(JobRecord r) {
        JobProcess p = new JobProcess(r.job(), r.leaseSeconds(), true);
        jobs.put(r.job(), p);
        if (r.ended()) {
            LOG.info("recovered job={} node={}: ended exit={} error={}, telling the broker again", r.job(), node,
                    r.exitCode(), r.error());
            finish(p, new Model.JobFinish(r.exitCode(), r.error()));
        } else if (r.pid() == null) {
            LOG.info("recovered job={} node={}: start asked, no process recorded; the broker's state decides",
                    r.job(), node);
        } else {
            Optional<ProcessHandle> same = sameProcess(r);
            if (same.isPresent()) {
                ProcessHandle h = same.get();
                p.running(h, true);
                LOG.info("recovered job={} node={}: process pid={} still runs, adopted (its exit code will be "
                        + "unknown)", r.job(), node, h.pid());
                watch(p, h.onExit().thenApply(x -> null));
            } else {
                LOG.warn("recovered job={} node={}: process pid={} is gone, the job is reported failed", r.job(), node,
                        r.pid());
                finish(p, new Model.JobFinish(null, "runner restarted and the job's process (pid " + r.pid()
                        + ") was gone; exit code unknown"));
            }
        }
    }

    /** The recorded process, if it is alive and is the same process (its OS start time matches). */
    private Optional<ProcessHandle> sameProcess(JobRecord r) {
        Optional<ProcessHandle> h = ProcessHandle.of(r.pid()).filter(JobProcess::alive);
        if (h.isEmpty()) {
            return Optional.empty();
        }
        Instant now = h.get().info().startInstant().orElse(null);
        if (now == null || r.processStart() == null) {
            LOG.warn("job={} node={}: cannot tell whether pid {} is still the job's process (no start time); "
                    + "treated as gone and left alone", r.job(), node, r.pid());
            return Optional.empty();
        }
        return Duration.between(r.processStart(), now).abs().compareTo(SAME_START) <= 0 ? h : Optional.empty();
    }

    // ---------------------------------------------------------------- helpers

    private void execute(Runnable r) {
        try {
            timers.execute(() -> {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    LOG.error("runner task failed node={}: {}", node, e.toString());
                }
            });
        } catch (RejectedExecutionException stopping) {
            // the runner stops: its state files let the next one carry on
        }
    }

    private static boolean ended(String state) {
        return switch (state) {
            case "SUCCEEDED", "FAILED", "CANCELLED", "LOST" -> true;
            default -> false;
        };
    }

    private static ProcessBuilder.Redirect stdin() {
        File devNull = new File("/dev/null");
        return devNull.exists() ? ProcessBuilder.Redirect.from(devNull) : ProcessBuilder.Redirect.PIPE;
    }

    private static ThreadFactory daemons(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.3fs", d.toNanos() / 1e9);
    }

    @Override
    public String toString() {
        return "Runner[" + node + ", " + settings.workDir() + "]";
    }
}
