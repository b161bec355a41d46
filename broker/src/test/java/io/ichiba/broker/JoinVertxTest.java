package io.ichiba.broker;

import com.hazelcast.core.IndeterminateOperationStateException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Joining the cluster's event bus: tried again only when it failed with an outcome unknown, and only so often; Vert.x's
 * own registrations are backed up asynchronously, so a slow backup cannot fail them.
 */
class JoinVertxTest {

    private static Future<Vertx> indeterminate() {
        return Future.failedFuture(new RuntimeException("setNodeInfo",
                new IndeterminateOperationStateException("backup acks missed")));
    }

    @Test
    void aJoinWhoseOutcomeWasUnknownIsTriedAgain() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            AtomicInteger calls = new AtomicInteger();
            Vertx joined = Broker.joinVertx(() -> calls.incrementAndGet() < 3 ? indeterminate()
                    : Future.succeededFuture(vertx), 4);
            assertThat(joined).isSameAs(vertx);
            assertThat(calls).hasValue(3);
        } finally {
            vertx.close();
        }
    }

    @Test
    void theAttemptsAreBounded() {
        AtomicInteger calls = new AtomicInteger();
        assertThatThrownBy(() -> Broker.joinVertx(() -> {
            calls.incrementAndGet();
            return indeterminate();
        }, 4)).isInstanceOf(ExecutionException.class).hasRootCauseInstanceOf(IndeterminateOperationStateException.class);
        assertThat(calls).hasValue(4);
    }

    @Test
    void anyOtherFailureIsNotTriedAgain() {
        AtomicInteger calls = new AtomicInteger();
        assertThatThrownBy(() -> Broker.joinVertx(() -> {
            calls.incrementAndGet();
            return Future.failedFuture(new IllegalStateException("port in use"));
        }, 4)).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(IllegalStateException.class);
        assertThat(calls).hasValue(1);
    }

    @Test
    void vertxsOwnRegistrationsAreBackedUpAsynchronously() {
        com.hazelcast.config.Config c = Broker.hazelcastConfig(BrokerConfig.from(k -> null));
        assertThat(c.getMultiMapConfig("__vertx.subs").getBackupCount()).isZero();
        assertThat(c.getMultiMapConfig("__vertx.subs").getAsyncBackupCount()).isEqualTo(1);
        for (String map : new String[] {"__vertx.haInfo", "__vertx.nodeInfo"}) {
            assertThat(c.getMapConfig(map).getBackupCount()).as(map).isZero();
            assertThat(c.getMapConfig(map).getAsyncBackupCount()).as(map).isEqualTo(1);
        }
        assertThat(c.getMapConfig("ichiba.journal.head").getBackupCount()).as("the journal: synchronous").isEqualTo(1);
    }
}
