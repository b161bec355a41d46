package io.ichiba.broker.http;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Tells every member's {@link Authenticator} that tokens were revoked, and waits for each to say it forgot them: a
 * rotation answers once the old token is refused everywhere. A member that does not answer within
 * {@link #TIMEOUT_MILLIS} (paused, cut off) is logged and forgets the token when its cache entry expires
 * ({@link Authenticator#CACHE_SECONDS}). The message is signed ({@link io.ichiba.broker.engine.SignedCodec}).
 */
public final class TokenRevocations {
    private static final Logger LOG = LoggerFactory.getLogger(TokenRevocations.class);
    /** The address prefix: each member listens at the prefix and its member id. */
    public static final String PREFIX = "ichiba.tokens.revoked.";
    /** How long a revocation waits for a member's answer. */
    public static final long TIMEOUT_MILLIS = 5_000;

    private final Vertx vertx;
    private final HazelcastInstance hz;
    private final MessageConsumer<Object> consumer;

    private TokenRevocations(Vertx vertx, HazelcastInstance hz, Authenticator auth) {
        this.vertx = vertx;
        this.hz = hz;
        this.consumer = vertx.eventBus().consumer(PREFIX + hz.getCluster().getLocalMember().getUuid(), m -> {
            if (!(m.body() instanceof List<?> revoked)) { // a frame sent with another codec: not a member's
                m.fail(400, "not a signed revocation");
                return;
            }
            List<String> hashes = new ArrayList<>();
            revoked.forEach(h -> hashes.add(String.valueOf(h)));
            auth.revoke(hashes);
            m.reply(hashes.size());
        });
    }

    /** Listens for this member's revocations; completes once its address is known to the cluster. */
    public static Future<TokenRevocations> start(Vertx vertx, HazelcastInstance hz, Authenticator auth) {
        TokenRevocations r = new TokenRevocations(vertx, hz, auth);
        return r.consumer.completion().map(v -> r);
    }

    /** Revokes the tokens of {@code hashes} on every member; completes when each answered or timed out. */
    public Future<Void> revoke(Collection<String> hashes) {
        if (hashes.isEmpty()) {
            return Future.succeededFuture();
        }
        List<String> body = new ArrayList<>(hashes);
        List<Future<?>> told = new ArrayList<>();
        for (Member m : hz.getCluster().getMembers()) {
            told.add(vertx.eventBus().request(PREFIX + m.getUuid(), body,
                    new DeliveryOptions().setCodecName(io.ichiba.broker.engine.SignedCodec.NAME)
                            .setSendTimeout(TIMEOUT_MILLIS)).onFailure(e -> LOG.warn("member {} was not "
                    + "told of a token revoked ({}): it forgets it within {} s", m.getAddress(), e.getMessage(),
                    Authenticator.CACHE_SECONDS)));
        }
        return Future.join(told).<Void>mapEmpty().recover(e -> Future.succeededFuture());
    }
}
