package io.ichiba.broker.http;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.ValidatedRequest;

/**
 * One request after authentication and contract validation: the caller and the validated parameters.
 *
 * @param rc     the routing context
 * @param caller who is calling
 */
public record Call(RoutingContext rc, Caller caller) {

    private ValidatedRequest validated() {
        return rc.get(RouterBuilder.KEY_META_DATA_VALIDATED_REQUEST);
    }

    /** Returns a path parameter. */
    public String path(String name) {
        RequestParameter p = validated().getPathParameters().get(name);
        return p == null ? null : p.getString();
    }

    /** Returns a string query parameter, or {@code null}. */
    public String query(String name) {
        RequestParameter p = validated().getQuery().get(name);
        return p == null || p.isNull() ? null : String.valueOf(p.get());
    }

    /**
     * Returns a query parameter as the client sent it (URL-decoded once), or {@code null}. The validated value
     * ({@link #query}) is decoded twice by vertx-openapi 5.0, which turns a {@code %2B} into a space; read values
     * that may hold a {@code +} (times with an offset) here.
     */
    public String queryAsSent(String name) {
        return rc.request().getParam(name);
    }

    /** Returns a whole-number query parameter, or {@code dflt}. */
    public long queryLong(String name, long dflt) {
        RequestParameter p = validated().getQuery().get(name);
        return p == null || p.isNull() || !p.isNumber() ? dflt : p.getLong();
    }

    /** Returns the JSON body, or an empty object when there is none. */
    public JsonObject body() {
        RequestParameter b = validated().getBody();
        return b == null || b.isNull() || !b.isJsonObject() ? new JsonObject() : b.getJsonObject();
    }

    /** Returns a request header, or {@code null}. */
    public String header(String name) {
        return rc.request().getHeader(name);
    }
}
