package io.ichiba.broker;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 14's HTTP hardening over real sockets, on a broker with small limits: one token's requests a second, event
 * streams and long-polls (429 with Retry-After, others unaffected, the operator not limited), the metrics for the
 * operator only, and connections that send their headers too slowly or fall silent closed.
 */
class HttpLimitsIT {
    private static TestBrokers cluster;
    private static Broker broker;
    private static Http op;
    private static World world;

    @BeforeAll
    static void start() throws Exception {
        cluster = new TestBrokers();
        broker = cluster.start(c -> c.withSecurity(new BrokerConfig.Security(List.of("127.0.0.1"), 5, 5, 2, 2, false,
                6, 1, "", "")));
        op = TestBrokers.operator(broker);
        world = new World(op);
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    @Test
    void aTokenOverItsRateIsAnswered429WithRetryAfterAndNeitherOthersNorTheOperatorAre() {
        Http a = world.tenant(World.name("ta"), 1024, 1024);
        Http b = world.tenant(World.name("tb"), 1024, 1024);
        List<Http.Answer> answers = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            answers.add(a.get("/v1/pools"));
        }
        Http.Answer limited = answers.stream().filter(x -> x.status() == 429).findFirst().orElseThrow();
        assertThat(limited.text("code")).isEqualTo("RATE_LIMITED");
        assertThat(limited.isClientProblem()).isTrue();
        assertThat(Long.parseLong(limited.headers().firstValue("Retry-After").orElseThrow())).isBetween(1L, 2L);
        assertThat(answers).filteredOn(x -> x.status() == 200).hasSizeBetween(5, 10);
        assertThat(b.get("/v1/pools").status()).as("another tenant").isEqualTo(200);
        for (int i = 0; i < 20; i++) {
            assertThat(op.get("/v1/pools").status()).as("the operator").isEqualTo(200);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> a.get("/v1/pools").status() == 200);
    }

    @Test
    void theThirdEventStreamOfATokenIs429AndAnotherTenantsIsNot() throws Exception {
        Http a = world.tenant(World.name("ta"), 1024, 1024);
        Http b = world.tenant(World.name("tb"), 1024, 1024);
        try (Raw s1 = Raw.open(broker, "/v1/events", a.token(), "text/event-stream");
             Raw s2 = Raw.open(broker, "/v1/events", a.token(), "text/event-stream")) {
            assertThat(s1.status()).isEqualTo(200);
            assertThat(s2.status()).isEqualTo(200);
            try (Raw s3 = Raw.open(broker, "/v1/events", a.token(), "text/event-stream")) {
                assertThat(s3.status()).isEqualTo(429);
                assertThat(s3.head()).contains("TOO_MANY_STREAMS").containsIgnoringCase("Retry-After: 1");
            }
            try (Raw other = Raw.open(broker, "/v1/events", b.token(), "text/event-stream")) {
                assertThat(other.status()).as("another tenant").isEqualTo(200);
            }
            s1.close();
            // the broker sees the stream closed, and the token may open another
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                try (Raw again = Raw.open(broker, "/v1/events", a.token(), "text/event-stream")) {
                    return again.status() == 200;
                }
            });
        }
    }

    @Test
    void theThirdLongPollOfATokenIs429AtOnce() throws Exception {
        String node = World.name("n");
        Http agent = world.node(node, 1024, 1024);
        String path = "/v1/nodes/" + node + "/jobs?waitSeconds=20";
        try (Raw w1 = Raw.open(broker, path, agent.token(), "application/json");
             Raw w2 = Raw.open(broker, path, agent.token(), "application/json")) {
            // both wait (no answer yet); the third is refused at once
            assertThat(w1.silentFor(Duration.ofMillis(300))).isTrue();
            assertThat(w2.silentFor(Duration.ofMillis(300))).isTrue();
            Http.Answer third = agent.get(path);
            assertThat(third.status()).isEqualTo(429);
            assertThat(third.text("code")).isEqualTo("TOO_MANY_WAITS");
            assertThat(third.headers().firstValue("Retry-After")).contains("1");
        }
    }

    @Test
    void withPublicMetricsOffOnlyTheOperatorReadsMetricsAndTheMembersAddress() {
        Http anonymous = new Http(op.base(), null);
        Http t = world.tenant(World.name("t"), 1024, 1024);
        assertThat(anonymous.get("/metrics").status()).isEqualTo(401);
        assertThat(t.get("/metrics").status()).isEqualTo(403);
        Http.Answer metrics = op.get("/metrics");
        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.raw()).contains("ichiba_");
        assertThat(anonymous.get("/ready").body().has("member")).isFalse();
        assertThat(anonymous.get("/health").body().has("member")).isFalse();
        assertThat(t.get("/ready").body().has("member")).isFalse();
        assertThat(op.get("/ready").body().get("member").asText()).contains("127.0.0.1");
        assertThat(op.get("/health").body().get("member").asText()).contains("127.0.0.1");
    }

    @Test
    void aConnectionWhoseHeadersTrickleIsClosedAtTheHeaderDeadline() throws Exception {
        try (Socket s = new Socket("127.0.0.1", broker.httpPort())) {
            s.setSoTimeout(15_000);
            long start = System.nanoTime();
            s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(s.getInputStream().read()).as("closed without an answer").isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(900),
                    Duration.ofSeconds(10));
        }
    }

    @Test
    void aConnectionSilentPastTheIdleTimeoutIsClosed() throws Exception {
        try (Socket s = new Socket("127.0.0.1", broker.httpPort())) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4096];
            int n = in.read(buf);
            assertThat(new String(buf, 0, n, StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 200");
            long start = System.nanoTime();
            while (in.read(buf) >= 0) {
                // the rest of the answer, then the close
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofSeconds(4),
                    Duration.ofSeconds(25));
        }
    }

    /** A request written on a raw socket, its status line and headers read (a stream's or a wait's body left). */
    private static final class Raw implements AutoCloseable {
        private final Socket socket;
        private final String head;

        private Raw(Socket socket, String head) {
            this.socket = socket;
            this.head = head;
        }

        static Raw open(Broker b, String path, String token, String accept) throws IOException {
            Socket s = new Socket("127.0.0.1", b.httpPort());
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token
                    + "\r\nAccept: " + accept + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            StringBuilder head = new StringBuilder();
            InputStream in = s.getInputStream();
            // a stream answers its head at once; a wait answers nothing until it ends
            s.setSoTimeout(accept.equals("text/event-stream") ? 10_000 : 1_000);
            try {
                int c;
                while ((c = in.read()) >= 0) {
                    head.append((char) c);
                    if (head.toString().endsWith("\r\n\r\n")) {
                        break;
                    }
                }
                if (head.indexOf(" 429 ") > 0) { // the problem's body too
                    byte[] rest = new byte[4096];
                    int n = in.read(rest);
                    head.append(new String(rest, 0, Math.max(0, n), StandardCharsets.UTF_8));
                }
            } catch (SocketTimeoutException waiting) {
                // a long-poll that waits: no head yet
            }
            return new Raw(s, head.toString());
        }

        int status() {
            return head.startsWith("HTTP/1.1 ") ? Integer.parseInt(head.substring(9, 12)) : 0;
        }

        String head() {
            return head;
        }

        /** Whether nothing was answered, and nothing more comes within {@code d}. */
        boolean silentFor(Duration d) throws IOException {
            if (!head.isEmpty()) {
                return false;
            }
            socket.setSoTimeout((int) d.toMillis());
            try {
                socket.getInputStream().read();
                return false; // an answer, or the connection closed
            } catch (SocketTimeoutException nothing) {
                return true;
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
