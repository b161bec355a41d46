package io.ichiba.broker.http;

import io.ichiba.api.Model;
import io.ichiba.ledger.Result;
import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.job.Job;
import io.ichiba.ledger.job.JobRequest;
import io.ichiba.ledger.job.JobState;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;

/** Jobs: tenants submit, read and cancel them; the runner of a node takes, starts, renews and finishes them. */
final class JobsApi {
    private final ApiContext ctx;

    JobsApi(ApiContext ctx) {
        this.ctx = ctx;
    }

    Map<String, ApiRouter.Op> ops() {
        return Map.of("createJob", this::create, "listJobs", this::list, "getJob", this::get,
                "cancelJob", this::cancel, "nodeJobs", this::nodeJobs, "startJob", this::start,
                "renewJob", this::renew, "finishJob", this::finish);
    }

    private Future<Reply> create(Call call) {
        if (!call.caller().tenant()) {
            return Future.succeededFuture(Problems.forbidden("only a tenant submits jobs"));
        }
        String tenant = call.caller().subject();
        JsonObject body = call.body();
        Bundle bundle;
        try {
            bundle = ClaimsApi.bundle(body.getJsonObject("bundle"));
        } catch (IllegalArgumentException e) {
            return Future.succeededFuture(Problems.of(400, "INVALID_BUNDLE", e.getMessage()));
        }
        List<String> command = new ArrayList<>();
        body.getJsonArray("command").forEach(a -> command.add((String) a));
        Map<String, String> env = new TreeMap<>();
        JsonObject e = body.getJsonObject("env");
        if (e != null) {
            e.forEach(kv -> env.put(kv.getKey(), (String) kv.getValue()));
        }
        String key = call.header(Idempotency.HEADER);
        String id = key == null ? UUID.randomUUID().toString()
                : UUID.nameUUIDFromBytes(("job\n" + tenant + "\n" + key).getBytes(StandardCharsets.UTF_8)).toString();
        int priority = body.getInteger("priority", 0);
        long lease = body.getLong("leaseSeconds", 60L);
        String node = body.getString("node");
        JobRequest request = new JobRequest(id, tenant, command, env, bundle, priority, lease, node);
        return ctx.blocking(() -> ctx.jobs().submit(request))
                .compose(r -> {
                    if (!r.ok()) {
                        return Future.succeededFuture(Problems.of(r.rejection()));
                    }
                    ctx.nudge().run();
                    // answer once the admission loop has looked at the job's claim (as POST /v1/claims does)
                    return ctx.await(id, () -> new JobAndClaim(ctx.jobs().job(id), ctx.ledger().claim(id)),
                            System.currentTimeMillis() + ctx.grantWaitMillis(), JobAndClaim::waitingForFirstLook)
                            .map(jc -> Reply.created(Views.job(jc == null || jc.job() == null ? r.value() : jc.job())));
                });
    }

    /** A job and its claim, read together off the event loop. */
    private record JobAndClaim(Job job, Claim claim) {
        /** The claim is not yet looked at, or granted but its job not yet handed to the runner. */
        boolean waitingForFirstLook() {
            return job != null && job.state() == JobState.QUEUED && claim != null
                    && ((claim.state() == ClaimState.QUEUED && !claim.considered())
                    || claim.state() == ClaimState.GRANTED);
        }
    }

    private Future<Reply> list(Call call) {
        String tenant;
        if (call.caller().operator()) {
            tenant = null;
        } else if (call.caller().tenant()) {
            tenant = call.caller().subject();
        } else {
            return Future.succeededFuture(Problems.forbidden("agents list their node's jobs at /v1/nodes/{node}/jobs"));
        }
        String state = call.query("state");
        JobState s = state == null ? null : JobState.valueOf(state);
        return ctx.blocking(() -> Reply.ok(new Model.Items<>(ctx.jobs().jobs(tenant, s).stream().map(Views::job).toList())));
    }

    /** Reads the job if the caller may see it: its tenant, the operator, or the agent of its node; else 404. */
    private Future<Reply> withJob(Call call, Function<Job, Future<Reply>> then) {
        String id = call.path("id");
        return ctx.blocking(() -> ctx.jobs().job(id)).compose(j -> {
            boolean visible = j != null && (call.caller().operator()
                    || (call.caller().tenant() && call.caller().subject().equals(j.tenant()))
                    || (j.node() != null && call.caller().agentOf(j.node())));
            return visible ? then.apply(j) : Future.succeededFuture(Problems.notFound("no job " + id));
        });
    }

    private Future<Reply> get(Call call) {
        long wait = call.queryLong("waitSeconds", 0);
        return withJob(call, j -> {
            if (wait <= 0 || j.state().isFinal()) {
                return Future.succeededFuture(Reply.ok(Views.job(j)));
            }
            JobState seen = j.state();
            return ctx.limits().waiting(call, () -> ctx.await("job:" + j.id(), () -> ctx.jobs().job(j.id()),
                    System.currentTimeMillis() + wait * 1000, x -> x.state() == seen)
                    .map(x -> Reply.ok(Views.job(x == null ? j : x))));
        });
    }

    private Future<Reply> cancel(Call call) {
        return withJob(call, j -> {
            if (!call.caller().operator() && !call.caller().tenant()) {
                return Future.succeededFuture(Problems.forbidden("only the job's tenant or the operator cancels it"));
            }
            return ctx.blocking(() -> answer(ctx.jobs().cancel(j.id())));
        });
    }

    private Future<Reply> nodeJobs(Call call) {
        String node = call.path("node");
        if (!call.caller().agentOf(node)) {
            return Future.succeededFuture(Problems.forbidden("only the agent of node " + node + " takes its jobs"));
        }
        long deadline = System.currentTimeMillis() + call.queryLong("waitSeconds", 0) * 1000;
        // answer at once if a job waits to be started, else when the node's set of jobs changes (a job is
        // assigned, asked to stop or ends) or at the deadline
        return ctx.limits().waiting(call, () -> ctx.blocking(() -> ctx.jobs().forNode(node)).compose(first -> {
            List<String> seen = signature(first);
            return ctx.await("node-jobs:" + node, () -> ctx.jobs().forNode(node), deadline,
                    jobs -> jobs.stream().noneMatch(j -> j.state() == JobState.STARTING) && signature(jobs).equals(seen));
        }).map(jobs -> Reply.ok(new Model.Items<>(jobs.stream().map(Views::job).toList()))));
    }

    private static List<String> signature(List<Job> jobs) {
        return jobs.stream().map(j -> j.id() + ":" + j.state() + ":" + j.cancelRequested()).toList();
    }

    /** Runs {@code op} for the agent of the job's node only. */
    private Future<Reply> runnerOnly(Call call, Function<Job, Result<Job>> op) {
        return withJob(call, j -> {
            if (j.node() == null || !call.caller().agentOf(j.node())) {
                return Future.succeededFuture(Problems.forbidden("only the agent of the job's node may do this"));
            }
            return ctx.blocking(() -> answer(op.apply(j)));
        });
    }

    private Future<Reply> start(Call call) {
        JsonObject body = call.body();
        String limits = body == null ? null : body.getString("limits");
        return runnerOnly(call, j -> ctx.jobs().start(j.id(), j.node(), limits));
    }

    private Future<Reply> renew(Call call) {
        return runnerOnly(call, j -> ctx.jobs().renew(j.id(), j.node()));
    }

    private Future<Reply> finish(Call call) {
        JsonObject body = call.body();
        Integer exit = body.getInteger("exitCode");
        String error = body.getString("error");
        return runnerOnly(call, j -> ctx.jobs().finish(j.id(), j.node(), exit, error));
    }

    private static Reply answer(Result<Job> r) {
        return r.ok() ? Reply.ok(Views.job(r.value())) : Problems.of(r.rejection());
    }
}
