package io.ichiba.bench.http;

import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;

/**
 * The benchmark's operation against one server: {@code POST /v1/claims} of memory 1, disk 1 and lock {@code bench}
 * (no node: the broker chooses), then, while the answer is QUEUED, {@code GET /v1/claims/{id}?waitSeconds=..} until
 * it is GRANTED; and afterwards {@code POST /v1/claims/{id}/release}.
 */
final class ClaimCycle {
    /** The claim every operation sends. */
    static final String CLAIM = "{\"bundle\":{\"memory\":1,\"disk\":1,\"locks\":[\"bench\"]},\"priority\":5,"
            + "\"leaseSeconds\":60}";
    /** How long one long-poll asks the server to wait. */
    static final int WAIT_SECONDS = 10;
    /** A request that hears nothing for this long fails (longer than a long-poll). */
    static final long IDLE_MILLIS = (WAIT_SECONDS + 10) * 1000L;

    private final Http http;
    private final String token;

    /** Operations sent with bearer {@code token}. */
    ClaimCycle(Http http, String token) {
        this.http = http;
        this.token = token;
    }

    /** Claims at {@code url} and completes with the claim's id once it is GRANTED; fails if it ends otherwise. */
    Future<String> grant(String url) {
        return http.call(HttpMethod.POST, url + "/v1/claims", token, CLAIM, IDLE_MILLIS)
                .compose(a -> follow(url, a.json()));
    }

    private Future<String> follow(String url, JsonObject claim) {
        String id = claim.getString("id");
        String state = claim.getString("state");
        if ("GRANTED".equals(state)) {
            return Future.succeededFuture(id);
        }
        if ("QUEUED".equals(state)) {
            return http.call(HttpMethod.GET, url + "/v1/claims/" + id + "?waitSeconds=" + WAIT_SECONDS, token, null,
                    IDLE_MILLIS).compose(a -> follow(url, a.json()));
        }
        return Future.failedFuture(new IllegalStateException("claim " + id + " is " + state + ", not GRANTED"));
    }

    /**
     * One whole operation at {@code url}, started (or intended to start) at {@code start} (System.nanoTime): the
     * grant is tallied when it comes, the release is not timed; completes when the release has answered. The
     * caller has counted it {@linkplain Tally#started started}.
     */
    Future<Void> once(String url, long start, Tally tally) {
        return grant(url).transform(granted -> {
            if (granted.failed()) {
                tally.claimFailed(start, granted.cause());
                tally.finished();
                return Future.succeededFuture();
            }
            tally.granted(start, System.nanoTime());
            return release(url, granted.result()).transform(released -> {
                if (released.failed()) {
                    tally.releaseFailed(start, released.cause());
                }
                tally.finished();
                return Future.succeededFuture();
            });
        });
    }

    /** Releases claim {@code id} at {@code url}. */
    Future<Void> release(String url, String id) {
        return http.call(HttpMethod.POST, url + "/v1/claims/" + id + "/release", token, null, IDLE_MILLIS)
                .mapEmpty();
    }
}
