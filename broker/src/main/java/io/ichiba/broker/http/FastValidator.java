package io.ichiba.broker.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;

import java.util.Iterator;
import java.util.Map;

/**
 * A contract schema's validator that answers "valid" fast and leaves "what is wrong" to vertx-openapi's.
 *
 * <p>vertx-json-schema's validator was about 30 % of the broker's CPU under load (a profile of {@code bench/}'s HTTP
 * arm, issue 13): it walks every keyword generically and builds a JSON pointer for each. The networknt validator
 * compiles the same schema (JSON Schema 2020-12, the dialect of OpenAPI 3.1) into a tree of keyword validators once,
 * and checks an instance with a fraction of that work. So an instance is checked by networknt first: valid, and it
 * goes on; invalid, and vertx's validator checks it again and gives the answer, the same errors as before, for the
 * problem the client gets. Formats are asserted, as vertx does. An instance with a fractional number in it (JSON
 * Schema counts {@code 1.0} as an integer, vertx does not; the contract has no fractional field) goes to vertx.
 *
 * <p>The fast path may only say "valid" where vertx says so too: {@code FastValidatorProperties} checks that on every
 * schema of the contract, over random instances built from the contract's own names, bounds and values. A schema
 * that still holds a {@code $ref} (the contract's are resolved when it is loaded) is left to vertx alone.
 */
final class FastValidator implements Validator {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
            b -> b.schemaRegistryConfig(SchemaRegistryConfig.builder().formatAssertionsEnabled(true).build()));

    private final Schema fast;
    private final Validator exact;

    private FastValidator(Schema fast, Validator exact) {
        this.fast = fast;
        this.exact = exact;
    }

    /** {@code exact} with a fast path for {@code schema}, or {@code exact} alone when the schema cannot have one. */
    static Validator of(JsonSchema schema, Validator exact) {
        Schema compiled = compile(schema);
        return compiled == null ? exact : new FastValidator(compiled, exact);
    }

    /** The schema compiled by networknt, without vertx's own annotations; {@code null} if it holds a reference. */
    static Schema compile(JsonSchema schema) {
        JsonNode node;
        try {
            node = MAPPER.readTree(schema.toString());
        } catch (Exception e) {
            return null;
        }
        if (!(node instanceof ObjectNode o) || !strip(o)) {
            return null;
        }
        return REGISTRY.getSchema(SchemaLocation.of("urn:ichiba:contract"), node);
    }

    /** Removes vertx's {@code __…} annotations everywhere; answers false if a {@code $ref} remains. */
    private static boolean strip(JsonNode node) {
        if (node instanceof ObjectNode o) {
            if (o.has("$ref") || o.has("$dynamicRef")) {
                return false;
            }
            for (Iterator<String> names = o.fieldNames(); names.hasNext(); ) {
                if (names.next().startsWith("__")) {
                    names.remove();
                }
            }
            for (JsonNode child : o) {
                if (!strip(child)) {
                    return false;
                }
            }
        } else if (node != null && node.isArray()) {
            for (JsonNode child : node) {
                if (!strip(child)) {
                    return false;
                }
            }
        }
        return true;
    }

    @Override
    public OutputUnit validate(Object instance) {
        if (fastValid(instance)) {
            return new OutputUnit(true);
        }
        return exact.validate(instance);
    }

    /** Whether the fast path finds {@code instance} valid. */
    boolean fastValid(Object instance) {
        JsonNode node;
        try {
            node = node(instance);
        } catch (IllegalArgumentException e) {
            return false; // not JSON: vertx says why
        }
        return fast.validate(node).isEmpty();
    }

    /** The instance (vertx's JSON values, or the maps and lists inside them) as a Jackson tree. */
    static JsonNode node(Object v) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (v == null) {
            return f.nullNode();
        }
        if (v instanceof String s) {
            return f.textNode(s);
        }
        if (v instanceof Boolean b) {
            return f.booleanNode(b);
        }
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return f.numberNode(((Number) v).intValue());
        }
        if (v instanceof Long l) {
            return f.numberNode(l);
        }
        if (v instanceof java.math.BigInteger b) {
            return f.numberNode(b);
        }
        if (v instanceof Double || v instanceof Float || v instanceof java.math.BigDecimal) {
            // JSON Schema calls 1.0 an integer, vertx does not; the contract has no fractional number anywhere
            throw new IllegalArgumentException("a fractional number: vertx decides");
        }
        if (v instanceof JsonObject o) {
            return node(o.getMap());
        }
        if (v instanceof JsonArray a) {
            return node(a.getList());
        }
        if (v instanceof Map<?, ?> m) {
            ObjectNode o = f.objectNode();
            m.forEach((k, x) -> o.set(String.valueOf(k), node(x)));
            return o;
        }
        if (v instanceof java.util.List<?> l) {
            com.fasterxml.jackson.databind.node.ArrayNode a = f.arrayNode(l.size());
            l.forEach(x -> a.add(node(x)));
            return a;
        }
        throw new IllegalArgumentException("not a JSON value: " + v.getClass().getName());
    }
}
