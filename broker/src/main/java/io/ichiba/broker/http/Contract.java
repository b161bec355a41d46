package io.ichiba.broker.http;

import io.ichiba.api.Wire;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.OpenAPIContract;
import org.yaml.snakeyaml.Yaml;

import java.io.InputStream;
import java.util.Map;

/**
 * Loads the API contract ({@code openapi.yaml} from {@code api-spec}) for the router.
 *
 * <p>Notes: vertx-openapi 5.0 refuses a contract whose responses use {@code application/problem+json}
 * (RFC 9457), though the router never validates responses. The contract keeps the true media type for
 * clients; the router's copy names it {@code application/json}. The answers themselves still carry
 * {@code Content-Type: application/problem+json}. It refuses {@code text/event-stream} (the event stream) as well:
 * the router's copy leaves that media type out of the responses, which the router does not check anyway.
 *
 * <p>vertx-openapi 5.0 also URL-decodes query values a second time before validating them
 * (eclipse-vertx/vertx-openapi#117), so a time's {@code +09:00} offset sent as {@code %2B09:00} reaches the
 * {@code date-time} format check as a space and fails. The router's copy therefore drops {@code format} from
 * query parameters; the handlers of such parameters read them as sent ({@link Call#queryAsSent}) and check them.
 */
public final class Contract {
    static final String PROBLEM_JSON = "application/problem+json";
    static final String EVENT_STREAM = "text/event-stream";

    private Contract() {
    }

    /** Reads the contract as JSON, with problem responses relabelled for the router. */
    public static JsonObject forRouter() {
        try (InputStream in = Wire.contract()) {
            Map<String, Object> yaml = new Yaml().load(in);
            JsonObject spec = new JsonObject(Json.encode(yaml));
            relabel(spec.getJsonObject("components", new JsonObject()).getJsonObject("responses", new JsonObject()));
            spec.getJsonObject("paths").forEach(path -> ((JsonObject) path.getValue()).forEach(op -> {
                if (op.getValue() instanceof JsonObject o && o.containsKey("responses")) {
                    relabel(o.getJsonObject("responses"));
                }
                if (op.getValue() instanceof JsonObject o && o.getValue("parameters") instanceof JsonArray params) {
                    dropQueryFormats(params);
                }
            }));
            return spec;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void relabel(JsonObject responses) {
        responses.forEach(r -> {
            if (r.getValue() instanceof JsonObject resp && resp.getJsonObject("content") != null) {
                JsonObject content = resp.getJsonObject("content");
                content.remove(EVENT_STREAM);
                Object problem = content.remove(PROBLEM_JSON);
                if (problem != null && !content.containsKey("application/json")) {
                    content.put("application/json", problem);
                }
            }
        });
    }

    private static void dropQueryFormats(JsonArray parameters) {
        parameters.forEach(p -> {
            if (p instanceof JsonObject param && "query".equals(param.getString("in"))
                    && param.getValue("schema") instanceof JsonObject schema) {
                schema.remove("format");
            }
        });
    }

    /** Loads and resolves the contract; its schema validators are built once each ({@link CachedValidators}). */
    public static Future<OpenAPIContract> load(Vertx vertx) {
        return OpenAPIContract.from(vertx, forRouter()).map(CachedValidators::new);
    }
}
