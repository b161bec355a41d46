package io.ichiba.broker.engine;

import io.ichiba.ledger.hazelcast.KryoSerializer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The codec of every message Ichiba's members send each other over the clustered event bus (operations for the
 * engine and their answers, change notices, token revocations): the body written by Kryo as the members' maps are
 * ({@link KryoSerializer#toBytes}: what Kryo cannot write, by Java serialization, marked so), followed by its
 * HMAC-SHA256 under the cluster's name (the members' secret). The event bus's port takes frames from whoever reaches
 * it: a body whose HMAC does not match is refused before a byte of it is read, so only a member can send Ichiba's
 * addresses anything. A consumer must check its body's type: a frame sent with another codec reaches it unsigned.
 */
public final class SignedCodec implements MessageCodec<Object, Object> {
    /** The codec's name, for {@link io.vertx.core.eventbus.DeliveryOptions#setCodecName}. */
    public static final String NAME = "ichiba-signed";
    private static final int MAC_BYTES = 32;

    private final ThreadLocal<Mac> macs;

    /** A codec signing under {@code secret}. */
    public SignedCodec(String secret) {
        SecretKeySpec key = new SecretKeySpec(("ichiba-event-bus\n" + secret).getBytes(StandardCharsets.UTF_8),
                "HmacSHA256");
        this.macs = ThreadLocal.withInitial(() -> {
            try {
                Mac m = Mac.getInstance("HmacSHA256");
                m.init(key);
                return m;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is missing from the JVM", e);
            }
        });
    }

    /** Registers the codec signing under {@code secret} (the cluster's name) on {@code vertx}'s event bus. */
    public static void register(Vertx vertx, String secret) {
        vertx.eventBus().registerCodec(new SignedCodec(secret));
    }

    private byte[] mac(byte[] bytes) {
        Mac m = macs.get();
        m.reset();
        return m.doFinal(bytes);
    }

    @Override
    public void encodeToWire(Buffer buffer, Object o) {
        byte[] bytes = KryoSerializer.toBytes(o);
        buffer.appendInt(bytes.length).appendBytes(bytes).appendBytes(mac(bytes));
    }

    @Override
    public Object decodeFromWire(int pos, Buffer buffer) {
        int n = buffer.getInt(pos);
        if (n < 0 || (long) pos + 4 + n + MAC_BYTES > buffer.length()) {
            throw new SecurityException("an event-bus message of a wrong length: refused");
        }
        byte[] bytes = buffer.getBytes(pos + 4, pos + 4 + n);
        byte[] mac = buffer.getBytes(pos + 4 + n, pos + 4 + n + MAC_BYTES);
        if (!MessageDigest.isEqual(mac(bytes), mac)) {
            throw new SecurityException("an event-bus message without the cluster's signature: refused");
        }
        return KryoSerializer.fromBytes(bytes);
    }

    @Override
    public Object transform(Object o) {
        return o;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public byte systemCodecID() {
        return -1;
    }
}
