package io.ichiba.broker.admission;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A waiter registered while the claim changes is never lost: it is woken by that change or by the next one. A
 * waiter added to the list a change had just taken away waited its whole timeout (2 s for {@code POST /v1/claims}),
 * found as a 2 s stall in the open-loop benchmark (docs/benchmarks.md).
 */
class ChangeWatchTest {
    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() {
        vertx.close().await();
    }

    @Test
    void aWaiterRegisteredWhileChangesHappenIsWokenByALaterChange() throws Exception {
        ChangeWatch watch = new ChangeWatch(vertx);
        AtomicBoolean registering = new AtomicBoolean(true);
        Thread changer = new Thread(() -> {
            while (registering.get()) {
                watch.changed("c1");
            }
        });
        changer.start();
        List<Future<Void>> waits = new ArrayList<>();
        for (int i = 0; i < 200_000; i++) {
            waits.add(watch.next("c1", 600_000)); // far beyond the test: only a change may complete them
        }
        registering.set(false);
        changer.join();
        watch.changed("c1"); // every waiter registered is now older than a change
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(waits.stream().filter(f -> !f.isComplete()).count()).isZero());
        assertThat(watch.watched()).isZero();
    }
}
