package io.ichiba.ledger;

import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.job.Job;
import io.ichiba.ledger.job.JobCommands;
import io.ichiba.ledger.job.JobFilters;
import io.ichiba.ledger.job.JobRequest;
import io.ichiba.ledger.job.JobState;
import io.ichiba.ledger.pool.PlaceCommands.CreateIfAbsent;
import io.ichiba.ledger.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Jobs: a command, run by the runner of the node where its claim is granted, never before.
 *
 * <p>A job and its claim share an id. The job follows its claim: when the claim is granted the job is handed
 * to the node's runner ({@code STARTING}); when the claim ends without the job (lease expired, node lost,
 * cancelled) the job ends with it. When the job's process ends, the runner reports it and the claim is
 * released, so the tokens return exactly once however the job ends. {@link #follow} runs on every change of a
 * claim, on the member that owns it; {@link #reconcile} makes up for changes missed while a member died.
 */
public final class Jobs {
    private static final Logger LOG = LoggerFactory.getLogger(Jobs.class);

    private final Ledger ledger;
    private final Store store;

    /** Creates the jobs over the ledger. */
    public Jobs(Ledger ledger) {
        this.ledger = ledger;
        this.store = ledger.store();
    }

    /**
     * Validates and submits a job and its claim. Submitting the same id again answers the job as stored. The job
     * is written before its claim, so a claim never exists without its job.
     */
    public Result<Job> submit(JobRequest r) {
        return ledger.atomically(l -> new Jobs(l).submitNow(r));
    }

    private Result<Job> submitNow(JobRequest r) {
        String id = r.id();
        String tenant = r.tenant();
        Bundle bundle = r.bundle();
        int priority = r.priority();
        long leaseSeconds = r.leaseSeconds();
        String requestedNode = r.requestedNode();
        Job existing = store.jobs().get(id);
        if (existing != null) {
            return existing.tenant().equals(tenant) ? Result.ok(existing)
                    : Result.rejected(Rejection.Code.ALREADY_EXISTS, "job id " + id + " is taken");
        }
        Rejection bad = ledger.validate(tenant, bundle, leaseSeconds, requestedNode);
        if (bad == null) {
            bad = ledger.checkJobLimit(tenant);
        }
        if (bad == null) {
            bad = ledger.checkClaimLimits(tenant);
        }
        if (bad != null) {
            return Result.rejected(bad);
        }
        Job job = Job.queued(id, tenant, r.command(), r.env(), bundle, priority, leaseSeconds, requestedNode,
                ledger.clock().millis());
        Job stored = store.jobs().execute(id, new CreateIfAbsent<>(job));
        Result<Claim> claim = ledger.submit(ClaimRequest.of(id, tenant, bundle, priority, leaseSeconds, requestedNode));
        if (!claim.ok()) {
            // the world changed between the check and the claim (e.g. a lock is gone): the job cannot run
            store.jobs().execute(id, new JobCommands.ClaimEnded(ClaimState.CANCELLED, "CANCELLED",
                    ledger.clock().millis()));
            return Result.rejected(claim.rejection());
        }
        follow(claim.value());
        return Result.ok(store.jobs().get(id) != null ? store.jobs().get(id) : stored);
    }

    /** Makes the job of claim {@code c}, if it has one, follow the claim. Idempotent. */
    public void follow(Claim c) {
        if (c.state() == ClaimState.GRANTED) {
            JobCommands.Step s = store.jobs().execute(c.id(), new JobCommands.Assign(c.node(),
                    Handlers.awaitsGrantAck(store, c.tenant())));
            if (s.ok()) {
                LOG.debug("job assigned job={} tenant={} node={}", c.id(), c.tenant(), c.node());
            }
        } else if (c.state().isFinal()) {
            Job j = store.jobs().get(c.id());
            if (j != null && !j.state().isFinal()) {
                JobCommands.Step s = store.jobs().execute(c.id(),
                        new JobCommands.ClaimEnded(c.state(), c.reason(), ledger.clock().millis()));
                if (s.ok()) {
                    LOG.debug("job ended with its claim job={} state={} reason={}", c.id(), s.job().state(),
                            s.job().reason());
                }
            }
        }
    }

    /**
     * The grant of job {@code id}'s claim was acknowledged, or refused, by its tenant's {@code claim.granted}
     * handlers: the job goes to its runner, or fails and its claim is released. Nothing for a job not waiting.
     */
    public void handlersAnswered(String id, boolean acknowledged, String why) {
        ledger.atomically(l -> {
            new Jobs(l).handlersAnsweredNow(id, acknowledged, why);
            return null;
        });
    }

    private void handlersAnsweredNow(String id, boolean acknowledged, String why) {
        JobCommands.Step s = store.jobs().execute(id, new JobCommands.HandlersAnswered(acknowledged, why,
                ledger.clock().millis()));
        if (!s.ok()) {
            return;
        }
        LOG.debug("job handlers answered job={} acknowledged={} why={}", id, acknowledged, why);
        if (!acknowledged) {
            ledger.release(id);
        }
    }

    /** The runner of {@code node} starts the job: refused (with the job) if it was cancelled or is not its. */
    public Result<Job> start(String id, String node) {
        return start(id, node, null);
    }

    /** As {@link #start(String, String)}, recording what the runner holds the process to ({@code null}: nothing said). */
    public Result<Job> start(String id, String node, String limits) {
        JobCommands.Step s = store.jobs().execute(id, new JobCommands.Start(node, ledger.clock().millis(), limits));
        if (s.ok()) {
            LOG.debug("job started job={} node={}", id, node);
        }
        return new Result<>(s.job(), s.rejection());
    }

    /** The runner of {@code node} reports the end of the job's process; the job's claim is released. */
    public Result<Job> finish(String id, String node, Integer exitCode, String error) {
        return ledger.atomically(l -> new Jobs(l).finishNow(id, node, exitCode, error));
    }

    private Result<Job> finishNow(String id, String node, Integer exitCode, String error) {
        JobCommands.Step s = store.jobs().execute(id, new JobCommands.Finish(node, exitCode, error,
                ledger.clock().millis()));
        if (s.ok()) {
            ledger.release(id);
            LOG.debug("job finished job={} node={} state={} exit={}", id, node, s.job().state(), exitCode);
        }
        return new Result<>(s.job(), s.rejection());
    }

    /** Renews the lease of a running job's claim for the runner of {@code node}. */
    public Result<Job> renew(String id, String node) {
        Job j = store.jobs().get(id);
        if (j == null || !node.equals(j.node())) {
            return Result.rejected(Rejection.Code.NOT_FOUND, "no job " + id + " on node " + node);
        }
        Result<Claim> r = ledger.renew(id, 0);
        return r.ok() ? Result.ok(store.jobs().get(id)) : new Result<>(j, r.rejection());
    }

    /** Cancels a job: one not running ends now with its claim; a running one is stopped by its runner first. */
    public Result<Job> cancel(String id) {
        return ledger.atomically(l -> new Jobs(l).cancelNow(id));
    }

    private Result<Job> cancelNow(String id) {
        JobCommands.Step s = store.jobs().execute(id, new JobCommands.Cancel(ledger.clock().millis()));
        if (s.ok() && s.job().state() == JobState.CANCELLED) {
            ledger.cancel(id);
        }
        return new Result<>(s.job(), s.rejection());
    }

    /** Returns the job, or {@code null}. */
    public Job job(String id) {
        return store.jobs().get(id);
    }

    /** Returns the jobs of {@code tenant} (every tenant's if {@code null}), oldest first. */
    public List<Job> jobs(String tenant, JobState state) {
        List<Job> out = new ArrayList<>(store.jobs().values(new JobFilters.JobsOf(tenant, state)));
        out.sort(Comparator.comparingLong(Job::createdAt).thenComparing(Job::id));
        return out;
    }

    /** Returns the jobs the runner of {@code node} must start, watch or stop. */
    public List<Job> forNode(String node) {
        List<Job> out = new ArrayList<>(store.jobs().values(new JobFilters.RunnerJobs(node)));
        out.sort(Comparator.comparingLong(Job::createdAt).thenComparing(Job::id));
        return out;
    }

    /**
     * Brings this member's open jobs in line with their claims (changes missed while a member died), and gives
     * a claim to a job whose claim was never written. Returns how many jobs changed.
     */
    public int reconcile() {
        int changed = 0;
        for (String id : store.jobs().localKeys(new JobFilters.OpenJobs())) {
            if (ledger.atomically(l -> new Jobs(l).reconcile(id))) {
                changed++;
            }
        }
        return changed;
    }

    private boolean reconcile(String id) {
        Job j = store.jobs().get(id);
        if (j == null || j.state().isFinal()) {
            return false;
        }
        Claim c = store.claims().get(id);
        if (c == null) {
            ledger.submit(ClaimRequest.of(id, j.tenant(), j.bundle(), j.priority(), j.leaseSeconds(),
                    j.requestedNode()));
            return true;
        }
        if ((c.state() == ClaimState.GRANTED && j.state() == JobState.QUEUED) || c.state().isFinal()) {
            follow(c);
            return true;
        }
        return false;
    }
}
