package io.ichiba.broker;

import io.ichiba.api.client.IchibaClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The API over HTTPS (ICHIBA_TLS_CERT, ICHIBA_TLS_KEY: PEM files), and the Java client (which the agent uses) trusting
 * a given certificate: a self-signed one made here by the JDK's keytool.
 */
class TlsIT {
    @TempDir
    static Path dir;
    private static Path cert;
    private static TestBrokers cluster;
    private static Broker broker;

    @BeforeAll
    static void start() throws Exception {
        Path keystore = dir.resolve("broker.p12");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "broker", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-keystore", keystore.toString(),
                "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, "changeit".toCharArray());
        }
        cert = Files.writeString(dir.resolve("cert.pem"), pem("CERTIFICATE", ks.getCertificate("broker").getEncoded()));
        Path key = Files.writeString(dir.resolve("key.pem"), pem("PRIVATE KEY",
                ks.getKey("broker", "changeit".toCharArray()).getEncoded()));
        cluster = new TestBrokers();
        broker = cluster.start(c -> c.withSecurity(c.security().withTls(cert.toString(), key.toString())));
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static URI https() {
        return URI.create("https://127.0.0.1:" + broker.httpPort());
    }

    @Test
    void aClientTrustingTheBrokersCertificateIsServedOverHttps() {
        try (IchibaClient c = IchibaClient.builder(https()).token(TestBrokers.OPERATOR).trustCertificates(cert)
                .build()) {
            assertThat(c.pools()).isNotNull();
        }
    }

    @Test
    void aClientThatDoesNotTrustItOrSpeaksPlainHttpIsNotServed() {
        try (IchibaClient untrusting = IchibaClient.builder(https()).token(TestBrokers.OPERATOR)
                .connectTimeout(Duration.ofSeconds(5)).build()) {
            assertThatThrownBy(untrusting::pools).hasStackTraceContaining("SSL");
        }
        try (IchibaClient plain = IchibaClient.builder("http://127.0.0.1:" + broker.httpPort())
                .token(TestBrokers.OPERATOR).requestTimeout(Duration.ofSeconds(5)).build()) {
            assertThatThrownBy(plain::pools).isInstanceOf(RuntimeException.class);
        }
    }

    @Test
    void aFileThatIsNoCertificateIsRefusedWhenTheClientIsBuilt() throws Exception {
        Path junk = Files.writeString(dir.resolve("junk.pem"), "not a certificate\n");
        assertThatThrownBy(() -> IchibaClient.builder(https()).trustCertificates(junk))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("junk.pem");
    }
}
