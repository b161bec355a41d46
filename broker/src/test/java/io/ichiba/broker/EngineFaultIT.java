package io.ichiba.broker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.ichiba.api.Wire;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three broker processes under load from many clients that retry with their idempotency keys, while the engine's
 * member is killed ({@code kill -9}), or paused ({@code SIGSTOP}) past Hazelcast's failure detection and woken
 * ({@code SIGCONT}). Every request and answer is recorded; afterwards a checker verifies the laws over the history:
 * no pool was ever seen over-granted, every claim answered GRANTED is still held unless its release or cancel was
 * acknowledged (and then it is RELEASED or CANCELLED, never EXPIRED or gone), every answer to one idempotency key
 * names one claim, the audit (holdings and credits) is clean, and leases still end. Loopback only, bounded in time.
 */
class EngineFaultIT {
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(40);
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private static final int CLIENTS = 8;
    private static final long NODE_MEMORY = 40;
    private static final long CLAIM_MEMORY = 10;

    /** One answer seen by a client. */
    record Answer(String what, String member, int status, JsonNode body) {
        String state() {
            return body.path("state").asText(null);
        }

        String id() {
            return body.path("id").asText(null);
        }
    }

    /** One client operation: a claim under one idempotency key, then its release or cancel. */
    static final class Op {
        final String key = UUID.randomUUID().toString();
        final List<Answer> answers = new ArrayList<>();
        String id;
        boolean sawGranted;
        boolean released;
        boolean cancelled;
    }

    private final ConcurrentLinkedQueue<Op> history = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> overGrants = new ConcurrentLinkedQueue<>();
    private final AtomicInteger samples = new AtomicInteger();
    private final AtomicInteger grantsAfterFault = new AtomicInteger();
    private volatile boolean faulted;

    @Test
    void killingTheEngineMemberUnderLoadBreaksNoLaw() throws Exception {
        try (BrokerProcesses cluster = new BrokerProcesses()) {
            List<BrokerProcesses.Member> members = cluster.start(3);
            run(cluster, members, engine -> {
                engine.kill();
                return Duration.ofSeconds(20);
            });
        }
    }

    @Test
    void pausingTheEngineMemberPastFailureDetectionBreaksNoLaw() throws Exception {
        try (BrokerProcesses cluster = new BrokerProcesses()) {
            List<BrokerProcesses.Member> members = cluster.start(3);
            run(cluster, members, engine -> {
                engine.signal("STOP");
                engine.gone = true; // the clients stop choosing it; it may answer them still once woken
                await("another member took the engine over").atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(500))
                        .until(() -> members.stream().filter(m -> m != engine).anyMatch(BrokerProcesses.Member::engine));
                engine.signal("CONT");
                return Duration.ofSeconds(10);
            });
        }
    }

    /** A fault done to the engine's member; answers how long the load goes on afterwards. */
    interface Fault {
        Duration apply(BrokerProcesses.Member engine) throws Exception;
    }

    private void run(BrokerProcesses cluster, List<BrokerProcesses.Member> members, Fault fault) throws Exception {
        World world = new World(members.get(0).operator);
        String tenantId = World.name("t");
        String tenantToken = world.tenant(tenantId, 1_000_000, 1_000_000).token();
        world.node(World.name("n"), NODE_MEMORY, 1_000);

        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS + 1);
        for (int i = 0; i < CLIENTS; i++) {
            pool.execute(() -> {
                while (running.get()) {
                    Op op = new Op();
                    history.add(op);
                    operate(op, members, tenantToken, running);
                }
            });
        }
        pool.execute(() -> {
            while (running.get()) {
                sample(members);
            }
        });

        await("load before the fault").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> history.stream().filter(o -> o.released).count() >= 10);
        BrokerProcesses.Member engine = members.stream().filter(BrokerProcesses.Member::engine).findFirst()
                .orElseThrow();
        faulted = true;
        Duration after = fault.apply(engine);
        try {
            await("grants after the fault").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                    .until(() -> grantsAfterFault.get() >= 10);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            dump(members);
            throw e;
        }
        long until = System.nanoTime() + after.toNanos();
        await("the load after the fault").atMost(after.plusSeconds(10)).until(() -> System.nanoTime() >= until);
        running.set(false);
        pool.shutdown();
        assertThat(pool.awaitTermination(120, TimeUnit.SECONDS)).as("the clients stopped").isTrue();

        try {
            check(members, engine, tenantToken);
        } catch (AssertionError e) {
            System.err.println("the members' logs are kept in " + cluster.keepLogs() + "; the engine was "
                    + engine.base() + " (broker-" + engine.index + ")");
            throw e;
        }
    }


    /** Prints what each member logged since the fault began (WARN and above, and the engine's moves). */
    private static void dump(List<BrokerProcesses.Member> members) {
        for (BrokerProcesses.Member m : members) {
            List<String> lines = m.output.stream().filter(l -> l.contains("WARN") || l.contains("ERROR")
                    || l.contains("engine") || l.contains("Exception")).toList();
            System.err.println("---- broker " + m.index + " (" + lines.size() + " lines of note)");
            lines.subList(Math.max(0, lines.size() - 150), lines.size()).forEach(System.err::println);
        }
    }

    private static BrokerProcesses.Member pick(List<BrokerProcesses.Member> members) {
        List<BrokerProcesses.Member> live = members.stream().filter(m -> !m.gone).toList();
        return live.get(ThreadLocalRandom.current().nextInt(live.size()));
    }

    private static Answer send(BrokerProcesses.Member m, String token, String method, String path, Object body,
                               String key, String what) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(m.base() + path)).timeout(REQUEST_TIMEOUT)
                    .header("Authorization", "Bearer " + token);
            if (key != null) {
                b.header("Idempotency-Key", key);
            }
            if (body != null) {
                b.header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofString(Wire.JSON.writeValueAsString(body)));
            } else {
                b.method(method, HttpRequest.BodyPublishers.noBody());
            }
            HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode json = r.body() == null || r.body().isEmpty() ? NullNode.getInstance()
                    : Wire.JSON.readTree(r.body());
            return new Answer(what, m.base(), r.statusCode(), json);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(what, m.base(), -1, NullNode.getInstance());
        } catch (Exception e) {
            return new Answer(what, m.base(), -1, NullNode.getInstance()); // no answer: the outcome is unknown
        }
    }

    /** Sends until a 2xx or a 4xx answer (retrying no answer and 503 on any live member), within a bound. */
    private Answer until(Op op, List<BrokerProcesses.Member> members, String token, String method, String path,
                         Object body, String key, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        Answer a;
        do {
            a = send(pick(members), token, method, path, body, key, what);
            synchronized (op) {
                op.answers.add(a);
            }
            // 409 IDEMPOTENCY_IN_PROGRESS: the first attempt under this key still runs (maybe on the member that is
            // failing) and may yet create the claim: retried, not given up (a claim given up holds its memory for its
            // whole lease, and four of them fill the node)
            boolean inProgress = a.status() == 409 && "IDEMPOTENCY_IN_PROGRESS".equals(a.body().path("code").asText());
            if (a.status() >= 200 && a.status() < 500 && !inProgress) {
                return a;
            }
        } while (System.nanoTime() < deadline);
        return a;
    }

    private void operate(Op op, List<BrokerProcesses.Member> members, String token, AtomicBoolean running) {
        Map<String, Object> claim = Map.of("bundle", Map.of("memory", CLAIM_MEMORY, "disk", 1), "leaseSeconds", 300);
        Answer created = until(op, members, token, "POST", "/v1/claims", claim, op.key, "create");
        if (created.status() != 201 && created.status() != 200) {
            return;
        }
        op.id = created.id();
        String state = created.state();
        for (int i = 0; i < 4 && "QUEUED".equals(state) && running.get(); i++) {
            Answer polled = until(op, members, token, "GET", "/v1/claims/" + op.id + "?waitSeconds=2", null, null,
                    "poll");
            state = polled.status() == 200 ? polled.state() : state;
        }
        if ("GRANTED".equals(state)) {
            op.sawGranted = true;
            if (faulted) {
                grantsAfterFault.incrementAndGet();
            }
            Answer r = until(op, members, token, "POST", "/v1/claims/" + op.id + "/release", Map.of(),
                    UUID.randomUUID().toString(), "release");
            op.released = r.status() == 200;
        } else {
            Answer c = until(op, members, token, "DELETE", "/v1/claims/" + op.id, null,
                    UUID.randomUUID().toString(), "cancel");
            op.cancelled = c.status() == 200;
            op.sawGranted |= "GRANTED".equals(c.state());
        }
    }

    private void sample(List<BrokerProcesses.Member> members) {
        Answer a = send(pick(members), TestBrokers.OPERATOR, "GET", "/v1/pools", null, null, "pools");
        if (a.status() != 200) {
            return;
        }
        samples.incrementAndGet();
        for (JsonNode p : a.body().path("items")) {
            if (p.path("granted").asLong() > p.path("capacity").asLong()) {
                overGrants.add(p.toString());
            }
        }
    }


    private void check(List<BrokerProcesses.Member> members, BrokerProcesses.Member faulty, String token) {
        BrokerProcesses.Member judge = members.stream().filter(m -> m != faulty).findFirst().orElseThrow();
        assertThat(samples.get()).as("pool samples taken").isPositive();
        assertThat(overGrants).as("pools seen over-granted").isEmpty();

        List<String> violations = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        Map<String, String> states = new HashMap<>();
        Set<String> seenGranted = new HashSet<>();
        int granted = 0;
        for (Op op : history) {
            Set<String> named = new HashSet<>();
            for (Answer a : op.answers) {
                if (a.what().equals("create") && (a.status() == 200 || a.status() == 201)) {
                    named.add(a.id());
                }
                op.sawGranted |= a.status() == 200 && "GRANTED".equals(a.state());
            }
            if (named.size() > 1) {
                violations.add("key " + op.key + " answered with claims " + named);
            }
            if (op.id == null) {
                continue;
            }
            ids.add(op.id);
            granted += op.sawGranted ? 1 : 0;
            Answer now = send(judge, token, "GET", "/v1/claims/" + op.id, null, null, "check");
            String state = now.state();
            if (now.status() == 200) {
                states.put(op.id, state);
            }
            if (op.sawGranted) {
                seenGranted.add(op.id);
            }
            if (now.status() != 200) {
                violations.add("claim " + op.id + " answered before is now " + now.status() + "; answers: "
                        + op.answers.stream().map(a -> a.what() + " " + a.member() + " " + a.status() + " "
                        + a.state()).toList());
            } else if (op.released && !"RELEASED".equals(state)) {
                violations.add("claim " + op.id + " released (acknowledged) is " + state);
            } else if (op.cancelled && !"CANCELLED".equals(state) && !"RELEASED".equals(state)) {
                violations.add("claim " + op.id + " cancelled (acknowledged) is " + state);
            } else if (op.sawGranted && !op.released && !op.cancelled
                    && !List.of("GRANTED", "RELEASED", "CANCELLED").contains(state)) {
                violations.add("claim " + op.id + " answered GRANTED is " + state + " though nobody ended it");
            }
        }
        long unanswered = history.stream().flatMap(o -> o.answers.stream()).filter(a -> a.status() < 0).count();
        long unavailable = history.stream().flatMap(o -> o.answers.stream()).filter(a -> a.status() == 503).count();
        org.slf4j.LoggerFactory.getLogger(EngineFaultIT.class).info(
                "history: {} claims, {} seen granted ({} after the fault), {} no-answer, {} 503, {} pool samples",
                ids.size(), granted, grantsAfterFault.get(), unanswered, unavailable, samples.get());
        assertThat(violations).as("laws over %d claims (%d seen granted)", ids.size(), granted).isEmpty();
        assertThat(granted).as("claims granted").isGreaterThan(20);
        checkEvents(judge, token, states, seenGranted);

        Answer audit = send(judge, TestBrokers.OPERATOR, "GET", "/v1/audit", null, null, "audit");
        assertThat(audit.status()).as(audit.toString()).isEqualTo(200);
        assertThat(audit.body().path("drift").size()).as("audit drift: %s", audit.body()).isZero();
        assertThat(audit.body().path("ok").asBoolean()).as("audit: %s", audit.body()).isTrue();

        // leases still end, on the engine that took over
        Answer shortLease = send(judge, token, "POST", "/v1/claims",
                Map.of("bundle", Map.of("memory", 1, "disk", 1), "leaseSeconds", 1), null, "short lease");
        assertThat(shortLease.status()).as(shortLease.toString()).isEqualTo(201);
        await("a 1 s lease ends").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .until(() -> "EXPIRED".equals(send(judge, token, "GET", "/v1/claims/" + shortLease.id(), null, null,
                        "expiry").state()));
    }

    /**
     * The event log over the history: every claim's events are in it (none lost: their numbers run from 0 without a
     * gap), each first appears in the order the claim changed (a duplicate, appended again by an engine that took
     * over, has the same id and type), the last says the state the claim is in, a claim answered GRANTED has its
     * {@code claim.granted}, and no event is about a claim the cluster does not hold (nothing published for a batch
     * that was not journaled).
     */
    private void checkEvents(BrokerProcesses.Member judge, String token, Map<String, String> states,
                             Set<String> seenGranted) {
        List<JsonNode> log = new ArrayList<>();
        long after = -1;
        for (int page = 0; page < 1_000; page++) {
            Answer a = send(judge, token, "GET", "/v1/events?limit=1000&after=" + after, null, null, "events");
            assertThat(a.status()).as(a.toString()).isEqualTo(200);
            if (page == 0) {
                assertThat(a.body().path("oldest").asLong()).as("the log dropped nothing").isLessThanOrEqualTo(0);
            }
            a.body().path("items").forEach(e -> {
                if (e.path("id").asText().startsWith("claim:")) {
                    log.add(e);
                }
            });
            if (a.body().path("items").isEmpty()) {
                break;
            }
            after = a.body().path("next").asLong();
        }
        Map<String, List<JsonNode>> bySubject = new HashMap<>();
        for (JsonNode e : log) {
            bySubject.computeIfAbsent(e.path("subject").asText(), k -> new ArrayList<>()).add(e);
        }
        List<String> violations = new ArrayList<>();
        long duplicates = 0;
        for (Map.Entry<String, List<JsonNode>> s : bySubject.entrySet()) {
            String claim = s.getKey();
            String state = states.get(claim);
            if (state == null) {
                Answer now = send(judge, token, "GET", "/v1/claims/" + claim, null, null, "event's claim");
                if (now.status() != 200) {
                    violations.add("events about claim " + claim + ", which is " + now.status() + ": "
                            + s.getValue().stream().map(e -> e.path("type").asText()).toList());
                    continue;
                }
                state = now.state();
            }
            Map<Long, String> types = new HashMap<>();
            long highest = -1;
            String last = null;
            for (JsonNode e : s.getValue()) {
                String id = e.path("id").asText();
                long n = Long.parseLong(id.substring(id.lastIndexOf(':') + 1));
                String type = e.path("type").asText();
                String before = types.putIfAbsent(n, type);
                if (before != null) {
                    duplicates++;
                    if (!before.equals(type)) {
                        violations.add("event " + id + " is " + before + " and " + type);
                    }
                } else if (n != highest + 1) {
                    violations.add("claim " + claim + "'s event " + n + " (" + type + ") follows " + highest
                            + ": lost or out of order");
                } else {
                    highest = n;
                    last = type;
                }
            }
            // an ended claim stays as it is; one still queued or granted might move between the two reads
            boolean live = List.of("QUEUED", "GRANTED").contains(state);
            if (live ? !List.of("claim.queued", "claim.granted").contains(last)
                    : !("claim." + state.toLowerCase(java.util.Locale.ROOT)).equals(last)) {
                violations.add("claim " + claim + " is " + state + " but its last event is " + last);
            }
            if (seenGranted.contains(claim) && !types.containsValue("claim.granted")) {
                violations.add("claim " + claim + " answered GRANTED has no claim.granted event");
            }
        }
        for (String claim : states.keySet()) {
            if (!bySubject.containsKey(claim)) {
                violations.add("claim " + claim + " (" + states.get(claim) + ") has no event");
            }
        }
        org.slf4j.LoggerFactory.getLogger(EngineFaultIT.class).info(
                "event log: {} claim events about {} claims, {} appended twice", log.size(), bySubject.size(),
                duplicates);
        assertThat(violations).as("the event log over %d claims", bySubject.size()).isEmpty();
    }
}
