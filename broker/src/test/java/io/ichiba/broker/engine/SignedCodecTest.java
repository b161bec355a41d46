package io.ichiba.broker.engine;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The members' event-bus messages are read only if signed under the cluster's secret. */
class SignedCodecTest {
    private final SignedCodec members = new SignedCodec("the-cluster-secret-name");

    @Test
    void aMemberReadsWhatAMemberWrote() {
        Buffer b = Buffer.buffer().appendString("head");
        members.encodeToWire(b, new Forwarder.Answer(List.of("a", "b"), null));
        assertThat(members.decodeFromWire(4, b)).isEqualTo(new Forwarder.Answer(List.of("a", "b"), null));
    }

    @Test
    void aMessageSignedUnderAnotherSecretOrChangedOrCutIsRefused() {
        Buffer stranger = Buffer.buffer();
        new SignedCodec("a-guess-at-the-secret").encodeToWire(stranger, new Forwarder.Answer("x", null));
        assertThatThrownBy(() -> members.decodeFromWire(0, stranger)).isInstanceOf(SecurityException.class);

        Buffer b = Buffer.buffer();
        members.encodeToWire(b, new Forwarder.Answer("x", null));
        Buffer changed = b.copy();
        changed.setByte(6, (byte) (changed.getByte(6) ^ 1));
        assertThatThrownBy(() -> members.decodeFromWire(0, changed)).isInstanceOf(SecurityException.class);
        Buffer cut = b.getBuffer(0, b.length() - 1);
        assertThatThrownBy(() -> members.decodeFromWire(0, cut)).isInstanceOf(SecurityException.class);
        Buffer unsigned = Buffer.buffer().appendInt(1).appendByte((byte) 1);
        assertThatThrownBy(() -> members.decodeFromWire(0, unsigned)).isInstanceOf(SecurityException.class);
    }
}
