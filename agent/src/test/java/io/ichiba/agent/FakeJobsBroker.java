package io.ichiba.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.ichiba.api.Model;
import io.ichiba.api.Wire;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A local HTTP server playing the broker's jobs API for one node's runner, with the broker's rules: the node's
 * STARTING and RUNNING jobs, long-polled until one is STARTING or has a cancel request; start only a STARTING job;
 * renew only a RUNNING one; finish ends a job (CANCELLED if a cancel was asked for) and is idempotent. The test sets
 * the jobs up, refuses starts, holds answers back and makes requests fail, and reads every request afterwards.
 */
final class FakeJobsBroker implements AutoCloseable {
    /** One request, with the time it arrived. */
    record Request(String method, String path, String query, JsonNode body, Instant at) {
        boolean is(String m, String p) {
            return method.equals(m) && path.equals(p);
        }
    }

    private static final Pattern JOB_PATH = Pattern.compile("^/v1/jobs/([^/]+)(/(start|renew|finish))?$");

    private final String node;
    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-broker");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Model.Job> jobs = new LinkedHashMap<>();
    private final Map<String, Integer> refuseStart = new HashMap<>();
    private final Map<String, CountDownLatch> holdStart = new HashMap<>();
    private final Map<String, Integer> failures = new HashMap<>();
    private final Map<String, Instant> startAnswered = new HashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();

    FakeJobsBroker(String node) throws IOException {
        this.node = node;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(threads);
        server.createContext("/", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    // ---------------------------------------------------------------- set-up by the test

    /** A job granted on the node: STARTING. */
    synchronized void starting(String id, long leaseSeconds, Map<String, String> env, String... command) {
        put(job(id, "STARTING", leaseSeconds, env, List.of(command)));
    }

    /** A job of {@code tenant} waiting to be started on the node. */
    synchronized void startingFor(String tenant, String id, String... command) {
        Model.Job j = job(id, "STARTING", 5, Map.of(), List.of(command));
        put(new Model.Job(j.id(), tenant, j.state(), j.reason(), j.node(), j.command(), j.env(), j.bundle(),
                j.priority(), j.leaseSeconds(), j.cancelRequested(), j.exitCode(), j.createdAt(), j.startedAt(),
                j.endedAt()));
    }

    /** A job already RUNNING on the node (as after a runner restart). */
    synchronized void running(String id, long leaseSeconds, String... command) {
        Model.Job j = job(id, "RUNNING", leaseSeconds, Map.of(), List.of(command));
        put(with(j, "RUNNING", null, false, null, Instant.now(), null));
    }

    /** The next start of {@code id} is answered 409, as for a job that must not start. */
    synchronized void refuseStart(String id) {
        refuseStart.put(id, 409);
    }

    /** The start of {@code id} is answered only once {@code latch} is counted down. */
    synchronized void holdStart(String id, CountDownLatch latch) {
        holdStart.put(id, latch);
    }

    /** The next {@code n} requests {@code METHOD path} (path without query) are answered 503. */
    synchronized void fail(String method, String path, int n) {
        failures.put(method + " " + path, n);
    }

    /** The tenant cancels: a STARTING job ends, a RUNNING one gets a cancel request. */
    synchronized void cancel(String id) {
        Model.Job j = jobs.get(id);
        if (j.state().equals("STARTING")) {
            put(with(j, "CANCELLED", "CANCELLED", true, null, null, Instant.now()));
        } else if (j.state().equals("RUNNING")) {
            put(with(j, "RUNNING", null, true, null, j.startedAt(), null));
        }
    }

    /** The job's claim ends on the broker (e.g. LOST with NODE_LOST, FAILED with LEASE_EXPIRED). */
    synchronized void end(String id, String state, String reason) {
        Model.Job j = jobs.get(id);
        put(with(j, state, reason, j.cancelRequested(), null, j.startedAt(), Instant.now()));
    }

    /** The job as the broker has it now. */
    synchronized Model.Job job(String id) {
        return jobs.get(id);
    }

    /** When the broker answered the job's start with 200, or {@code null}. */
    synchronized Instant startAnswered(String id) {
        return startAnswered.get(id);
    }

    List<Request> requests() {
        return requests;
    }

    /** The requests {@code METHOD path}. */
    List<Request> requests(String method, String path) {
        return requests.stream().filter(r -> r.is(method, path)).toList();
    }

    /** The bodies of the finishes of job {@code id}. */
    List<JsonNode> finishes(String id) {
        return requests("POST", "/v1/jobs/" + id + "/finish").stream().map(Request::body).toList();
    }

    // ---------------------------------------------------------------- the API

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] in = ex.getRequestBody().readAllBytes();
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            requests.add(new Request(method, path, ex.getRequestURI().getRawQuery(),
                    in.length == 0 ? null : Wire.JSON.readTree(in), Instant.now()));
            Object[] answer = failed(method + " " + path) ? new Object[] {503, problem(503, "UNAVAILABLE", "on purpose")}
                    : route(method, path, ex.getRequestURI().getRawQuery(), in);
            int status = (Integer) answer[0];
            byte[] out = Wire.JSON.writeValueAsBytes(answer[1]);
            ex.getResponseHeaders().set("Content-Type", status < 300 ? "application/json" : "application/problem+json");
            ex.sendResponseHeaders(status, out.length);
            ex.getResponseBody().write(out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized boolean failed(String key) {
        Integer n = failures.get(key);
        if (n == null || n <= 0) {
            return false;
        }
        failures.put(key, n - 1);
        return true;
    }

    private Object[] route(String method, String path, String query, byte[] body)
            throws IOException, InterruptedException {
        if (method.equals("GET") && path.equals("/v1/nodes/" + node + "/jobs")) {
            return new Object[] {200, new Model.Items<>(nodeJobs(waitSeconds(query)))};
        }
        Matcher m = JOB_PATH.matcher(path);
        if (!m.matches()) {
            return new Object[] {404, problem(404, "NOT_FOUND", "no route " + method + " " + path)};
        }
        String id = m.group(1);
        String op = m.group(3);
        if (op == null && method.equals("GET")) {
            Model.Job j = job(id);
            return j == null ? new Object[] {404, problem(404, "NOT_FOUND", "no job " + id)} : new Object[] {200, j};
        }
        if ("start".equals(op)) {
            CountDownLatch hold;
            synchronized (this) {
                hold = holdStart.get(id);
            }
            if (hold != null) {
                hold.await(10, TimeUnit.SECONDS);
            }
            return start(id);
        }
        if ("renew".equals(op)) {
            return renew(id);
        }
        if ("finish".equals(op)) {
            return finish(id, Wire.JSON.readValue(body, Model.JobFinish.class));
        }
        return new Object[] {404, problem(404, "NOT_FOUND", "no route " + method + " " + path)};
    }

    private List<Model.Job> nodeJobs(int waitSeconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(waitSeconds);
        synchronized (this) {
            while (true) {
                List<Model.Job> mine = new ArrayList<>();
                for (Model.Job j : jobs.values()) {
                    if (j.state().equals("STARTING") || j.state().equals("RUNNING")) {
                        mine.add(j);
                    }
                }
                long left = deadline - System.nanoTime();
                boolean news = mine.stream().anyMatch(j -> j.state().equals("STARTING") || j.cancelRequested());
                if (news || left <= 0) {
                    return mine;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }
    }

    private synchronized Object[] start(String id) {
        Model.Job j = jobs.get(id);
        if (j == null) {
            return new Object[] {404, problem(404, "NOT_FOUND", "no job " + id)};
        }
        if (refuseStart.remove(id) != null || !(j.state().equals("STARTING") || j.state().equals("RUNNING"))
                || j.cancelRequested()) {
            return new Object[] {409, problem(409, "WRONG_STATE", "the job is " + j.state() + ": it must not start")};
        }
        Model.Job running = with(j, "RUNNING", null, false, null, Instant.now(), null);
        put(running);
        startAnswered.put(id, Instant.now());
        return new Object[] {200, running};
    }

    private synchronized Object[] renew(String id) {
        Model.Job j = jobs.get(id);
        if (j == null) {
            return new Object[] {404, problem(404, "NOT_FOUND", "no job " + id)};
        }
        if (!j.state().equals("RUNNING")) {
            return new Object[] {409, problem(409, "WRONG_STATE", "the claim is not granted: " + j.state())};
        }
        return new Object[] {200, j};
    }

    private synchronized Object[] finish(String id, Model.JobFinish f) {
        Model.Job j = jobs.get(id);
        if (j == null) {
            return new Object[] {404, problem(404, "NOT_FOUND", "no job " + id)};
        }
        if (List.of("SUCCEEDED", "FAILED", "CANCELLED", "LOST").contains(j.state())) {
            return new Object[] {200, j};
        }
        String state;
        String reason;
        if (j.cancelRequested()) {
            state = "CANCELLED";
            reason = "CANCELLED";
        } else if (f.exitCode() != null && f.exitCode() == 0) {
            state = "SUCCEEDED";
            reason = null;
        } else {
            state = "FAILED";
            reason = f.exitCode() != null ? "EXIT_" + f.exitCode() : "ERROR: " + f.error();
        }
        Model.Job ended = with(j, state, reason, j.cancelRequested(), f.exitCode(), j.startedAt(), Instant.now());
        put(ended);
        return new Object[] {200, ended};
    }

    // ---------------------------------------------------------------- helpers

    private void put(Model.Job j) {
        jobs.put(j.id(), j);
        notifyAll();
    }

    private Model.Job job(String id, String state, long lease, Map<String, String> env, List<String> command) {
        return new Model.Job(id, "team-a", state, null, node, command, env,
                Model.Bundle.of(Map.of("memory", 100L), null), 0, lease, false, null, Instant.now(), null, null);
    }

    private static Model.Job with(Model.Job j, String state, String reason, boolean cancel, Integer exit,
                                  Instant started, Instant ended) {
        return new Model.Job(j.id(), j.tenant(), state, reason, j.node(), j.command(), j.env(), j.bundle(),
                j.priority(), j.leaseSeconds(), cancel, exit, j.createdAt(), started, ended);
    }

    private static int waitSeconds(String query) {
        if (query == null) {
            return 0;
        }
        for (String kv : query.split("&")) {
            if (kv.startsWith("waitSeconds=")) {
                return Integer.parseInt(kv.substring("waitSeconds=".length()));
            }
        }
        return 0;
    }

    private static Model.Problem problem(int status, String code, String detail) {
        return new Model.Problem("urn:ichiba:problem:test", "fake broker", status, detail, code, null);
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }

    @Override
    public String toString() {
        return "FakeJobsBroker" + requests;
    }
}
