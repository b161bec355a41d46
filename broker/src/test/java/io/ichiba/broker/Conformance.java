package io.ichiba.broker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import io.ichiba.api.Wire;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Checks an answer of the broker against {@code openapi.yaml}, as a contract-validating proxy (Stoplight Prism) does:
 * the operation is found by method and path, the status must be one the operation declares, the media type one the
 * status declares, and the body must match its schema (JSON Schema 2020-12, formats asserted). Every answer the tests'
 * {@link Http} client receives goes through it, so every integration test is also a conformance test (issue 14: a
 * generated client must know every answer).
 *
 * <p>Paths outside the contract ({@code /ui/}, a path that does not exist) are not checked: nothing declares them.
 * Set {@code ichiba.conformance=record} to write what does not conform to {@code target/conformance.txt} instead of
 * failing (a survey).
 */
final class Conformance {
    private static final JsonNode CONTRACT = load();
    private static final List<Route> ROUTES = routes();
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
            b -> b.schemaRegistryConfig(SchemaRegistryConfig.builder().formatAssertionsEnabled(true).build()));
    private static final Map<String, Schema> SCHEMAS = new ConcurrentHashMap<>();
    private static final boolean RECORD = "record".equals(System.getProperty("ichiba.conformance"));

    private Conformance() {
    }

    /** An operation: its method, its path as a pattern, and where it is in the contract. */
    private record Route(String method, String template, Pattern pattern, int parameters, JsonNode operation) {
    }

    private static JsonNode load() {
        try (InputStream in = Wire.contract()) {
            Map<String, Object> yaml = new Yaml().load(in);
            return Wire.JSON.valueToTree(yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Route> routes() {
        List<Route> out = new ArrayList<>();
        CONTRACT.get("paths").fields().forEachRemaining(p -> p.getValue().fields().forEachRemaining(m -> {
            if (m.getValue().has("responses")) {
                String template = p.getKey();
                int parameters = template.split("\\{", -1).length - 1;
                Pattern pattern = Pattern.compile(template.replaceAll("\\{[^}]+}", "[^/]+"));
                out.add(new Route(m.getKey().toUpperCase(), template, pattern, parameters, m.getValue()));
            }
        }));
        // a literal path before a template that also matches it (/v1/market/offers before /v1/market/{kind})
        out.sort(Comparator.comparingInt(Route::parameters));
        return out;
    }

    /**
     * What about an answer does not conform, or {@code null} if it does (or nothing in the contract declares it).
     *
     * @param method      the request's method
     * @param path        the request's path, without its query
     * @param status      the answer's status
     * @param contentType the answer's {@code Content-Type}, or {@code null}
     * @param body        the answer's body
     */
    static String violation(String method, String path, int status, String contentType, String body) {
        Route route = null;
        for (Route r : ROUTES) {
            if (r.method().equals(method) && r.pattern().matcher(path).matches()) {
                route = r;
                break;
            }
        }
        if (route == null) {
            return null;
        }
        String op = route.operation().path("operationId").asText() + " (" + method + " " + route.template() + ")";
        JsonNode response = route.operation().get("responses").get(String.valueOf(status));
        if (response == null) {
            response = route.operation().get("responses").get("default");
        }
        if (response == null) {
            return op + ": status " + status + " is not declared";
        }
        response = resolve(response);
        JsonNode content = response.get("content");
        boolean empty = body == null || body.isEmpty();
        if (content == null || content.isEmpty()) {
            return empty ? null : op + ": status " + status + " declares no body, got " + contentType;
        }
        if (empty) {
            return op + ": status " + status + " declares a body, got none";
        }
        String type = contentType == null ? "" : contentType.split(";")[0].trim();
        if (!content.has(type)) {
            return op + ": status " + status + " declares " + names(content) + ", got " + contentType;
        }
        JsonNode schema = content.get(type).get("schema");
        if (schema == null || !type.endsWith("json")) {
            return null;
        }
        String pointer = "/paths/" + escape(route.template()) + "/" + method.toLowerCase() + "/responses/" + status;
        Schema compiled = SCHEMAS.computeIfAbsent(pointer + "|" + type, k -> compile(schema));
        List<Error> errors = compiled.validate(body, InputFormat.JSON);
        return errors.isEmpty() ? null : op + ": status " + status + " body does not match its schema: " + errors
                + " in " + (body.length() > 600 ? body.substring(0, 600) + "…" : body);
    }

    /**
     * Checks an answer: throws (or records, in a survey) what does not conform.
     *
     * @see #violation
     */
    static void check(String method, String path, int status, String contentType, String body) {
        String v = violation(method, path, status, contentType, body);
        if (v == null) {
            return;
        }
        if (RECORD) {
            record(v);
            return;
        }
        throw new AssertionError("the answer does not conform to openapi.yaml: " + v);
    }

    private static synchronized void record(String v) {
        try {
            java.nio.file.Path file = java.nio.file.Path.of("target", "conformance.txt");
            java.nio.file.Files.writeString(file, v.replace('\n', ' ') + "\n", java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The schema, compiled against the whole contract so that its references resolve. */
    private static Schema compile(JsonNode schema) {
        ObjectNode root = CONTRACT.deepCopy();
        root.remove("paths"); // only components are referred to
        root.remove("openapi");
        ObjectNode wrapper = root.putObject("x-checked");
        wrapper.set("schema", schema);
        root.put("$ref", "#/x-checked/schema");
        return REGISTRY.getSchema(SchemaLocation.of("urn:ichiba:conformance:" + SCHEMAS.size()), root);
    }

    private static JsonNode resolve(JsonNode node) {
        while (node.has("$ref")) {
            String ref = node.get("$ref").asText();
            node = CONTRACT.at(ref.substring(1));
        }
        return node;
    }

    private static String names(JsonNode content) {
        List<String> out = new ArrayList<>();
        for (Iterator<String> i = content.fieldNames(); i.hasNext(); ) {
            out.add(i.next());
        }
        return out.toString();
    }

    private static String escape(String template) {
        return template.replace("~", "~0").replace("/", "~1");
    }
}
