package io.ichiba.broker;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The broker as operators start it: {@code java -jar broker/target/ichiba-broker.jar} in a process of its own, with
 * no configuration but its ports (free ones, so that the test does not take 8080 from the machine) and its own
 * cluster name. Without {@code ICHIBA_OPERATOR_TOKEN} it generates the operator's token and prints it once; that
 * token works.
 */
class MainIT {

    @Test
    void theJarStartsAloneAndPrintsTheGeneratedOperatorTokenOnce() throws Exception {
        File jar = Path.of("target", "ichiba-broker.jar").toFile();
        assertThat(jar).as("the shaded jar (mvn package)").exists();
        int http = TestBrokers.freePort();
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-jar", jar.getPath()).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("ICHIBA_"));
        env.put("ICHIBA_HTTP_PORT", Integer.toString(http));
        env.put("ICHIBA_HTTP_HOST", "127.0.0.1");
        env.put("ICHIBA_HZ_PORT", Integer.toString(TestBrokers.freePort()));
        env.put("ICHIBA_HZ_CLUSTER", "ichiba-main-" + UUID.randomUUID());
        Process broker = pb.start();
        List<String> output = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(broker.getInputStream(),
                    StandardCharsets.UTF_8))) {
                r.lines().forEach(output::add);
            } catch (java.io.IOException e) {
                // the process ended
            }
        }, "broker-output");
        reader.setDaemon(true);
        reader.start();
        try {
            Http anonymous = new Http("http://127.0.0.1:" + http, null);
            // Main prints the token once the broker serves: wait for both
            await("the broker ready and its token printed").atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                    .until(() -> output.stream().anyMatch(l -> l.contains("operator token"))
                            && anonymous.get("/ready").status() == 200);
            List<String> told = output.stream().filter(l -> l.contains("operator token")).toList();
            assertThat(told).as("printed once: %s", output).hasSize(1);
            String token = told.get(0).substring(told.get(0).lastIndexOf(' ') + 1);
            assertThat(token).startsWith("ich_");

            Http operator = anonymous.as(token);
            Http.Answer tenant = operator.post("/v1/tenants", Map.of("id", "team-a", "quota", Map.of("memory", 1024)));
            assertThat(tenant.status()).as(tenant.toString()).isEqualTo(201);
            assertThat(anonymous.as("ich_not-the-token").get("/v1/pools").status()).isEqualTo(401);
            assertThat(output.stream().filter(l -> l.contains(token))).as("the token is printed nowhere else")
                    .hasSize(1);
        } finally {
            broker.destroy(); // SIGTERM: the shutdown hook stops the broker
            if (!broker.waitFor(60, TimeUnit.SECONDS)) {
                broker.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }
}
