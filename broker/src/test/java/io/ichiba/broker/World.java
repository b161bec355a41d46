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

    /** Asserts the audit finds no drift. */
    public void assertAuditClean() {
        Http.Answer a = operator.get("/v1/audit");
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.body().get("ok").asBoolean()).as(a.toString()).isTrue();
        assertThat(a.body().get("drift")).isEmpty();
    }

    /** Asserts no pool holds more than its capacity. */
    public void assertNoOverGrant() {
        for (JsonNode p : pools()) {
            assertThat(p.get("granted").asLong()).as(p.toString()).isLessThanOrEqualTo(p.get("capacity").asLong());
        }
    }
}
