package io.ichiba.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.ichiba.api.Wire;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntUnaryOperator;

/**
 * A local HTTP server standing in for the broker: it records every request and answers the n-th (from 0) with
 * the status {@code plan} gives: 200 with an empty pool list, else a problem.
 */
final class FakeBroker implements AutoCloseable {
    /** One request the fake broker received. */
    record Request(String method, String path, String authorization, String contentType, JsonNode body) {
    }

    private final HttpServer server;
    private final IntUnaryOperator plan;
    private final List<Request> requests = new CopyOnWriteArrayList<>();

    private FakeBroker(int port, IntUnaryOperator plan) throws IOException {
        this.plan = plan;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    /** A broker on a free port. */
    static FakeBroker start(IntUnaryOperator plan) throws IOException {
        return new FakeBroker(0, plan);
    }

    /** A broker on {@code port}, e.g. one that was free a moment ago. */
    static FakeBroker startOn(int port, IntUnaryOperator plan) {
        try {
            return new FakeBroker(port, plan);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A port nothing listens on (free when asked). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static String url(int port) {
        return "http://127.0.0.1:" + port;
    }

    String url() {
        return url(server.getAddress().getPort());
    }

    List<Request> requests() {
        return requests;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] in = ex.getRequestBody().readAllBytes();
            JsonNode body = in.length == 0 ? null : Wire.JSON.readTree(in);
            int n = requests.size();
            requests.add(new Request(ex.getRequestMethod(), ex.getRequestURI().getPath(),
                    ex.getRequestHeaders().getFirst("Authorization"), ex.getRequestHeaders().getFirst("Content-Type"),
                    body));
            int status = plan.applyAsInt(n);
            String answer = status == 200 ? "{\"items\":[]}"
                    : "{\"type\":\"urn:ichiba:problem:x\",\"title\":\"failed on purpose\",\"status\":" + status
                    + ",\"code\":\"TEST\",\"detail\":\"request " + n + " fails\"}";
            byte[] out = answer.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", status == 200 ? "application/json"
                    : "application/problem+json");
            ex.sendResponseHeaders(status, out.length);
            ex.getResponseBody().write(out);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
