package io.ichiba.api.client;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A local HTTP server that records each request and answers with the next canned response. */
final class StubBroker implements AutoCloseable {
    /** One request as the server saw it. */
    record Seen(String method, String path, String query, Headers headers, String body) {
        String header(String name) {
            return headers.getFirst(name);
        }
    }

    /** One canned answer; {@code hold} keeps the answer back until it is counted down (or 5 s pass). */
    record Answer(int status, String contentType, String body, CountDownLatch hold) {
        static Answer json(int status, String body) {
            return new Answer(status, "application/json", body, null);
        }

        static Answer problem(int status, String body) {
            return new Answer(status, "application/problem+json", body, null);
        }
    }

    private final HttpServer server;
    private final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
    private final BlockingQueue<Answer> answers = new LinkedBlockingQueue<>();

    StubBroker() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    StubBroker answer(Answer a) {
        answers.add(a);
        return this;
    }

    /** The next request the server received, waiting at most 5 s. */
    Seen next() throws InterruptedException {
        Seen s = seen.poll(5, TimeUnit.SECONDS);
        if (s == null) {
            throw new AssertionError("no request reached the stub broker");
        }
        return s;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            seen.add(new Seen(ex.getRequestMethod(), ex.getRequestURI().getRawPath(), ex.getRequestURI().getRawQuery(),
                    ex.getRequestHeaders(), body));
            Answer a = answers.poll();
            if (a == null) {
                a = Answer.problem(500, "{\"type\":\"about:blank\",\"title\":\"no canned answer\",\"status\":500}");
            }
            if (a.hold() != null) {
                a.hold().await(5, TimeUnit.SECONDS);
            }
            byte[] bytes = a.body().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", a.contentType());
            ex.sendResponseHeaders(a.status(), bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                ex.getResponseBody().write(bytes);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
