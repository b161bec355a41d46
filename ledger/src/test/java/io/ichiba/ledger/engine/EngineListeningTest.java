package io.ichiba.ledger.engine;

import io.ichiba.ledger.journal.InMemoryJournal;
import io.ichiba.ledger.store.InMemoryEventLog;
import io.ichiba.ledger.store.Operation;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A member listens to the state written behind only while the engine runs elsewhere: the engine's member hears every
 * change from its engine, and a registration there would make every record written behind an event no one reads.
 */
class EngineListeningTest {

    /** A remote that records the registrations of listeners. */
    static final class Recording implements Remote {
        final List<String> live = new CopyOnWriteArrayList<>();
        final AtomicInteger registrations = new AtomicInteger();

        @Override
        public <R> R call(String table, TableCall<R> call) {
            throw new NotEngineException("no other member");
        }

        @Override
        public <R> R operate(String id, Operation<?, R> op) {
            throw new NotEngineException("no other member");
        }

        @Override
        public <R> R readBehind(String table, TableCall<R> call) {
            throw new NotEngineException("no other member");
        }

        @Override
        public AutoCloseable listen(String table, Consumer<Object> listener) {
            registrations.incrementAndGet();
            live.add(table);
            return () -> live.remove(table);
        }
    }

    @Test
    void listenersAreRegisteredBehindOnlyWhileTheEngineRunsElsewhere() {
        Recording remote = new Recording();
        EngineStore store = new EngineStore(new InMemoryJournal(), new InMemoryEventLog(100), remote,
                EngineListener.NONE, Duration.ofSeconds(2));
        try {
            store.claims().listen(c -> { });
            store.jobs().listen(j -> { });
            await().atMost(Duration.ofSeconds(10)).until(() -> remote.live.size() == 2);
            assertThat(remote.live).containsExactlyInAnyOrder("claims", "jobs");

            Engines.activate(store); // the engine runs here: its own engine tells this member's listeners
            await().atMost(Duration.ofSeconds(10)).until(() -> remote.live.isEmpty());
            assertThat(store.listeningBehind()).isFalse();

            store.engine().deactivate().join(); // it moved away: listen to the state written behind again
            await().atMost(Duration.ofSeconds(10)).until(() -> remote.live.size() == 2);
            assertThat(store.listeningBehind()).isTrue();
            assertThat(remote.registrations).hasValue(4);
        } finally {
            store.close();
        }
    }
}
