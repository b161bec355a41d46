package io.ichiba.broker;

import io.ichiba.ledger.store.TableStore;
import io.vertx.core.http.HttpMethod;
import io.vertx.openapi.contract.Location;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A fuzz test generated from the contract (issue 14): every operation of {@code openapi.yaml} gets malformed
 * requests — junk path ids, query values of the wrong type or size, bodies that are not JSON, not objects, of the
 * wrong types or nested too deep, odd content types — as the operator, a tenant, an agent and nobody. Every answer
 * must be below 500, be a problem when it is an error, and be a status the contract documents for the operation;
 * and afterwards every table of the ledger must hold exactly what it held before. The seed is fixed (set
 * {@code -Dichiba.fuzz.seed} to try others) and printed with every failure.
 */
class ContractFuzzIT {
    private static final long SEED = Long.getLong("ichiba.fuzz.seed", 14);
    private static final int PER_OPERATION = 40;
    private static final List<String> JUNK = List.of("", " ", "x".repeat(300), "../../etc/passwd", "%00", "\u00fc\u00df",
            "' OR 1=1 --", "-1", "9".repeat(30), "null", "{}", "[]", "true", "1e309", "\uD83D\uDE00", "a/b", "..");

    private static TestBrokers cluster;
    private static Broker broker;
    private static Http op;
    private static Http tenant;
    private static Http agent;
    private static OpenAPIContract contract;

    @BeforeAll
    static void start() throws Exception {
        cluster = new TestBrokers();
        // no rate limit: thousands of requests from one token are the point here
        broker = cluster.start(c -> c.withSecurity(c.security().withLimits(0, 0, 0, 0)));
        op = TestBrokers.operator(broker);
        World world = new World(op);
        tenant = world.tenant(World.name("t"), 4096, 4096);
        agent = world.node(World.name("n"), 4096, 4096);
        contract = io.ichiba.broker.http.Contract.load(broker.vertx()).toCompletionStage().toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    @Test
    void malformedRequestsToEveryOperationAreAnsweredAsTheContractSaysAndChangeNothing() {
        Map<String, Map<String, Object>> before = settled();
        Random random = new Random(SEED);
        List<String> failures = new ArrayList<>();
        int sent = 0;
        for (Operation o : contract.operations()) {
            if (o.getSecurityRequirements().stream().anyMatch(io.vertx.openapi.contract.SecurityRequirement::isEmpty)) {
                continue; // health, ready, metrics: they take nothing
            }
            for (int i = 0; i < PER_OPERATION; i++) {
                Request r = malformed(o, random);
                Http.Answer a = r.caller.send(r.method, r.path, r.body, r.headers);
                sent++;
                String what = "seed " + SEED + ": " + o.getOperationId() + " " + r.method + " " + r.path + " body="
                        + abbreviate(r.body) + " headers=" + r.headers + " -> " + a.status() + " " + abbreviate(a.raw());
                if (a.status() >= 500) {
                    failures.add("5xx: " + what);
                } else if (a.status() >= 400 && !a.headers().firstValue("Content-Type").orElse("")
                        .startsWith("application/problem+json")) {
                    failures.add("not a problem: " + what);
                } else if (!r.reshaped && o.getResponse(a.status()) == null && o.getDefaultResponse() == null) {
                    failures.add("not in the contract: " + what);
                }
            }
        }
        assertThat(failures).as(sent + " requests").isEmpty();
        assertThat(sent).isGreaterThan(2000);
        assertThat(settled()).as("what every table holds").isEqualTo(before);
    }

    /** A request, and whether its path may no longer be the operation's (a path id with a '/' in it). */
    private record Request(Http caller, String method, String path, Object body, Map<String, String> headers,
                           boolean reshaped) {
    }

    private static Request malformed(Operation o, Random random) {
        Http caller = switch (random.nextInt(10)) {
            case 0, 1, 2, 3, 4 -> op;
            case 5, 6, 7 -> tenant;
            case 8 -> agent;
            default -> new Http(op.base(), null);
        };
        String path = o.getOpenAPIPath();
        boolean reshaped = false;
        boolean junkSomewhere = false;
        StringBuilder query = new StringBuilder();
        for (Parameter p : o.getParameters()) {
            if (p.getIn() == Location.PATH) {
                String v = random.nextInt(4) == 0 ? junk(random) : "nope-" + Long.toHexString(random.nextLong());
                reshaped |= v.isEmpty() || v.contains("/") || v.equals("..");
                path = path.replace("{" + p.getName() + "}", URLEncoder.encode(v, StandardCharsets.UTF_8)
                        .replace("+", "%20").replace("%2F", "/"));
                junkSomewhere = true;
            } else if (p.getIn() == Location.QUERY && random.nextInt(3) > 0) {
                query.append(query.length() == 0 ? "?" : "&").append(p.getName()).append('=')
                        .append(URLEncoder.encode(junk(random), StandardCharsets.UTF_8));
            }
        }
        if (random.nextInt(5) == 0) {
            query.append(query.length() == 0 ? "?" : "&").append("unknown=").append(random.nextInt());
        }
        Map<String, String> headers = new HashMap<>();
        headers.put("Accept", "application/json");
        Object body = null;
        HttpMethod m = o.getHttpMethod();
        boolean takesBody = o.getRequestBody() != null;
        if (takesBody || (!junkSomewhere && m != HttpMethod.GET)) {
            body = junkBody(random);
            if (random.nextInt(8) == 0) {
                headers.put("Content-Type", random.nextBoolean() ? "text/plain" : "application/x-www-form-urlencoded");
            }
        }
        return new Request(caller, m.name(), path + query, body, headers, reshaped);
    }

    private static String junk(Random random) {
        return JUNK.get(random.nextInt(JUNK.size()));
    }

    /** A body that no operation takes: not JSON, not an object, of wrong types, nested too deep, or too large. */
    private static String junkBody(Random random) {
        return switch (random.nextInt(12)) {
            case 0 -> "{";
            case 1 -> "[]";
            case 2 -> "null";
            case 3 -> "\"a string\"";
            case 4 -> "12345678901234567890";
            case 5 -> "[".repeat(5000) + "]".repeat(5000);
            case 6 -> "{\"a\":".repeat(2000) + "1" + "}".repeat(2000);
            case 7 -> "{\"id\":{},\"quota\":\"lots\",\"bundle\":7,\"amount\":\"ten\",\"node\":[],\"price\":-1e400}";
            case 8 -> "{\"" + "k".repeat(70_000) + "\":1}";
            case 9 -> "not json at all";
            case 10 -> "{\"id\":" + random.nextLong() + ",\"name\":true,\"permits\":\"x\",\"eventType\":12}";
            default -> "\u0000\u0001\u0002";
        };
    }

    private static String abbreviate(Object s) {
        String t = String.valueOf(s);
        return t.length() > 160 ? t.substring(0, 160) + "…(" + t.length() + ")" : t;
    }

    /** Every table's entries, once two reads in a row agree (the dispatcher's cursor moves after the set-up). */
    private static Map<String, Map<String, Object>> settled() {
        List<Map<String, Map<String, Object>>> last = new ArrayList<>();
        List<String> moving = new ArrayList<>();
        try {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300)).until(() -> {
                Map<String, Map<String, Object>> now = tables();
                boolean same = !last.isEmpty() && last.get(0).equals(now);
                moving.clear();
                if (!last.isEmpty()) {
                    now.forEach((t, entries) -> {
                        if (!entries.equals(last.get(0).get(t))) {
                            moving.add(t + ": " + abbreviate(entries));
                        }
                    });
                }
                last.clear();
                last.add(now);
                return same;
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("the tables kept changing: " + moving, e);
        }
        return last.get(0);
    }

    private static Map<String, Map<String, Object>> tables() {
        Map<String, Map<String, Object>> out = new TreeMap<>();
        for (String name : TableStore.NAMES) {
            if (name.equals("books")) {
                continue; // a book changes with time (the sweep's prices and windows); its orders are in "orders"
            }
            Map<String, Object> entries = new TreeMap<>();
            // a record compares by value; another class by what the members would send of it
            TestBrokers.table(broker, name).entries().forEach((k, v) -> entries.put(k, v instanceof Record ? v
                    : java.util.Base64.getEncoder().encodeToString(
                            io.ichiba.ledger.hazelcast.KryoSerializer.toBytes(v))));
            out.put(name, entries);
        }
        return out;
    }
}
