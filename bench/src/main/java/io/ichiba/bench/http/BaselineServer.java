package io.ichiba.bench.http;

import io.ichiba.api.Model;
import io.ichiba.bench.redis.RedisGrants;
import io.ichiba.broker.http.ApiRouter;
import io.ichiba.broker.http.Reply;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * One baseline arm of the HTTP benchmark, serving {@code POST /v1/claims} and {@code POST /v1/claims/{id}/release}
 * with Ichiba's answer shapes, so that the broker's claim path can be set against what its parts cost:
 *
 * <pre>
 *   hello    plain Vert.x Router + BodyHandler, a constant 201 claim / 200 release     (the HTTP stack's ceiling)
 *   openapi  the broker's ApiRouter over openapi.yaml (auth, validation, problems), constant answers ({@link ContractArm})
 *   redis    openapi + the Redis baseline: all-or-nothing acquire / release in one Lua script ({@link RedisClaims})
 * </pre>
 *
 * <p>Each arm runs in its own process and Vert.x instance with one HTTP server created outside any verticle, as
 * {@code Broker} creates its own: one event loop serves HTTP (the broker adds a worker pool for ledger calls).
 *
 * <pre>
 * java -cp bench/target/ichiba-bench.jar io.ichiba.bench.http.BaselineServer --port 18081 --arm hello|openapi|redis
 *      [--token T (openapi, redis: the one bearer token accepted; default bench)]
 *      [--redis redis://127.0.0.1:16379] [--nodes 4] [--locks bench]
 * </pre>
 */
public final class BaselineServer {
    private static final Logger LOG = LoggerFactory.getLogger(BaselineServer.class);
    /** What the redis arm sets every pool's free amount to. */
    static final long FREE = 1L << 40;

    private BaselineServer() {
    }

    /** Starts the arm named by {@code --arm} and serves until killed. */
    public static void main(String[] args) throws Exception {
        Flags f = Flags.parse(args);
        String arm = f.need("arm").toLowerCase(Locale.ROOT);
        int port = (int) f.num("port", 18081);
        String token = f.get("token", "bench");
        Vertx vertx = Vertx.vertx();
        Future<Router> router = switch (arm) {
            case "hello" -> Future.succeededFuture(hello(vertx));
            case "openapi" -> ContractArm.router(vertx, token, call -> Future.succeededFuture(
                    Reply.created(ClaimShapes.json(UUID.randomUUID().toString(), Model.ClaimState.GRANTED))),
                    call -> Future.succeededFuture(
                            new Reply(200, ClaimShapes.json(call.path("id"), Model.ClaimState.RELEASED))));
            case "redis" -> {
                RedisGrants grants = new RedisGrants(f.get("redis", "redis://127.0.0.1:16379"));
                int nodes = (int) f.num("nodes", 4);
                RedisClaims.provision(grants, nodes, List.of(f.get("locks", "bench").split(",")), FREE);
                RedisClaims claims = new RedisClaims(grants, nodes);
                yield ContractArm.router(vertx, token, claims::create, claims::release);
            }
            default -> throw new IllegalArgumentException("--arm must be hello, openapi or redis: " + arm);
        };
        HttpServer server = router.compose(r -> vertx.createHttpServer(new HttpServerOptions().setPort(port)
                        .setCompressionSupported(true)).requestHandler(r).listen())
                .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        LOG.info("baseline arm={} serving http=:{}", arm, server.actualPort());
    }

    /**
     * The ceiling: a Router with a BodyHandler (the request body is read, as in every arm) and two routes that
     * answer constant JSON (the same claim id every time); no auth, no validation.
     */
    static Router hello(Vertx vertx) {
        Router r = Router.router(vertx);
        r.route().handler(BodyHandler.create().setBodyLimit(ApiRouter.BODY_LIMIT).setHandleFileUploads(false));
        String granted = ClaimShapes.json("00000000-0000-0000-0000-000000000000", Model.ClaimState.GRANTED);
        String released = ClaimShapes.json("00000000-0000-0000-0000-000000000000", Model.ClaimState.RELEASED);
        r.post("/v1/claims").handler(rc -> rc.response().setStatusCode(201)
                .putHeader("Content-Type", "application/json").end(granted));
        r.post("/v1/claims/:id/release").handler(rc -> rc.response().setStatusCode(200)
                .putHeader("Content-Type", "application/json").end(released));
        return r;
    }
}
