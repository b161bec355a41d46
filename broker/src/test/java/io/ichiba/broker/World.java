package io.ichiba.broker;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** Sets up tenants, agents, nodes and locks through the public API, as an operator and agents would. */
public final class World {
    private final Http operator;

    /** A world driven through {@code operator}. */
    public World(Http operator) {
        this.operator = operator;
    }

    /** A unique name with a readable prefix. */
    public static String name(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Creates a tenant and returns a client acting as it. */
    public Http tenant(String id, long memory, long disk) {
        Http.Answer a = operator.post("/v1/tenants", Map.of("id", id, "quota", Map.of("memory", memory, "disk", disk)));
        assertThat(a.status()).as(a.toString()).isEqualTo(201);
        return operator.as(a.text("token"));
    }

    /** Creates a node's agent, reports its capacity, and returns a client acting as the agent. */
    public Http node(String node, long memory, long disk) {
        Http.Answer a = operator.post("/v1/agents", Map.of("node", node));
        assertThat(a.status()).as(a.toString()).isEqualTo(201);
        Http agent = operator.as(a.text("token"));
        report(agent, node, memory, disk);
        return agent;
    }

    /** Reports a node's allocatable (and free) memory and disk. */
    public static void report(Http agent, String node, long memory, long disk) {
        Map<String, Long> amounts = Map.of("memory", memory, "disk", disk);
        Http.Answer r = agent.put("/v1/nodes/" + node + "/report", Map.of("allocatable", amounts, "free", amounts));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
    }

    /**
     * Reports a node every 300 ms, as a live agent does, so that it is not lost; shut the answer down to stop.
     */
    public static java.util.concurrent.ScheduledExecutorService heartbeat(Http agent, String node, long memory) {
        var s = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        s.scheduleAtFixedRate(() -> report(agent, node, memory, memory), 0, 300,
                java.util.concurrent.TimeUnit.MILLISECONDS);
        return s;
    }

    /** Creates a lock. */
    public void lock(String name, int permits) {
        Http.Answer a = operator.post("/v1/locks", Map.of("name", name, "permits", permits));
        assertThat(a.status()).as(a.toString()).isEqualTo(201);
    }

    /** A claim body. */
    public static Map<String, Object> claim(long memory, long disk, List<String> locks, int priority, int lease,
                                            String node) {
        Map<String, Object> bundle = new HashMap<>();
        if (memory > 0) {
            bundle.put("memory", memory);
        }
        if (disk > 0) {
            bundle.put("disk", disk);
        }
        if (!locks.isEmpty()) {
            bundle.put("locks", locks);
        }
        Map<String, Object> body = new HashMap<>(Map.of("bundle", bundle, "priority", priority, "leaseSeconds", lease));
        if (node != null) {
            body.put("node", node);
        }
        return body;
    }

    /** A job body: {@code command} run with a claim of {@code memory} MiB (on {@code node} if not null). */
    public static Map<String, Object> job(long memory, String node, int lease, List<String> command) {
        Map<String, Object> body = claim(memory, 0, List.of(), 1, lease, node);
        body.put("command", command);
        return body;
    }

    /** Returns the ids of a list answer's items, asserting the answer is a 200. */
    public static List<String> ids(Http.Answer list) {
        assertThat(list.status()).as(list.toString()).isEqualTo(200);
        List<String> out = new ArrayList<>();
        list.body().get("items").forEach(c -> out.add(c.get("id").asText()));
        return out;
    }

    /** Returns a pool's JSON. */
    public JsonNode pool(String id) {
        Http.Answer a = operator.get("/v1/pools/" + id);
        assertThat(a.status()).as(a.toString()).isEqualTo(200);
        return a.body();
    }

    /** Returns every pool's JSON. */
    public List<JsonNode> pools() {
        List<JsonNode> out = new ArrayList<>();
        operator.get("/v1/pools").body().get("items").forEach(out::add);
        return out;
    }

    /** Mints {@code amount} credits for {@code tenant} as the operator (with {@code key} if not null); asserts a 201. */
    public Http.Answer mint(String tenant, long amount, String key) {
        Map<String, String> headers = key == null ? Map.of() : Map.of("Idempotency-Key", key);
        Http.Answer a = operator.post("/v1/tenants/" + tenant + "/credits", Map.of("amount", amount), headers);
        assertThat(a.status()).as(a.toString()).isEqualTo(201);
        return a;
    }

    /** Returns {@code GET /v1/accounts} as the operator sees it (every account, and what was minted). */
    public JsonNode accounts() {
        Http.Answer a = operator.get("/v1/accounts");
        assertThat(a.status()).as(a.toString()).isEqualTo(200);
        return a.body();
    }

    /** Returns a tenant's account as the operator sees it. */
    public JsonNode account(String tenant) {
        Http.Answer a = operator.get("/v1/tenants/" + tenant + "/account");
        assertThat(a.status()).as(a.toString()).isEqualTo(200);
        return a.body();
    }

    /** Returns the credit part of a clean audit ({@code minted}, {@code total}, {@code inFlight}). */
    public JsonNode assertCreditsClean() {
        Http.Answer a = operator.get("/v1/audit");
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.body().get("ok").asBoolean()).as(a.toString()).isTrue();
        JsonNode credits = a.body().get("credits");
        assertThat(credits.get("inFlight").asInt()).as(a.toString()).isZero();
        assertThat(credits.get("total").asLong()).as(a.toString()).isEqualTo(credits.get("minted").asLong());
        return credits;
    }

    /** Asserts the audit finds no drift. */
    public void assertAuditClean() {
        Http.Answer a = operator.get("/v1/audit");
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.body().get("ok").asBoolean()).as(a.toString()).isTrue();
        assertThat(a.body().get("drift")).isEmpty();
    }

    // ------------------------------------------------------------------ the market

    /** An offer body: lend {@code amount} of {@code kind} for up to {@code durationSeconds} at {@code >= minPrice}. */
    public static Map<String, Object> offer(String kind, long amount, long durationSeconds, long minPrice) {
        return new HashMap<>(Map.of("kind", kind, "amount", amount, "durationSeconds", durationSeconds,
                "minPrice", minPrice));
    }

    /** A bid body: borrow {@code amount} of {@code kind} for {@code durationSeconds} at {@code <= maxPrice}. */
    public static Map<String, Object> bid(String kind, long amount, long durationSeconds, long maxPrice) {
        return new HashMap<>(Map.of("kind", kind, "amount", amount, "durationSeconds", durationSeconds,
                "maxPrice", maxPrice));
    }

    /** A claim body (see {@link #claim}) with a funding: {@code mode}, {@code maxPrice} (0: none), {@code urgent}. */
    public static Map<String, Object> fundedClaim(long memory, int priority, int lease, String node, String mode,
                                                  long maxPrice, boolean urgent) {
        Map<String, Object> body = claim(memory, 0, List.of(), priority, lease, node);
        Map<String, Object> funding = new HashMap<>(Map.of("mode", mode));
        if (maxPrice > 0) {
            funding.put("maxPrice", maxPrice);
        }
        if (urgent) {
            funding.put("urgent", true);
        }
        body.put("funding", funding);
        return body;
    }

    /** Returns a tenant's whole statement (oldest first) as the operator reads it, every page. */
    public List<JsonNode> statement(String tenant) {
        List<JsonNode> lines = new ArrayList<>();
        String cursor = null;
        do {
            Http.Answer a = operator.get("/v1/tenants/" + tenant + "/statement?limit=1000"
                    + (cursor == null ? "" : "&cursor=" + cursor));
            assertThat(a.status()).as(a.toString()).isEqualTo(200);
            a.body().get("lines").forEach(lines::add);
            cursor = a.body().path("next").isNull() ? null : a.text("next");
        } while (cursor != null);
        return lines;
    }

    /** Returns {@code GET /v1/market/{kind}} (depth, spot and urgent price, last trade). */
    public JsonNode market(String kind) {
        Http.Answer a = operator.get("/v1/market/" + kind);
        assertThat(a.status()).as(a.toString()).isEqualTo(200);
        return a.body();
    }

    /** Returns every loan, ended ones included, as the operator sees them. */
    public List<JsonNode> loans() {
        Http.Answer a = operator.get("/v1/loans?all=true");
        assertThat(a.status()).as(a.toString()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        a.body().get("items").forEach(out::add);
        return out;
    }

    /** Returns one kind of a tenant account's map ({@code borrowed}, {@code lent}, {@code offered}…), 0 if absent. */
    public static long amountOf(JsonNode account, String map, String kind) {
        return account.path(map).path(kind).asLong(0);
    }

    /** Asserts no pool holds more than its capacity. */
    public void assertNoOverGrant() {
        for (JsonNode p : pools()) {
            assertThat(p.get("granted").asLong()).as(p.toString()).isLessThanOrEqualTo(p.get("capacity").asLong());
        }
    }
}
