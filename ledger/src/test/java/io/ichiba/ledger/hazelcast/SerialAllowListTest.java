package io.ichiba.ledger.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.internal.serialization.Data;
import com.hazelcast.internal.serialization.SerializationService;
import com.hazelcast.spi.impl.SerializationServiceSupport;
import io.ichiba.ledger.tenant.Principal;
import org.example.gadget.Gadget;
import org.example.gadget.GadgetError;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every reader of bytes from another member refuses a class outside {@link SerialAllowList}. */
class SerialAllowListTest {
    private static HazelcastInstance member;

    @BeforeAll
    static void start() {
        member = EmbeddedHazelcast.startOne(SerialAllowListTest.class, 16_100);
    }

    @AfterAll
    static void stop() {
        member.shutdown();
    }

    @Test
    void theListNamesPackagesAndPrimitiveArrays() {
        assertThat(SerialAllowList.allowed("io.ichiba.ledger.tenant.Principal")).isTrue();
        assertThat(SerialAllowList.allowed("java.util.TreeMap")).isTrue();
        assertThat(SerialAllowList.allowed("[J")).isTrue();
        assertThat(SerialAllowList.allowed("[Lio.ichiba.ledger.claim.Claim;")).isTrue();
        assertThat(SerialAllowList.allowed("org.example.gadget.Gadget")).isFalse();
        assertThat(SerialAllowList.allowed("[Lorg.example.gadget.Gadget;")).isFalse();
        assertThat(SerialAllowList.allowed("org.apache.commons.collections.functors.InvokerTransformer")).isFalse();
        assertThat(SerialAllowList.allowed("javax.management.BadAttributeValueExpException")).isFalse();
    }

    @Test
    void kryoReadsTheLedgersValuesAndRefusesAClassOutsideTheList() {
        Principal p = new Principal(Principal.Role.TENANT, "acme", 1);
        assertThat(KryoSerializer.fromBytes(KryoSerializer.toBytes(p))).isEqualTo(p);
        Map<String, Object> nested = new TreeMap<>(Map.of("a", List.of(p)));
        assertThat(KryoSerializer.fromBytes(KryoSerializer.toBytes(nested))).isEqualTo(nested);

        byte[] gadget = KryoSerializer.toBytes(new Gadget("rm -rf /"));
        assertThatThrownBy(() -> KryoSerializer.fromBytes(gadget)).hasStackTraceContaining("SerialAllowList");
        byte[] inAList = KryoSerializer.toBytes(List.of(new Gadget("rm -rf /")));
        assertThatThrownBy(() -> KryoSerializer.fromBytes(inAList)).hasStackTraceContaining("SerialAllowList");
    }

    @Test
    void theJavaFallbackOfKryoRefusesAClassOutsideTheList() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.write(2); // the mark of what Java serialization wrote
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(new Gadget("rm -rf /"));
        }
        assertThatThrownBy(() -> KryoSerializer.fromBytes(bytes.toByteArray()))
                .hasStackTraceContaining("REJECTED");
        byte[] anError = KryoSerializer.toBytes(new IllegalStateException("no", new GadgetError()));
        assertThatThrownBy(() -> KryoSerializer.fromBytes(anError)).hasStackTraceContaining("REJECTED");
        Object fine = KryoSerializer.fromBytes(KryoSerializer.toBytes(new IllegalStateException("fine")));
        assertThat(fine).isInstanceOf(IllegalStateException.class);
        assertThat(((Throwable) fine).getMessage()).isEqualTo("fine");
    }

    @Test
    void aMembersJavaDeserializationRefusesAClassOutsideTheList() {
        SerializationService s = ((SerializationServiceSupport) member).getSerializationService();
        Principal p = new Principal(Principal.Role.AGENT, "n1", 2);
        assertThat((Object) s.toObject(s.toData(p))).isEqualTo(p);
        Data gadget = s.toData(new Gadget("rm -rf /"));
        assertThatThrownBy(() -> s.toObject(gadget)).hasStackTraceContaining("org.example.gadget.Gadget");
        // and through a map, as a stranger's put would arrive
        com.hazelcast.map.IMap<String, Object> map = member.getMap("test-allow-list"); // kept as bytes
        map.put("k", new Gadget("rm -rf /"));
        assertThatThrownBy(() -> map.get("k")).hasStackTraceContaining("org.example.gadget.Gadget");
    }
}
