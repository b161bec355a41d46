package io.ichiba.broker;

import io.ichiba.api.Model;
import io.ichiba.api.client.EventListener;
import io.ichiba.api.client.Grant;
import io.ichiba.api.client.IchibaClient;
import io.ichiba.api.client.Subscription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The scheduler's Java client against a real broker: a grant acquired with {@code acquire} outlives several lease
 * lengths because the client renews it, and closing it returns its tokens; an event listener connected through a
 * proxy that the test cuts sees the claim's events in order, once each, resumed after the cut with
 * {@code Last-Event-ID}.
 */
class JavaClientIT {
    private static TestBrokers cluster;
    private static Http op;
    private static World world;

    @BeforeAll
    static void start() throws Exception {
        cluster = new TestBrokers();
        op = TestBrokers.operator(cluster.start());
        world = new World(op);
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    @Test
    void aTenantRotatesItsTokenThroughTheClientAndTheOldClientIsRefused() {
        String id = World.name("t");
        Http tenant = world.tenant(id, 1024, 0);
        try (IchibaClient old = IchibaClient.builder(op.base()).token(tenant.token()).build()) {
            Model.TokenRotated r = old.rotateTenantToken(id, World.name("key"));
            assertThat(r.subject()).isEqualTo(id);
            assertThat(r.token()).startsWith("ich_");
            org.assertj.core.api.Assertions.assertThatThrownBy(old::pools)
                    .isInstanceOfSatisfying(io.ichiba.api.client.IchibaException.class, e ->
                            assertThat(e.status()).isEqualTo(401));
            try (IchibaClient fresh = IchibaClient.builder(op.base()).token(r.token()).build()) {
                assertThat(fresh.pools()).isNotNull();
            }
        }
    }

    @Test
    void aGrantIsRenewedPastSeveralLeasesAndReleasedOnCloseWhileAListenerResumesAcrossACut() throws Exception {
        String node = World.name("n");
        world.node(node, 10_000, 10_000);
        Http tenant = world.tenant(World.name("t"), 50_000, 0);
        List<Model.Event> events = new CopyOnWriteArrayList<>();
        List<Long> connects = new CopyOnWriteArrayList<>();
        EventListener listener = new EventListener() {
            @Override
            public void onEvent(Model.Event event) {
                events.add(event);
            }

            @Override
            public void onConnect(long after) {
                connects.add(after);
            }
        };

        try (CuttableProxy proxy = new CuttableProxy(op.base());
             IchibaClient client = IchibaClient.builder(op.base()).token(tenant.token()).build();
             IchibaClient viaProxy = IchibaClient.builder(proxy.url()).token(tenant.token()).build();
             Subscription sub = viaProxy.events().types("claim.queued", "claim.granted", "claim.released")
                     .reconnectBackoff(Duration.ofMillis(500), Duration.ofSeconds(1)).listen(listener)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> sub.connections() == 1);
            String id;
            try (Grant g = client.claim(Model.Bundle.builder().memory(512).build()).lease(Duration.ofSeconds(1))
                    .node(node).priority(3).acquire(Duration.ofSeconds(10))) {
                id = g.id();
                Instant firstDeadline = g.leaseExpiresAt();
                assertThat(g.node()).isEqualTo(node);
                await().atMost(Duration.ofSeconds(10)).until(() -> types(events, id).contains("claim.granted"));

                // held for four lease lengths: never lost, always holding its tokens
                await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(8)).pollInterval(Duration.ofMillis(200))
                        .until(() -> !g.isLost()
                                && world.pool("memory@" + node).get("granted").asLong() == 512);
                assertThat(g.leaseExpiresAt()).isAfter(firstDeadline.plusSeconds(3));
                assertThat(client.claim(id).state()).isEqualTo(Model.ClaimState.GRANTED);

                proxy.cut(); // the listener loses its connection; the release below happens while it is away
            }
            assertThat(world.pool("memory@" + node).get("granted").asLong()).isZero();
            assertThat(client.claim(id).state()).isEqualTo(Model.ClaimState.RELEASED);

            await().atMost(Duration.ofSeconds(15)).until(() -> types(events, id).contains("claim.released"));
            assertThat(sub.connections()).isGreaterThanOrEqualTo(2);
            assertThat(types(events, id)).containsExactly("claim.queued", "claim.granted", "claim.released");
            assertThat(events.stream().filter(e -> e.subject().equals(id)).map(Model.Event::id))
                    .containsExactly("claim:" + id + ":0", "claim:" + id + ":1", "claim:" + id + ":2");
            List<Long> seqs = events.stream().map(Model.Event::seq).toList();
            assertThat(seqs).isSorted().doesNotHaveDuplicates();
            assertThat(connects.get(0)).isEqualTo(-1L);
            assertThat(connects.get(1)).as("resumed after the last seq delivered before the cut")
                    .isEqualTo(events.stream().filter(e -> e.type().equals("claim.granted")).findFirst()
                            .orElseThrow().seq());
        }
        world.assertAuditClean();
    }

    private static List<String> types(List<Model.Event> events, String claim) {
        return events.stream().filter(e -> claim.equals(e.subject())).map(Model.Event::type).toList();
    }

    /** A TCP proxy on loopback in front of the broker whose connections the test can cut at once. */
    private static final class CuttableProxy implements AutoCloseable {
        private final ServerSocket server;
        private final InetSocketAddress target;
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();
        private final Thread acceptor;

        CuttableProxy(String targetBase) throws IOException {
            java.net.URI uri = java.net.URI.create(targetBase);
            this.target = new InetSocketAddress(uri.getHost(), uri.getPort());
            this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            this.acceptor = new Thread(this::accept, "proxy-accept");
            this.acceptor.setDaemon(true);
            this.acceptor.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getLocalPort();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket in = server.accept();
                    Socket out = new Socket(target.getAddress(), target.getPort());
                    sockets.add(in);
                    sockets.add(out);
                    pump(in, out);
                    pump(out, in);
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void pump(Socket from, Socket to) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[8192];
                try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                    int n;
                    while ((n = in.read(buf)) >= 0) {
                        out.write(buf, 0, n);
                        out.flush();
                    }
                } catch (IOException e) {
                    // cut
                } finally {
                    closeQuietly(from);
                    closeQuietly(to);
                }
            }, "proxy-pump");
            t.setDaemon(true);
            t.start();
        }

        /** Closes every connection made so far, as a broker or a network going away would. */
        void cut() {
            for (Socket s : sockets) {
                sockets.remove(s);
                closeQuietly(s);
            }
        }

        private static void closeQuietly(Socket s) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            cut();
        }
    }
}
