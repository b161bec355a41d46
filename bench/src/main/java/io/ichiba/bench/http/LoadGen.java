package io.ichiba.bench.http;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP load generator of the claim benchmarks, against the broker or a {@link BaselineServer} arm.
 *
 * <pre>
 * java -cp bench/target/ichiba-bench.jar io.ichiba.bench.http.LoadGen MODE ...
 *   setup  --url U --operator-token T --nodes N --lock-permits P [--out token-file] [--tenant bench]
 *          provisions a broker: tenant (huge quota), N agents + one report each, lock bench; prints the token
 *   open   --url U[,U2..] --token T --rate R[,R2..] --duration S --warmup S2 --out f.csv --arm NAME
 *          [--connections 256] [--prewarm 3]: one row per rate, after prewarm seconds at the first
 *          arm,rate,achieved_per_s,count,errors,p50_ms,p90_ms,p99_ms,p999_ms,max_ms
 *   closed --url U[,U2..] --token T --connections C --duration S --warmup S2 --out f.csv --label L
 *          [--label-header label]: label,connections,claims_per_s,p50_ms,p99_ms,max_ms,errors
 * </pre>
 *
 * <p>An operation is a claim, long-polls while it is QUEUED until GRANTED (latency ends there), then its release
 * (not timed). Open-loop latency runs from each operation's due time (see {@link Loops}). Throughput counts grants
 * completed inside the measured window. Errors are failed claims or releases (non-2xx, timeouts, a claim that ended
 * other than GRANTED) and operations unfinished 25 s after the window; the first few are printed to stderr.
 * Requests go over HTTP/1.1 keep-alive connections (up to {@code --connections} per server, no pipelining)
 * from {@code --loops} (2) event loops.
 */
public final class LoadGen {
    private static final String OPEN_HEADER = "arm,rate,achieved_per_s,count,errors,p50_ms,p90_ms,p99_ms,p999_ms,max_ms";
    private static final String CLOSED_HEADER = ",connections,claims_per_s,p50_ms,p99_ms,max_ms,errors";

    private LoadGen() {
    }

    /** Runs the mode named by the first argument. */
    public static void main(String[] args) throws Exception {
        Flags f = Flags.parse(args);
        int loops = (int) f.num("loops", 2);
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops));
        try {
            switch (f.mode()) {
                case "setup" -> setup(vertx, f);
                case "open" -> open(vertx, f, loops);
                case "closed" -> closed(vertx, f, loops);
                default -> throw new IllegalArgumentException("mode must be setup, open or closed: '" + f.mode() + "'");
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        System.exit(0);
    }

    private static void setup(Vertx vertx, Flags f) throws Exception {
        int nodes = (int) f.num("nodes", 1);
        long t0 = System.nanoTime();
        try (Http http = new Http(vertx, 64, 2)) {
            Provisioner p = new Provisioner(http, f.need("url"), f.need("operator-token"));
            String token = p.tenant(f.get("tenant", "bench"))
                    .compose(t -> p.lock("bench", f.num("lock-permits", 1_000_000)).map(t))
                    .compose(t -> p.nodes(nodes, (int) f.num("concurrency", 64)).map(t))
                    .toCompletionStage().toCompletableFuture().get(10, TimeUnit.MINUTES);
            if (f.values().containsKey("out")) {
                Files.writeString(Path.of(f.need("out")), token + "\n", StandardCharsets.UTF_8);
            }
            System.err.printf("setup: tenant, lock and %d nodes in %.1f s%n", nodes, (System.nanoTime() - t0) / 1e9);
            System.out.println(token);
        }
    }

    private static void open(Vertx vertx, Flags f, int loops) {
        List<String> urls = f.list("url");
        try (Http http = new Http(vertx, (int) f.num("connections", 256), loops)) {
            ClaimCycle cycle = new ClaimCycle(http, f.need("token"));
            List<String> rates = f.list("rate");
            double prewarm = f.dbl("prewarm", 3);
            if (prewarm > 0) { // the client's JIT and connections, at the first rate, not recorded
                Loops.open(contexts(vertx, loops), cycle, urls, Double.parseDouble(rates.get(0)), prewarm, 0);
            }
            for (String r : rates) {
                double rate = Double.parseDouble(r);
                Tally t = Loops.open(contexts(vertx, loops), cycle, urls, rate, f.dbl("warmup", 2), f.dbl("duration", 5));
                String row = String.join(",", f.need("arm"), r, Csv.num(t.throughput(), 1),
                        Long.toString(t.latency().getTotalCount()), Long.toString(t.errors()), Csv.num(t.ms(50), 3),
                        Csv.num(t.ms(90), 3), Csv.num(t.ms(99), 3), Csv.num(t.ms(99.9), 3), Csv.num(t.maxMs(), 3));
                Csv.append(Path.of(f.need("out")), OPEN_HEADER, row);
                System.out.println(row);
                report(t);
            }
        }
    }

    private static void closed(Vertx vertx, Flags f, int loops) {
        int connections = (int) f.num("connections", 16);
        try (Http http = new Http(vertx, connections, loops)) {
            ClaimCycle cycle = new ClaimCycle(http, f.need("token"));
            Tally t = Loops.closed(contexts(vertx, loops), cycle, f.list("url"), connections, f.dbl("warmup", 2),
                    f.dbl("duration", 5));
            String row = String.join(",", f.need("label"), Integer.toString(connections), Csv.num(t.throughput(), 1),
                    Csv.num(t.ms(50), 3), Csv.num(t.ms(99), 3), Csv.num(t.maxMs(), 3), Long.toString(t.errors()));
            Csv.append(Path.of(f.need("out")), f.get("label-header", "label") + CLOSED_HEADER, row);
            System.out.println(row);
            report(t);
        }
    }

    private static void report(Tally t) {
        if (t.errors() > 0) {
            System.err.println("errors: " + t.errorDetail());
        }
    }

    /** One event-loop context per loop, so that operations spread over the client's threads. */
    private static List<Context> contexts(Vertx vertx, int loops) {
        List<Context> contexts = new ArrayList<>();
        for (int i = 0; i < loops; i++) {
            contexts.add(((VertxInternal) vertx).createEventLoopContext());
        }
        return contexts;
    }
}
