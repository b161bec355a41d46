package io.ichiba.bench.http;

import io.ichiba.api.Model;
import io.ichiba.bench.redis.RedisGrants;
import io.ichiba.broker.http.Call;
import io.ichiba.broker.http.Problems;
import io.ichiba.broker.http.Reply;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code createClaim} and {@code releaseClaim} over {@link RedisGrants}: a bundle's kinds become the pools
 * {@code kind@node} (the requested node, else the next of {@code node-1..node-N} in turn: no placement), its locks
 * {@code lock:name}; one Lua script takes them all or none.
 *
 * <p>There is no queue: a bundle that does not fit now is refused with 409 {@code INSUFFICIENT_CAPACITY}, never
 * QUEUED. Release always answers 200 RELEASED (Redis keeps no claim after its release, so a second or unknown
 * release is not told apart); there are no leases, quotas, priorities, events or audit.
 */
final class RedisClaims {
    private final RedisGrants grants;
    private final int nodes;
    private final AtomicLong next = new AtomicLong();

    /** Serves claims from {@code grants}, over nodes {@code node-1..node-<nodes>}. */
    RedisClaims(RedisGrants grants, int nodes) {
        this.grants = grants;
        this.nodes = nodes;
    }

    /** Sets every pool of {@code nodes} nodes and the locks {@code locks} to {@code free}, after a flush. */
    static void provision(RedisGrants grants, int nodes, List<String> locks, long free) {
        grants.flush();
        for (int i = 1; i <= nodes; i++) {
            grants.setFree("memory@node-" + i, free);
            grants.setFree("disk@node-" + i, free);
        }
        locks.forEach(l -> grants.setFree("lock:" + l, free));
    }

    /** Takes the claim's bundle, all or nothing: 201 GRANTED with a fresh id, or 409. */
    Future<Reply> create(Call call) {
        JsonObject body = call.body();
        String node = body.getString("node");
        if (node == null) {
            node = "node-" + (1 + Math.floorMod(next.getAndIncrement(), nodes));
        }
        Map<String, Long> amounts = new TreeMap<>();
        List<String> locks = new ArrayList<>();
        List<String> pools = new ArrayList<>();
        List<Long> taken = new ArrayList<>();
        for (Map.Entry<String, Object> e : body.getJsonObject("bundle")) {
            if ("locks".equals(e.getKey())) {
                for (Object l : (JsonArray) e.getValue()) {
                    locks.add((String) l);
                    pools.add("lock:" + l);
                    taken.add(1L);
                }
            } else {
                long amount = ((Number) e.getValue()).longValue();
                amounts.put(e.getKey(), amount);
                pools.add(e.getKey() + "@" + node);
                taken.add(amount);
            }
        }
        String id = UUID.randomUUID().toString();
        String where = node;
        int priority = body.getInteger("priority", 0);
        long lease = body.getLong("leaseSeconds", 60L);
        return Future.fromCompletionStage(grants.acquire(id, pools, taken), Vertx.currentContext()).map(ok -> ok
                ? Reply.created(ClaimShapes.claim(id, "bench", Model.ClaimState.GRANTED, where,
                        amounts, locks, priority, lease))
                : Problems.of(409, "INSUFFICIENT_CAPACITY", "the bundle does not fit now (no queue in this baseline)"));
    }

    /** Gives back what the claim holds, once; answers 200 RELEASED. */
    Future<Reply> release(Call call) {
        String id = call.path("id");
        return Future.fromCompletionStage(grants.release(id), Vertx.currentContext())
                .map(x -> new Reply(200, ClaimShapes.json(id, Model.ClaimState.RELEASED)));
    }
}
