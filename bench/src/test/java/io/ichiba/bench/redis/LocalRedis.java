package io.ichiba.bench.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * A real {@code redis-server} for the tests: a process of its own on a free loopback port, with no persistence,
 * stopped at the end. CI installs Redis (.ci/run), so there its absence is a failure; elsewhere the tests are
 * skipped with the reason.
 */
final class LocalRedis implements AutoCloseable {
    private final Process process;
    private final Path dir;
    private final String uri;

    private LocalRedis(Process process, Path dir, int port) {
        this.process = process;
        this.dir = dir;
        this.uri = "redis://127.0.0.1:" + port;
    }

    /** Starts a server and returns once it answers {@code PING}. */
    static LocalRedis start() throws IOException {
        String server = find();
        Path dir = Files.createTempDirectory("ichiba-redis");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process p = new ProcessBuilder(server, "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        LocalRedis redis = new LocalRedis(p, dir, port);
        try {
            await("redis-server on port " + port).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                    .ignoreExceptions().until(redis::ping);
        } catch (RuntimeException e) {
            redis.close();
            throw e;
        }
        return redis;
    }

    /** The server's address, for Lettuce. */
    String uri() {
        return uri;
    }

    /** Deletes every key. */
    void flush() {
        RedisClient client = RedisClient.create(uri);
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            c.sync().flushall();
        } finally {
            client.shutdown();
        }
    }

    private boolean ping() {
        if (!process.isAlive()) {
            throw new IllegalStateException("redis-server exited with " + process.exitValue() + ", see " + dir);
        }
        RedisClient client = RedisClient.create(uri);
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            return "PONG".equals(c.sync().ping());
        } finally {
            client.shutdown();
        }
    }

    private static String find() {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            File f = new File(d, "redis-server");
            if (f.canExecute()) {
                return f.getPath();
            }
        }
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError("redis-server is not installed; .ci/run installs it (Debian redis-server)");
        }
        Assumptions.abort("redis-server is not installed here (apt-get install redis-server); CI runs these tests");
        throw new AssertionError("unreachable");
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a temporary directory left behind
        }
    }
}
