package io.ichiba.broker;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Handler bindings declared in the operator's YAML file: loaded at start, reloaded on change (added, changed,
 * disabled, removed), a malformed file changing nothing, a bad entry skipped, and the API refusing to change them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BindingsFileIT {
    private TestBrokers cluster;
    private Http op;
    private Path file;

    @BeforeAll
    void start() throws Exception {
        file = Files.createTempFile("ichiba-handlers", ".yaml");
        write("""
                bindings:
                  - id: ops-node-lost
                    eventType: node.lost
                    webhook: {url: "http://127.0.0.1:9/hooks"}
                    secret: s3cret
                    ackPolicy: BEFORE
                """);
        cluster = new TestBrokers();
        op = TestBrokers.operator(cluster.start(c -> c.withHandlersFile(file.toString())));
    }

    @AfterAll
    void stop() throws Exception {
        cluster.close();
        Files.deleteIfExists(file);
    }

    private void write(String yaml) throws Exception {
        Files.writeString(file, yaml);
    }

    private Map<String, JsonNode> fileBindings() {
        Map<String, JsonNode> out = new java.util.TreeMap<>();
        op.get("/v1/handlers").body().get("items").forEach(h -> {
            if ("file".equals(h.path("source").asText())) {
                out.put(h.get("id").asText(), h);
            }
        });
        return out;
    }

    @Test
    void theFileIsLoadedReloadedOnChangeAndIsTheSourceOfTruth() throws Exception {
        await().atMost(Duration.ofSeconds(15)).until(() -> fileBindings().containsKey("file:ops-node-lost"));
        JsonNode h = fileBindings().get("file:ops-node-lost");
        assertThat(h.get("ackPolicy").asText()).isEqualTo("BEFORE");
        assertThat(h.has("owner")).as("cluster-wide").isFalse();
        assertThat(op.patch("/v1/handlers/file:ops-node-lost", Map.of("enabled", false)).status()).isEqualTo(409);
        assertThat(op.delete("/v1/handlers/file:ops-node-lost").status()).isEqualTo(409);

        write("""
                bindings:
                  - id: ops-node-lost
                    eventType: node.lost
                    webhook: {url: "http://127.0.0.1:9/hooks"}
                    secret: s3cret
                    ackPolicy: BEFORE
                    enabled: false
                  - id: ops-overcommit
                    eventType: pool.overcommitted
                    address: ops.overcommit
                    priority: 7
                  - id: broken
                    eventType: claim.nope
                    address: x
                """);
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            Map<String, JsonNode> now = fileBindings();
            assertThat(now.keySet()).containsExactly("file:ops-node-lost", "file:ops-overcommit");
            assertThat(now.get("file:ops-node-lost").get("enabled").asBoolean()).isFalse();
            assertThat(now.get("file:ops-overcommit").get("priority").asInt()).isEqualTo(7);
        });

        write("bindings: [ {id: oops"); // malformed: nothing changes
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(fileBindings().keySet()).containsExactly("file:ops-node-lost", "file:ops-overcommit"));

        write("bindings: []\n");
        await().atMost(Duration.ofSeconds(15)).until(() -> fileBindings().isEmpty());
        assertThat(List.copyOf(fileBindings().keySet())).isEmpty();
    }
}
