package io.ichiba.broker.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;

/**
 * What one caller (a tenant's token, an agent's) may take of a member at once, so that one cannot slow the others:
 * requests per second (a token bucket: {@code rate} a second, {@code burst} at once), open event streams, and
 * long-polls waiting. Over a limit is a 429 problem with {@code Retry-After}. The operator is not limited. Each
 * member counts its own: a caller spread over members may have that much on each.
 */
public final class CallerLimits {
    /** No limit. */
    public static final CallerLimits NONE = new CallerLimits(0, 0, 0, 0, limit -> { });

    private final long rate;
    private final long burst;
    private final int streams;
    private final int waits;
    private final java.util.function.Consumer<String> refused;
    private final Cache<String, Bucket> buckets = Caffeine.newBuilder().expireAfterAccess(Duration.ofMinutes(10))
            .maximumSize(100_000).build();
    /** Per caller, how many are open (absent: none); changed only inside the map's atomic compute. */
    private final ConcurrentMap<String, Integer> openStreams = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Integer> openWaits = new ConcurrentHashMap<>();

    /**
     * Limits of {@code rate} requests a second with bursts of {@code burst}, {@code streams} open event streams and
     * {@code waits} long-polls per caller; 0 is no limit. {@code refused} is told each refusal's limit ({@code rate},
     * {@code streams}, {@code waits}).
     */
    public CallerLimits(long rate, long burst, int streams, int waits, java.util.function.Consumer<String> refused) {
        this.refused = refused;
        this.rate = rate;
        this.burst = Math.max(burst, rate);
        this.streams = streams;
        this.waits = waits;
    }

    /** The router's handler (after authentication): a request over its caller's rate is a 429. */
    public void rate(RoutingContext rc) {
        Caller caller = rc.get(Authenticator.CALLER);
        if (rate <= 0 || caller == null || caller.operator()) {
            rc.next();
            return;
        }
        Bucket b = buckets.get(caller.key(), k -> Bucket.builder()
                .addLimit(l -> l.capacity(burst).refillGreedy(rate, Duration.ofSeconds(1))).build());
        ConsumptionProbe p = b.tryConsumeAndReturnRemaining(1);
        if (p.isConsumed()) {
            rc.next();
            return;
        }
        long seconds = Math.max(1, (p.getNanosToWaitForRefill() + 999_999_999L) / 1_000_000_000L);
        refused.accept("rate");
        rc.response().putHeader("Retry-After", String.valueOf(seconds));
        ApiRouter.send(rc, Problems.of(429, "RATE_LIMITED", "over " + rate + " requests a second (bursts of " + burst
                + ") for this token; retry after " + seconds + " s"));
    }

    /**
     * Opens an event stream for {@code call}'s caller if it has fewer than its limit open: answers whether it may,
     * and then {@link #streamClosed} must follow.
     */
    public boolean openStream(Call call) {
        return open(openStreams, streams, call);
    }

    /** The stream {@link #openStream} opened has ended. */
    public void streamClosed(Call call) {
        close(openStreams, call);
    }

    /**
     * Runs the long-poll {@code wait} if {@code call}'s caller has fewer than its limit waiting, else answers a 429
     * problem.
     */
    public Future<Reply> waiting(Call call, Supplier<Future<Reply>> wait) {
        if (!open(openWaits, waits, call)) {
            refused.accept("waits");
            call.rc().response().putHeader("Retry-After", "1");
            return Future.succeededFuture(Problems.of(429, "TOO_MANY_WAITS", "this token has " + waits
                    + " long-polls waiting on this member already: wait on fewer at once (or without waitSeconds)"));
        }
        Future<Reply> f;
        try {
            f = wait.get();
        } catch (RuntimeException e) {
            close(openWaits, call);
            throw e;
        }
        return f.andThen(x -> close(openWaits, call));
    }

    /** The answer to a stream over the limit. */
    public Reply tooManyStreams(Call call) {
        refused.accept("streams");
        call.rc().response().putHeader("Retry-After", "1");
        return Problems.of(429, "TOO_MANY_STREAMS", "this token has " + streams + " event streams open on this member "
                + "already: close one, or read them on one stream");
    }

    private static boolean open(ConcurrentMap<String, Integer> counts, int limit, Call call) {
        if (call.caller() == null || call.caller().operator()) {
            return true;
        }
        boolean[] opened = new boolean[1];
        counts.compute(call.caller().key(), (k, n) -> {
            int now = n == null ? 0 : n;
            opened[0] = limit <= 0 || now < limit;
            return opened[0] ? Integer.valueOf(now + 1) : n;
        });
        return opened[0];
    }

    private static void close(ConcurrentMap<String, Integer> counts, Call call) {
        if (call.caller() == null || call.caller().operator()) {
            return;
        }
        counts.computeIfPresent(call.caller().key(), (k, n) -> n <= 1 ? null : n - 1);
    }

    /** How many {@code key}'s caller has open: streams and waits (for tests and metrics). */
    int[] open(String key) {
        return new int[] {openStreams.getOrDefault(key, 0), openWaits.getOrDefault(key, 0)};
    }
}
