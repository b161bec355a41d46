package io.ichiba.broker.handlers;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.URI;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WebhookTargetsTest {
    private final WebhookTargets none = WebhookTargets.allowing(List.of());

    @Test
    void internalAddressesAreRefusedAndPublicOnesAllowed() throws Exception {
        for (String internal : List.of("127.0.0.1", "127.9.9.9", "0.0.0.0", "10.1.2.3", "172.16.0.1", "172.31.255.255",
                "192.168.1.1", "169.254.169.254", "100.64.0.1", "100.127.255.255", "224.0.0.1", "255.255.255.255",
                "240.0.0.1", "192.0.0.170", "198.18.0.1", "::", "::1", "fe80::1", "fc00::1", "fd12:3456::1",
                "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::1",
                "2001:0:4136:e378:8000:63bf:80ff:fffe", "ff02::1")) {
            assertThat(none.allowed(InetAddress.getByName(internal))).as(internal).isFalse();
        }
        for (String external : List.of("8.8.8.8", "1.1.1.1", "100.128.0.1", "172.32.0.1", "192.169.0.1",
                "2606:4700:4700::1111", "64:ff9b::808:808", "2002:808:808::1")) {
            assertThat(none.allowed(InetAddress.getByName(external))).as(external).isTrue();
        }
    }

    @Test
    void theOperatorAllowsAddressesAndRangesExactly() throws Exception {
        WebhookTargets t = WebhookTargets.allowing(List.of("127.0.0.1", "10.1.0.0/16", "fd00::/8"));
        assertThat(t.allowed(InetAddress.getByName("127.0.0.1"))).isTrue();
        assertThat(t.allowed(InetAddress.getByName("127.0.0.2"))).isFalse();
        assertThat(t.allowed(InetAddress.getByName("10.1.200.3"))).isTrue();
        assertThat(t.allowed(InetAddress.getByName("10.2.0.1"))).isFalse();
        assertThat(t.allowed(InetAddress.getByName("fd12::1"))).isTrue();
        assertThat(t.allowed(InetAddress.getByName("169.254.169.254"))).isFalse();
        for (String bad : List.of("example.com", "10.0.0.0/x", "10.0.0.0/40", "")) {
            assertThatThrownBy(() -> WebhookTargets.allowing(List.of(bad))).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ICHIBA_WEBHOOK_ALLOW");
        }
    }

    @Test
    void anInternalAddressWrittenOutOrLocalhostIsRefusedAtCreationAndANameLeftToDelivery() {
        for (String url : List.of("http://127.0.0.1:5701/", "http://169.254.169.254/latest/meta-data", "http://[::1]/",
                "http://localhost:8080/x", "http://LOCALHOST/", "http://localhost./", "http://db.localhost/", "https://10.0.0.1/hook",
                "http://2130706433/", "http://[::ffff:7f00:1]/")) {
            assertThat(none.refusedAtCreation(URI.create(url))).as(url).isNotNull();
        }
        for (String url : List.of("https://hooks.example.com/x", "http://8.8.8.8/", "http://[2606:4700::1111]/")) {
            assertThat(none.refusedAtCreation(URI.create(url))).as(url).isNull();
        }
    }
}
