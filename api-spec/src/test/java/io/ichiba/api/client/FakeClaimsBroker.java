package io.ichiba.api.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.ichiba.api.Model;
import io.ichiba.api.Wire;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small stateful broker on the JDK's HTTP server: claims (submit, long-poll, renew, release, cancel) and the event
 * stream, with knobs for what the real broker does on its own (grant, expire, a relay that repeats an event) and for
 * failures (renewals refused with 503, a stream cut after some events).
 */
final class FakeClaimsBroker implements AutoCloseable {
    /** One SSE connection as the server saw it. */
    record StreamSeen(String lastEventId, String query) {
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-broker");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Model.Claim> claims = new HashMap<>();
    private final List<Model.Event> log = new ArrayList<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> renewals = new ConcurrentHashMap<>();
    private final List<StreamSeen> streams = new CopyOnWriteArrayList<>();
    private final List<HttpExchange> openStreams = new CopyOnWriteArrayList<>();

    volatile boolean grantAtOnce = true;
    /** Renewals to refuse with 503 before answering normally again. */
    final AtomicInteger renewFailures = new AtomicInteger();
    /** The next stream is cut (ended by the server) after this many events; 0: never. */
    final AtomicInteger cutNextStreamAfter = new AtomicInteger();
    /** A stream that starts from the oldest event whatever it is asked (to check the client drops what it had). */
    volatile boolean ignoreLastEventId;
    /** A stream answers headers and then says nothing, not even keep-alives. */
    volatile boolean silentStreams;
    /** The stream answers this status (e.g. 401) instead of streaming; 0 streams. */
    volatile int streamStatus;

    FakeClaimsBroker() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    List<String> requests() {
        return requests;
    }

    int renewals(String id) {
        return renewals.computeIfAbsent(id, k -> new AtomicInteger()).get();
    }

    List<StreamSeen> streams() {
        return streams;
    }

    synchronized Model.Claim claim(String id) {
        return claims.get(id);
    }

    synchronized List<Model.Claim> claims() {
        return List.copyOf(claims.values());
    }

    /** The admission loop grants a queued claim. */
    synchronized void grant(String id) {
        Model.Claim c = claims.get(id);
        claims.put(id, with(c, Model.ClaimState.GRANTED, null, "node-1", Instant.now().plusSeconds(c.leaseSeconds())));
        notifyAll();
    }

    /** The claim ends on the broker's side: expiry, preemption, node loss. */
    synchronized void end(String id, Model.ClaimState state, String reason) {
        Model.Claim c = claims.get(id);
        claims.put(id, with(c, state, reason, c.node(), c.leaseExpiresAt()));
        notifyAll();
    }

    /** Appends an event to the log with the next seq; returns its seq. */
    synchronized long publish(String id, String type, String subject) {
        long seq = log.size();
        log.add(new Model.Event(id, seq, type, Instant.now(), "t", subject, Map.of("claim", subject)));
        notifyAll();
        return seq;
    }

    /** Ends every open stream as a broker going away would. */
    void cutStreams() {
        for (HttpExchange ex : openStreams) {
            openStreams.remove(ex);
            ex.close();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        cutStreams();
        executor.shutdownNow();
    }

    // ---------------------------------------------------------------- the server

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getRawPath();
        String query = ex.getRequestURI().getRawQuery();
        requests.add(ex.getRequestMethod() + " " + path + (query == null ? "" : "?" + query));
        try {
            if (path.equals("/v1/events")) {
                events(ex, query);
                return;
            }
            String[] parts = path.split("/"); // "", v1, claims, id, op
            Object answer;
            synchronized (this) {
                answer = claims(ex, parts, query);
            }
            if (answer instanceof Integer status) {
                send(ex, status, "application/problem+json", "{\"type\":\"about:blank\",\"title\":\"refused\",\"status\":"
                        + status + ",\"code\":\"" + (status == 409 ? "CONFLICT" : "X") + "\"}");
            } else {
                send(ex, ex.getRequestMethod().equals("POST") && parts.length == 3 ? 201 : 200, "application/json",
                        Wire.JSON.writeValueAsString(answer));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            ex.close();
        }
    }

    /** The claims API, under the monitor; returns the claim to answer or an error status. */
    private Object claims(HttpExchange ex, String[] parts, String query) throws IOException, InterruptedException {
        String method = ex.getRequestMethod();
        if (parts.length == 3 && method.equals("POST")) {
            JsonNode body = Wire.JSON.readTree(ex.getRequestBody());
            Model.ClaimCreate create = Wire.JSON.treeToValue(body, Model.ClaimCreate.class);
            String key = ex.getRequestHeaders().getFirst("Idempotency-Key");
            String id = key != null ? "k-" + key : "c-" + ids.incrementAndGet();
            if (claims.containsKey(id)) {
                return claims.get(id);
            }
            long lease = create.leaseSeconds() == null ? 60 : create.leaseSeconds();
            Model.Claim c = new Model.Claim(id, "t", Model.ClaimState.QUEUED, "CAPACITY", null, create.bundle(),
                    create.priority() == null ? 0 : create.priority(), lease, Instant.now(), null, null, null, null,
                    create.funding());
            claims.put(id, c);
            if (grantAtOnce) {
                grant(id);
            }
            return claims.get(id);
        }
        String id = parts[3];
        Model.Claim c = claims.get(id);
        if (c == null) {
            return 404;
        }
        String op = parts.length > 4 ? parts[4] : "";
        switch (method + " " + op) {
            case "GET " -> {
                long wait = query != null && query.startsWith("waitSeconds=")
                        ? Long.parseLong(query.substring("waitSeconds=".length())) : 0;
                long until = System.currentTimeMillis() + wait * 1000;
                while (claims.get(id).state() == Model.ClaimState.QUEUED && System.currentTimeMillis() < until) {
                    wait(Math.max(1, until - System.currentTimeMillis()));
                }
                return claims.get(id);
            }
            case "POST renew" -> {
                renewals.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
                if (renewFailures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    return 503;
                }
                if (c.state() != Model.ClaimState.GRANTED) {
                    return 409;
                }
                JsonNode body = Wire.JSON.readTree(ex.getRequestBody());
                long s = body != null && body.has("leaseSeconds") ? body.get("leaseSeconds").asLong()
                        : c.leaseSeconds();
                Model.Claim r = with(c, c.state(), null, c.node(), Instant.now().plusSeconds(s));
                claims.put(id, r);
                return r;
            }
            case "POST release" -> {
                if (c.state() == Model.ClaimState.QUEUED) {
                    return 409;
                }
                return c.state() == Model.ClaimState.GRANTED
                        ? put(with(c, Model.ClaimState.RELEASED, "RELEASED", c.node(), c.leaseExpiresAt())) : c;
            }
            case "DELETE " -> {
                return ClaimHandle.FINAL.contains(c.state()) ? c
                        : put(with(c, Model.ClaimState.CANCELLED, "CANCELLED", c.node(), c.leaseExpiresAt()));
            }
            default -> {
                return 405;
            }
        }
    }

    private Model.Claim put(Model.Claim c) {
        claims.put(c.id(), c);
        notifyAll();
        return c;
    }

    private static Model.Claim with(Model.Claim c, Model.ClaimState state, String reason, String node,
                                    Instant leaseExpiresAt) {
        return new Model.Claim(c.id(), c.tenant(), state, reason, node, c.bundle(), c.priority(), c.leaseSeconds(),
                c.createdAt(), state == Model.ClaimState.GRANTED ? Instant.now() : c.grantedAt(), leaseExpiresAt,
                ClaimHandle.FINAL.contains(state) ? Instant.now() : null, null, c.funding());
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    // ---------------------------------------------------------------- events

    private void events(HttpExchange ex, String query) throws IOException, InterruptedException {
        String last = ex.getRequestHeaders().getFirst("Last-Event-ID");
        streams.add(new StreamSeen(last, query));
        if (streamStatus != 0) {
            send(ex, streamStatus, "application/problem+json",
                    "{\"type\":\"about:blank\",\"title\":\"no\",\"status\":" + streamStatus + "}");
            return;
        }
        Map<String, String> q = new HashMap<>();
        if (query != null) {
            for (String kv : query.split("&")) {
                int eq = kv.indexOf('=');
                q.put(kv.substring(0, eq), java.net.URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        long after = last != null && !ignoreLastEventId ? Long.parseLong(last)
                : ignoreLastEventId ? -1 : Long.parseLong(q.getOrDefault("after", "-1"));
        Set<String> types = q.containsKey("types") ? new TreeSet<>(Arrays.asList(q.get("types").split(","))) : null;
        ex.getResponseHeaders().set("Content-Type", "text/event-stream");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        out.write((": stream of events after " + after + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        openStreams.add(ex);
        int cutAfter = cutNextStreamAfter.getAndSet(0);
        int sent = 0;
        try {
            while (true) {
                if (silentStreams) {
                    synchronized (this) {
                        wait(50);
                    }
                    if (!openStreams.contains(ex)) {
                        return;
                    }
                    continue;
                }
                List<Model.Event> batch;
                synchronized (this) {
                    while (log.size() <= after + 1) {
                        wait(50);
                        if (!openStreams.contains(ex)) {
                            return;
                        }
                    }
                    batch = List.copyOf(log.subList((int) (after + 1), log.size()));
                }
                for (Model.Event e : batch) {
                    after = e.seq();
                    if (types != null && !types.contains(e.type())) {
                        continue;
                    }
                    out.write(("id: " + e.seq() + "\nevent: " + e.type() + "\ndata: " + Wire.JSON.writeValueAsString(e)
                            + "\n\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    sent++;
                    if (cutAfter > 0 && sent >= cutAfter) {
                        return; // the finally ends the response: the client sees the stream end
                    }
                }
            }
        } catch (IOException clientGone) {
            // the client closed the stream
        } finally {
            openStreams.remove(ex);
        }
    }
}
