package io.ichiba.broker.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.ichiba.broker.Tokens;
import io.ichiba.ledger.store.Store;
import io.ichiba.ledger.tenant.Principal;
import io.vertx.core.Handler;
import io.vertx.core.WorkerExecutor;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Resolves the bearer token of every request that the contract does not mark public ({@code security: []}).
 *
 * <p>Tokens are looked up by their SHA-256 hash; the operator's is compared in constant time. Known tokens are cached
 * per member for {@link #CACHE_SECONDS} at most, and dropped at once when revoked ({@link #revoke}, told by the member
 * that rotated them: {@link TokenRevocations}); a lookup under way while a revocation arrives is not cached. A
 * missing or unknown token is a 401.
 */
public final class Authenticator implements Handler<RoutingContext> {
    /** The routing-context key of the {@link Caller}. */
    public static final String CALLER = "ichiba.caller";

    private final Set<String> publicPaths;
    private final byte[] operatorHash;
    private final Store store;
    private final WorkerExecutor worker;
    /** How long a member trusts a token it looked up without looking again: the bound of a revocation it missed. */
    public static final long CACHE_SECONDS = 30;

    private final Cache<String, Principal> cache = Caffeine.newBuilder()
            .expireAfterWrite(Duration.ofSeconds(CACHE_SECONDS)).maximumSize(100_000).build();
    /** Counts revocations: a lookup that saw another count when it began does not cache what it found. */
    private final AtomicLong revocations = new AtomicLong();

    /** Creates the authenticator. */
    public Authenticator(Set<String> publicPaths, String operatorToken, Store store, WorkerExecutor worker) {
        this.publicPaths = publicPaths;
        this.operatorHash = Tokens.hash(operatorToken).getBytes(StandardCharsets.US_ASCII);
        this.store = store;
        this.worker = worker;
    }

    @Override
    public void handle(RoutingContext rc) {
        String header = rc.request().getHeader("Authorization");
        if (publicPaths.contains(rc.normalizedPath())) {
            // anyone may call; the operator's token, if sent, is known (it may see more: the member's address)
            if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) && MessageDigest.isEqual(operatorHash,
                    Tokens.hash(header.substring(7).trim()).getBytes(StandardCharsets.US_ASCII))) {
                rc.put(CALLER, new Caller(new Principal(Principal.Role.OPERATOR, "operator", 0)));
            }
            rc.next();
            return;
        }
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() <= 7) {
            ApiRouter.send(rc, Problems.unauthorized("send Authorization: Bearer <token>"));
            return;
        }
        String hash = Tokens.hash(header.substring(7).trim());
        if (MessageDigest.isEqual(operatorHash, hash.getBytes(StandardCharsets.US_ASCII))) {
            rc.put(CALLER, new Caller(new Principal(Principal.Role.OPERATOR, "operator", 0)));
            rc.next();
            return;
        }
        Principal cached = cache.getIfPresent(hash);
        if (cached != null) {
            rc.put(CALLER, new Caller(cached));
            rc.next();
            return;
        }
        long seen = revocations.get();
        worker.executeBlocking(() -> store.principals().get(hash), false).onComplete(ar -> {
            if (ar.failed()) {
                rc.fail(ar.cause());
            } else if (ar.result() == null) {
                ApiRouter.send(rc, Problems.unauthorized("unknown token"));
            } else {
                if (revocations.get() == seen) {
                    cache.put(hash, ar.result());
                }
                rc.put(CALLER, new Caller(ar.result()));
                rc.next();
            }
        });
    }

    /** Forgets the tokens of these hashes at once: the next request with one looks it up (and finds it gone). */
    public void revoke(Collection<String> hashes) {
        revocations.incrementAndGet();
        cache.invalidateAll(hashes);
    }
}
