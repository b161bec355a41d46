package io.ichiba.broker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.ichiba.api.Wire;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** A plain HTTP client for the tests: real requests to a real broker, answers as JSON trees. */
public final class Http {
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    static {
        // Awaitility rethrows, in the awaiting test, an exception left uncaught by any thread of the JVM: here a
        // thread of a broker another test class closed (a Vert.x worker finishing after its event loops stopped)
        // failed whichever test was awaiting at the time. A test asserts on its own brokers' answers instead.
        org.awaitility.Awaitility.doNotCatchUncaughtExceptionsByDefault();
    }

    private final String base;
    private final String token;

    /** A client of {@code base} that sends {@code token} (none if {@code null}). */
    public Http(String base, String token) {
        this.base = base;
        this.token = token;
    }

    /** The same broker as another caller. */
    public Http as(String otherToken) {
        return new Http(base, otherToken);
    }

    /** The same caller on another broker. */
    public Http at(String otherBase) {
        return new Http(otherBase, token);
    }

    /** The bearer token this client sends, or {@code null}. */
    public String token() {
        return token;
    }

    /** The broker's base URL. */
    public String base() {
        return base;
    }

    /**
     * An answer.
     *
     * @param status  HTTP status
     * @param body    the JSON body ({@link NullNode} if none or not JSON)
     * @param raw     the body as text
     * @param headers the response headers
     */
    public record Answer(int status, JsonNode body, String raw, java.net.http.HttpHeaders headers) {
        /** A field of the body as text. */
        public String text(String field) {
            JsonNode n = body.get(field);
            return n == null || n.isNull() ? null : n.asText();
        }

        /** Whether this is an RFC 9457 problem answer with a status in the 4xx range. */
        public boolean isClientProblem() {
            return status >= 400 && status < 500
                    && headers.firstValue("content-type").orElse("").startsWith("application/problem+json")
                    && body.hasNonNull("type") && body.hasNonNull("title") && body.hasNonNull("detail");
        }

        @Override
        public String toString() {
            return status + " " + raw;
        }
    }

    /** GET. */
    public Answer get(String path) {
        return send("GET", path, null, Map.of());
    }

    /** POST a JSON body (may be {@code null}). */
    public Answer post(String path, Object body) {
        return send("POST", path, body, Map.of());
    }

    /** POST with headers. */
    public Answer post(String path, Object body, Map<String, String> headers) {
        return send("POST", path, body, headers);
    }

    /** PUT a JSON body. */
    public Answer put(String path, Object body) {
        return send("PUT", path, body, Map.of());
    }

    /** PATCH a JSON body. */
    public Answer patch(String path, Object body) {
        return send("PATCH", path, body, Map.of());
    }

    /** DELETE. */
    public Answer delete(String path) {
        return send("DELETE", path, null, Map.of());
    }

    /** DELETE with headers. */
    public Answer delete(String path, Map<String, String> headers) {
        return send("DELETE", path, null, headers);
    }

    /**
     * Returns the value of one sample of this broker's {@code /metrics} (scraped without a token), or {@code NaN} if
     * the series is absent, so that a missing series never passes for a zero.
     *
     * @param name    the Prometheus name, e.g. {@code ichiba_pool_withheld}
     * @param tagPairs tag names and values, in any order: {@code "pool", "memory@n-1", "kind", "memory"}
     */
    public double metric(String name, String... tagPairs) {
        java.util.TreeMap<String, String> tags = new java.util.TreeMap<>();
        for (int i = 0; i + 1 < tagPairs.length; i += 2) {
            tags.put(tagPairs[i], tagPairs[i + 1]);
        }
        StringBuilder series = new StringBuilder(name);
        if (!tags.isEmpty()) {
            series.append('{');
            tags.forEach((k, v) -> series.append(k).append("=\"").append(v).append("\","));
            series.setCharAt(series.length() - 1, '}');
        }
        return sample(new Http(base, null).get("/metrics").raw(), series.toString(), Double.NaN);
    }

    /**
     * Returns the value of {@code series} (name and tags as the scrape writes them, e.g.
     * {@code ichiba_trades_total{kind="memory"}}) in a Prometheus scrape, or {@code absent} if it is not there.
     */
    public static double sample(String scrape, String series, double absent) {
        String prefix = series + " ";
        for (String line : scrape.split("\n")) {
            if (line.startsWith(prefix)) {
                return Double.parseDouble(line.substring(prefix.length()).trim());
            }
        }
        return absent;
    }

    /** Sends a request; {@code body} may be a String (sent raw) or an object (sent as JSON). */
    public Answer send(String method, String path, Object body, Map<String, String> headers) {
        try {
            String text = body == null ? null : body instanceof String s ? s : Wire.JSON.writeValueAsString(body);
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(90))
                    .method(method, text == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(text));
            if (text != null && !headers.containsKey("Content-Type")) {
                b.header("Content-Type", "application/json");
            }
            if (token != null) {
                b.header("Authorization", "Bearer " + token);
            }
            headers.forEach(b::header);
            HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
            // every answer a test gets is also checked against the contract, as a validating proxy would
            Conformance.check(method, r.uri().getRawPath(), r.statusCode(),
                    r.headers().firstValue("Content-Type").orElse(null), r.body());
            JsonNode json;
            try {
                json = r.body() == null || r.body().isEmpty() ? NullNode.getInstance() : Wire.JSON.readTree(r.body());
            } catch (IOException notJson) {
                json = NullNode.getInstance();
            }
            return new Answer(r.statusCode(), json == null ? NullNode.getInstance() : json, r.body(), r.headers());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
