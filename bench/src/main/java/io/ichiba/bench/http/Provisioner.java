package io.ichiba.bench.http;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Provisions a broker for the benchmarks over its API, as the operator and the agents would: a tenant with a quota
 * far above any run, {@code nodes} agents each reporting once (memory and disk, so pools {@code memory@node-i} and
 * {@code disk@node-i}), and the lock {@code bench}. Agents are created and report {@code concurrency} at a time.
 */
final class Provisioner {
    /** The tenant's quota of memory and of disk, and each node's allocatable amounts (MiB). */
    static final long HUGE = 1L << 40;

    private final Http http;
    private final String url;
    private final String operatorToken;

    /** Provisions the broker at {@code url} with the operator's token. */
    Provisioner(Http http, String url, String operatorToken) {
        this.http = http;
        this.url = url;
        this.operatorToken = operatorToken;
    }

    /** Creates tenant {@code tenant} and answers its token. */
    Future<String> tenant(String tenant) {
        JsonObject body = new JsonObject().put("id", tenant)
                .put("quota", new JsonObject().put("memory", HUGE).put("disk", HUGE));
        return http.call(HttpMethod.POST, url + "/v1/tenants", operatorToken, body.encode(), 30_000)
                .map(a -> a.json().getString("token"));
    }

    /** Creates lock {@code name} with {@code permits}. */
    Future<Void> lock(String name, long permits) {
        JsonObject body = new JsonObject().put("name", name).put("permits", permits);
        return http.call(HttpMethod.POST, url + "/v1/locks", operatorToken, body.encode(), 30_000).mapEmpty();
    }

    /** Creates the agents of {@code node-1..node-<nodes>} and reports each node once. */
    Future<Void> nodes(int nodes, int concurrency) {
        AtomicInteger next = new AtomicInteger(1);
        Promise<Void> all = Promise.promise();
        AtomicInteger running = new AtomicInteger(Math.min(concurrency, nodes));
        for (int w = 0; w < Math.min(concurrency, nodes); w++) {
            nextNode(next, nodes, running, all);
        }
        return all.future();
    }

    private void nextNode(AtomicInteger next, int nodes, AtomicInteger running, Promise<Void> all) {
        int i = next.getAndIncrement();
        if (i > nodes) {
            if (running.decrementAndGet() == 0) {
                all.tryComplete();
            }
            return;
        }
        node("node-" + i).onSuccess(v -> nextNode(next, nodes, running, all)).onFailure(all::tryFail);
    }

    private Future<Void> node(String node) {
        JsonObject amounts = new JsonObject().put("memory", HUGE).put("disk", HUGE);
        String report = new JsonObject().put("allocatable", amounts).put("free", amounts).encode();
        return http.call(HttpMethod.POST, url + "/v1/agents", operatorToken,
                        new JsonObject().put("node", node).encode(), 30_000)
                .compose(a -> http.call(HttpMethod.PUT, url + "/v1/nodes/" + node + "/report",
                        a.json().getString("token"), report, 30_000))
                .mapEmpty();
    }
}
