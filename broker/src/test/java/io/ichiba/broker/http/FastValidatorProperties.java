package io.ichiba.broker.http;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.Validator;
import io.vertx.openapi.contract.MediaType;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fast path of request validation ({@link FastValidator}) never accepts what vertx-openapi's validator refuses:
 * over every parameter and body schema of the contract, random instances built from the schema itself (its property
 * names, required fields, bounds, patterns and enums, each value sometimes replaced by one of another type or out of
 * bounds) are checked by both; an instance the fast path calls valid must be valid for vertx too. Breaking it (a
 * fast path without formats, or one that ignores a keyword) lets an instance through that vertx refuses, and this fails.
 * And the fast path must accept nearly every instance vertx accepts (else it is not the schema's own, or not fast).
 */
class FastValidatorProperties {
    private static Vertx vertx;
    private static Map<String, JsonSchema> schemas;
    private static final Map<String, int[]> SEEN = new TreeMap<>();

    @BeforeContainer
    static void loadContract() throws Exception {
        vertx = Vertx.vertx();
        OpenAPIContract contract = OpenAPIContract.from(vertx, Contract.forRouter()).toCompletionStage()
                .toCompletableFuture().get();
        schemas = new LinkedHashMap<>();
        for (Operation op : contract.operations()) {
            for (Parameter p : op.getParameters()) {
                schemas.put(op.getOperationId() + " " + p.getIn() + " " + p.getName(), p.getSchema());
            }
            if (op.getRequestBody() != null) {
                for (Map.Entry<String, MediaType> m : op.getRequestBody().getContent().entrySet()) {
                    schemas.put(op.getOperationId() + " body " + m.getKey(), m.getValue().getSchema());
                }
            }
        }
        exact = new LinkedHashMap<>();
        fast = new LinkedHashMap<>();
        schemas.forEach((name, schema) -> {
            Validator v = contract.getSchemaRepository().validator(schema);
            exact.put(name, v);
            Validator f = FastValidator.of(schema, v);
            assertThat(f).as("every schema of the contract has a fast path: %s", name).isInstanceOf(FastValidator.class);
            fast.put(name, (FastValidator) f);
        });
    }

    private static Map<String, Validator> exact;
    private static Map<String, FastValidator> fast;

    @AfterContainer
    static void report() {
        vertx.close();
        int valid = SEEN.values().stream().mapToInt(c -> c[0]).sum();
        int total = SEEN.values().stream().mapToInt(c -> c[1]).sum();
        assertThat(valid).as("the generator reaches valid instances (%d of %d)", valid, total)
                .isGreaterThan(total / 20);
        int slow = SEEN.values().stream().mapToInt(c -> c[2]).sum();
        assertThat(slow).as("valid instances the fast path did not accept (%d of %d): each schema is compiled as its "
                + "own", slow, valid).isLessThan(Math.max(1, valid / 20));
    }

    @Property(tries = 300)
    void whatTheFastPathAcceptsVertxAccepts(@ForAll long seed) {
        Random random = new Random(seed);
        schemas.forEach((name, schema) -> {
            for (int i = 0; i < 5; i++) {
                Object instance = generate(new JsonObject(schema.toString()), random, 0);
                boolean fastValid = fast.get(name).fastValid(instance);
                boolean vertxValid = Boolean.TRUE.equals(exact.get(name).validate(instance).getValid());
                int[] seen = SEEN.computeIfAbsent(name, k -> new int[3]);
                seen[1]++;
                if (vertxValid) {
                    seen[0]++;
                    if (!fastValid) {
                        seen[2]++; // valid, sent the slow way: right, but the fast path is for these
                    }
                }
                if (fastValid) {
                    assertThat(vertxValid).as("%s: the fast path accepted %s, vertx refuses it", name,
                            io.vertx.core.json.Json.encode(instance)).isTrue();
                }
            }
        });
    }

    private static final Object[] JUNK = {null, true, "", "x", 0, -1, 1.5, new JsonObject(), new JsonArray(),
        new JsonArray().add(1), new JsonObject().put("a", 1)};
    private static final String[] NAMES = {"memory", "disk", "gpu", "locks", "a", "A-1", "node-1", "x.y_z", "-a", "_a",
        "a b", "ä", "", "a".repeat(63), "a".repeat(64), "unknown"};
    private static final String[] STRINGS = {"", "a", "node-1", "team-a", "ABC", "a".repeat(64), "a".repeat(65),
        "a".repeat(200), "a".repeat(201), "ä", " ", "a b", "-", "_a", "a.b", "!", "~", "\u0000", "2030-01-01T00:00:00Z",
        "2030-01-01T00:00:00+09:00", "2030-01-01", "not a date", "https://example.com/hook", "http://[::1]/x",
        "ftp://x", "OFFER", "BID", "QUOTA", "BUY", "QUEUED", "GRANTED", "above", "below", "1", "1.5", "true"};

    /** An instance near {@code schema}: mostly shaped by it, sometimes a little or very wrong. */
    @SuppressWarnings("unchecked")
    private static Object generate(JsonObject schema, Random r, int depth) {
        if (depth > 6 || r.nextInt(20) == 0) {
            return pick(JUNK, r);
        }
        for (String combinator : List.of("oneOf", "anyOf", "allOf")) {
            JsonArray branches = schema.getJsonArray(combinator);
            if (branches != null && !branches.isEmpty()) {
                JsonObject merged = schema.copy();
                merged.remove(combinator);
                merged.mergeIn(branches.getJsonObject(r.nextInt(branches.size())), true);
                return generate(merged, r, depth + 1);
            }
        }
        JsonArray en = schema.getJsonArray("enum");
        if (en != null && !en.isEmpty() && r.nextInt(8) != 0) {
            return en.getValue(r.nextInt(en.size()));
        }
        if (schema.containsKey("const") && r.nextInt(8) != 0) {
            return schema.getValue("const");
        }
        Object type = schema.getValue("type");
        String t = type instanceof JsonArray a ? a.getString(r.nextInt(a.size())) : (String) type;
        if (t == null) {
            t = schema.containsKey("properties") ? "object" : schema.containsKey("items") ? "array" : "string";
        }
        switch (t) {
            case "object" -> {
                JsonObject o = new JsonObject();
                JsonObject props = schema.getJsonObject("properties", new JsonObject());
                JsonArray required = schema.getJsonArray("required", new JsonArray());
                for (String p : props.fieldNames()) {
                    if (r.nextInt(required.contains(p) ? 30 : 3) != 0) {
                        o.put(p, generate(props.getJsonObject(p), r, depth + 1));
                    }
                }
                Object extra = schema.getValue("additionalProperties");
                int more = extra instanceof JsonObject ? r.nextInt(4) : r.nextInt(12) == 0 ? 1 : 0;
                for (int i = 0; i < more; i++) {
                    o.put(pick(NAMES, r), extra instanceof JsonObject e ? generate(e, r, depth + 1) : pick(JUNK, r));
                }
                return o;
            }
            case "array" -> {
                JsonArray a = new JsonArray();
                int n = r.nextInt(5);
                JsonObject items = schema.getJsonObject("items", new JsonObject());
                for (int i = 0; i < n; i++) {
                    a.add(r.nextInt(6) == 0 && !a.isEmpty() ? a.getValue(0) : generate(items, r, depth + 1));
                }
                return a;
            }
            case "integer", "number" -> {
                List<Object> near = new ArrayList<>(List.of(0, 1, -1, 2, 1.0, 1.5, -0.5, 1L << 40, (1L << 40) + 1,
                        Long.MAX_VALUE, BigInteger.ONE.shiftLeft(70), 1e300, 86_400, 86_401, 1000, 1001));
                for (String bound : List.of("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")) {
                    if (schema.getValue(bound) instanceof Number b) {
                        long v = b.longValue();
                        near.addAll(List.of(v - 1, v, v + 1, (double) v, v + 0.5));
                    }
                }
                return near.get(r.nextInt(near.size()));
            }
            case "boolean" -> {
                return r.nextBoolean();
            }
            case "null" -> {
                return null;
            }
            default -> {
                return r.nextInt(4) == 0 ? pick(NAMES, r) : pick(STRINGS, r);
            }
        }
    }

    private static <T> T pick(T[] from, Random r) {
        return from[r.nextInt(from.length)];
    }
}
