package io.ichiba.broker.http;

import io.ichiba.api.Wire;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.openapi.router.OpenAPIRoute;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.SecurityRequirement;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Builds the HTTP router from the contract ({@code openapi.yaml}): every operation is bound by its
 * {@code operationId} to a handler, requests are validated against the contract before any handler runs,
 * and every error leaves as {@code application/problem+json}. An operation without a handler is a start-up
 * error, so the contract and the code cannot drift.
 *
 * <pre>
 *   request ─► no body on GET/HEAD/DELETE ─► BodyHandler (64 KiB) ─► Authenticator ─► contract validation ─► ...
 *                │ 400                                            │ 401              │ 400 + field errors
 *   ... ─► [Idempotency] ─► Operation ─► Reply ─► JSON
 * </pre>
 */
public final class ApiRouter {
    private static final Logger LOG = LoggerFactory.getLogger(ApiRouter.class);
    /** The largest request body accepted. */
    public static final long BODY_LIMIT = 64 * 1024;

    /** One operation of the contract. */
    @FunctionalInterface
    public interface Op {
        /** Handles a validated, authenticated call. */
        Future<Reply> handle(Call call);
    }

    private ApiRouter() {
    }

    /** Returns the operation ids of the contract. */
    public static Set<String> operationIds(OpenAPIContract contract) {
        return contract.operations().stream().map(Operation::getOperationId).collect(Collectors.toCollection(TreeSet::new));
    }

    /** Returns the paths whose operations need no token ({@code security: []}). */
    public static Set<String> publicPaths(OpenAPIContract contract) {
        return contract.operations().stream()
                .filter(o -> o.getSecurityRequirements().isEmpty()
                        || o.getSecurityRequirements().stream().anyMatch(SecurityRequirement::isEmpty))
                .map(Operation::getOpenAPIPath)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /**
     * Builds the router.
     *
     * @param ops      handlers of operations, by operation id
     * @param raw      handlers that write their own answer (e.g. the Prometheus scrape), by operation id
     * @param limits   the rate limit per caller, checked after authentication
     * @throws IllegalStateException if an operation of the contract has no handler, or a handler no operation
     */
    public static Router create(Vertx vertx, OpenAPIContract contract, Map<String, Op> ops,
                                Map<String, Handler<RoutingContext>> raw, Authenticator auth, Idempotency idempotency,
                                CallerLimits limits) {
        Set<String> bound = new TreeSet<>(ops.keySet());
        bound.addAll(raw.keySet());
        Set<String> ids = operationIds(contract);
        if (!bound.equals(ids)) {
            Set<String> missing = new TreeSet<>(ids);
            missing.removeAll(bound);
            Set<String> extra = new TreeSet<>(bound);
            extra.removeAll(ids);
            throw new IllegalStateException("contract and handlers differ: no handler for " + missing
                    + ", no operation for " + extra);
        }
        RouterBuilder builder = RouterBuilder.create(vertx, contract, RequestExtractor.withBodyHandler());
        builder.rootHandler(NO_BODY_WHERE_NONE_IS_TAKEN);
        builder.rootHandler(BodyHandler.create().setBodyLimit(BODY_LIMIT).setHandleFileUploads(false));
        builder.rootHandler(auth);
        builder.rootHandler(limits::rate);
        for (OpenAPIRoute route : builder.getRoutes()) {
            String id = route.getOperation().getOperationId();
            route.setDoSecurity(false);
            Handler<RoutingContext> h = raw.containsKey(id) ? raw.get(id)
                    : adapt(ops.get(id), route.getOperation().getHttpMethod() != HttpMethod.GET, idempotency);
            route.addHandler(h);
        }
        Router router = builder.createRouter();
        router.route().order(-1).failureHandler(ApiRouter::fail);
        router.errorHandler(404, rc -> send(rc, Problems.notFound("no such path: " + rc.request().path())));
        router.errorHandler(405, rc -> send(rc, Problems.of(405, "METHOD_NOT_ALLOWED",
                rc.request().method() + " is not allowed on " + rc.request().path())));
        return router;
    }

    /**
     * A GET, HEAD or DELETE takes no body: one that carries a body (a length above 0, or chunks) is answered 400
     * before anything reads it (issue 14: a GET with a form body was a 500 and a stack trace in the log, on any path,
     * without a token). A platform handler: the router runs it before the body handler.
     */
    private static final io.vertx.ext.web.handler.PlatformHandler NO_BODY_WHERE_NONE_IS_TAKEN =
            ApiRouter::noBodyWhereNoneIsTaken;

    private static void noBodyWhereNoneIsTaken(RoutingContext rc) {
        HttpMethod m = rc.request().method();
        if (m == HttpMethod.GET || m == HttpMethod.HEAD || m == HttpMethod.DELETE) {
            String length = rc.request().getHeader("Content-Length");
            boolean body = rc.request().getHeader("Transfer-Encoding") != null
                    || (length != null && !length.strip().equals("0"));
            if (body) {
                send(rc, Problems.of(400, "INVALID_REQUEST", m + " takes no request body; send none"));
                return;
            }
        }
        rc.next();
    }

    /**
     * Answers a request the HTTP decoder could not read, before any route: a request line over 4 KiB is 414, headers
     * over 8 KiB are 431, anything else malformed is 400; each a problem (issue 14: they were bare answers), then the
     * connection is closed, since the rest of what it carries cannot be read. The server's invalid-request handler.
     */
    public static void invalidRequest(io.vertx.core.http.HttpServerRequest request) {
        Throwable cause = request.decoderResult().cause();
        Reply r;
        if (cause instanceof io.netty.handler.codec.http.TooLongHttpLineException) {
            r = Problems.of(414, "URI_TOO_LONG", "the request line is over 4 KiB");
        } else if (cause instanceof io.netty.handler.codec.http.TooLongHttpHeaderException) {
            r = Problems.of(431, "HEADERS_TOO_LARGE", "the request's headers are over 8 KiB together");
        } else {
            r = Problems.of(400, "INVALID_REQUEST", "the request is not valid HTTP");
        }
        write(request.response().putHeader("Connection", "close"), r)
                .onComplete(done -> request.connection().close());
    }

    /** {@code handler} for the operator only: anyone else is answered 403. */
    public static Handler<RoutingContext> operatorOnly(Handler<RoutingContext> handler) {
        return rc -> {
            Caller c = rc.get(Authenticator.CALLER);
            if (c == null || !c.operator()) {
                send(rc, Problems.forbidden("only the operator reads this (ICHIBA_PUBLIC_METRICS=false)"));
            } else {
                handler.handle(rc);
            }
        };
    }

    private static Handler<RoutingContext> adapt(Op op, boolean mutating, Idempotency idempotency) {
        return rc -> {
            Call call = new Call(rc, rc.get(Authenticator.CALLER));
            Future<Reply> reply;
            try {
                reply = mutating ? idempotency.run(call, () -> op.handle(call)) : op.handle(call);
            } catch (RuntimeException e) {
                rc.fail(e);
                return;
            }
            reply.onSuccess(r -> send(rc, r)).onFailure(rc::fail);
        };
    }

    private static void fail(RoutingContext rc) {
        Reply r = Problems.fromFailure(rc.statusCode(), rc.failure());
        if (r.status() == 503) {
            LOG.warn("request not applied: {} {}: {}", rc.request().method(), rc.request().path(), rc.failure().toString());
        } else if (r.status() >= 500) {
            LOG.error("request failed: {} {}", rc.request().method(), rc.request().path(), rc.failure());
        }
        send(rc, r);
    }

    /** Writes {@code reply} as JSON (problems as {@code application/problem+json}). */
    public static void send(RoutingContext rc, Reply reply) {
        if (rc.response().ended() || rc.response().closed()) {
            return;
        }
        write(rc.response(), reply);
    }

    /** Ends {@code response} with {@code reply} as JSON (problems as {@code application/problem+json}). */
    private static io.vertx.core.Future<Void> write(io.vertx.core.http.HttpServerResponse response, Reply reply) {
        String json;
        try {
            json = reply.body() instanceof String s ? s : Wire.JSON.writeValueAsString(reply.body());
        } catch (Exception e) {
            return response.setStatusCode(500).end();
        }
        return response.setStatusCode(reply.status())
                .putHeader("Content-Type", reply.isError() ? "application/problem+json" : "application/json")
                .end(json);
    }
}
