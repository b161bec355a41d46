package io.ichiba.api.client;

import io.ichiba.api.Model;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The event listener over server-sent events: parsing, resuming after a disconnect, duplicates, refusals. */
class SubscriptionTest {
    private FakeClaimsBroker broker;
    private IchibaClient client;

    @BeforeEach
    void start() throws Exception {
        broker = new FakeClaimsBroker();
        client = IchibaClient.builder(broker.url()).token("ich_secret").build();
    }

    @AfterEach
    void stop() {
        client.close();
        broker.close();
    }

    /** A listener that records what it is given, and on which thread. */
    private static final class Recorder implements EventListener {
        final List<Model.Event> events = new CopyOnWriteArrayList<>();
        final List<Long> connects = new CopyOnWriteArrayList<>();
        final List<IchibaException> disconnects = new CopyOnWriteArrayList<>();
        final Set<String> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
        final AtomicReference<Object> stopped = new AtomicReference<>();

        @Override
        public void onEvent(Model.Event event) {
            threads.add(Thread.currentThread().getName());
            events.add(event);
        }

        @Override
        public void onConnect(long after) {
            connects.add(after);
        }

        @Override
        public void onDisconnect(IchibaException cause, Duration retryIn) {
            disconnects.add(cause);
        }

        @Override
        public void onStop(IchibaException cause) {
            stopped.set(cause == null ? "closed" : cause);
        }

        List<Long> seqs() {
            return events.stream().map(Model.Event::seq).toList();
        }
    }

    private EventStream fast() {
        return client.events().reconnectBackoff(Duration.ofMillis(10), Duration.ofMillis(50));
    }

    @Test
    void sseParserFollowsTheFormat() {
        SseParser p = new SseParser();
        assertThat(p.line(": keep-alive")).isNull();
        assertThat(p.line("")).as("a comment alone is no message").isNull();
        assertThat(p.line("id: 7")).isNull();
        assertThat(p.line("event:claim.granted")).isNull();
        assertThat(p.line("data: {\"a\":")).isNull();
        assertThat(p.line("data:1}")).isNull();
        assertThat(p.line("retry: 10")).isNull();
        assertThat(p.line("")).isEqualTo(new SseParser.Message("7", "claim.granted", "{\"a\":\n1}"));
        assertThat(p.line("data")).isNull();
        assertThat(p.line("")).isEqualTo(new SseParser.Message(null, null, ""));
    }

    @Test
    void eventsArriveTypedInOrderOnOneThreadAfterTheSeqAskedFor() {
        for (int i = 0; i < 6; i++) {
            broker.publish("claim:c" + i + ":0", i % 2 == 0 ? "claim.granted" : "claim.queued", "c" + i);
        }
        Recorder r = new Recorder();
        try (Subscription s = fast().types("claim.granted").after(0).listen(r)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> r.events.size() >= 2);
            broker.publish("claim:c6:0", "claim.granted", "c6");
            await().atMost(Duration.ofSeconds(5)).until(() -> r.events.size() >= 3);

            assertThat(r.seqs()).containsExactly(2L, 4L, 6L);
            assertThat(r.events).extracting(Model.Event::type).containsOnly("claim.granted");
            assertThat(r.events.get(0).payload()).containsEntry("claim", "c2");
            assertThat(r.events.get(0).id()).isEqualTo("claim:c2:0");
            assertThat(r.threads).hasSize(1).allMatch(t -> t.startsWith("ichiba-events-"));
            assertThat(r.connects).containsExactly(0L);
            assertThat(s.lastSeq()).isEqualTo(6);
            assertThat(broker.streams()).singleElement().satisfies(seen -> {
                assertThat(seen.lastEventId()).isNull();
                assertThat(seen.query()).isEqualTo("after=0&types=claim.granted");
            });
        }
        assertThat(r.stopped.get()).isEqualTo("closed");
    }

    @Test
    void aDroppedStreamIsResumedWithTheLastSeqDeliveredMissingAndRepeatingNothing() {
        IntStream.range(0, 5).forEach(i -> broker.publish("e" + i, "claim.queued", "c" + i));
        broker.cutNextStreamAfter.set(3);
        Recorder r = new Recorder();
        try (Subscription s = fast().listen(r)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> r.events.size() >= 5);
            IntStream.range(5, 8).forEach(i -> broker.publish("e" + i, "claim.queued", "c" + i));
            await().atMost(Duration.ofSeconds(5)).until(() -> r.events.size() >= 8);

            assertThat(r.seqs()).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L);
            assertThat(broker.streams()).hasSize(2);
            assertThat(broker.streams().get(0).lastEventId()).isNull();
            assertThat(broker.streams().get(1).lastEventId()).isEqualTo("2");
            assertThat(r.connects).containsExactly(-1L, 2L);
            assertThat(r.disconnects).singleElement().isInstanceOf(IchibaIoException.class);
            assertThat(s.connections()).isEqualTo(2);
        }
    }

    @Test
    void aStreamCutByTheServerIsResumedToo() {
        broker.publish("e0", "claim.queued", "c0");
        Recorder r = new Recorder();
        try (Subscription s = fast().listen(r)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> r.events.size() >= 1);
            broker.cutStreams();
            await().atMost(Duration.ofSeconds(5)).until(() -> s.connections() >= 2);
            broker.publish("e1", "claim.granted", "c0");
            await().atMost(Duration.ofSeconds(5)).until(() -> r.events.size() >= 2);
            assertThat(r.seqs()).containsExactly(0L, 1L);
            assertThat(broker.streams().get(1).lastEventId()).isEqualTo("0");
        }
    }

    @Test
    void eventsBeforeTheResumedSeqAndRepeatedIdsAreDropped() {
        broker.publish("claim:a:0", "claim.queued", "a");
        broker.publish("claim:a:1", "claim.granted", "a");
        broker.publish("claim:a:1", "claim.granted", "a"); // the relay appended it twice: same id, higher seq
        broker.publish("claim:a:2", "claim.released", "a");
        broker.ignoreLastEventId = true; // a resumed stream that starts from the oldest again
        broker.cutNextStreamAfter.set(2);
        Recorder r = new Recorder();
        try (Subscription s = fast().listen(r)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> s.connections() >= 2 && s.lastSeq() == 3);
            broker.publish("claim:a:3", "claim.purged", "a");
            await().atMost(Duration.ofSeconds(5)).until(() -> s.lastSeq() == 4);

            assertThat(r.events).extracting(Model.Event::id)
                    .containsExactly("claim:a:0", "claim:a:1", "claim:a:2", "claim:a:3");
            assertThat(r.seqs()).containsExactly(0L, 1L, 3L, 4L);
        }
    }

    @Test
    void aSilentConnectionIsDroppedAndMadeAgain() {
        broker.silentStreams = true;
        Recorder r = new Recorder();
        try (Subscription s = fast().idleTimeout(Duration.ofMillis(200)).listen(r)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> s.connections() >= 2);
            assertThat(r.disconnects).isNotEmpty();
        }
    }

    @Test
    void aBrokerNotThereYetIsTriedAgain() throws Exception {
        broker.streamStatus = 503;
        Recorder r = new Recorder();
        try (Subscription s = fast().listen(r)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> broker.streams().size() >= 3);
            assertThat(r.disconnects).allSatisfy(e -> assertThat(e.status()).isEqualTo(503));
            broker.streamStatus = 0;
            broker.publish("e0", "claim.queued", "c0");
            await().atMost(Duration.ofSeconds(5)).until(() -> r.events.size() == 1);
            assertThat(s.isOpen()).isTrue();
        }
    }

    @Test
    void aRefusalThatARetryWouldNotMendStopsTheSubscription() {
        broker.streamStatus = 401;
        Recorder r = new Recorder();
        Subscription s = fast().listen(r);

        await().atMost(Duration.ofSeconds(5)).until(() -> !s.isOpen());
        assertThat(s.failure().status()).isEqualTo(401);
        assertThat(r.stopped.get()).isSameAs(s.failure());
        assertThat(broker.streams()).hasSize(1);
    }

    @Test
    void aListenerThatThrowsDoesNotStopTheStream() {
        broker.publish("e0", "claim.queued", "c0");
        broker.publish("e1", "claim.queued", "c1");
        List<Long> seen = new CopyOnWriteArrayList<>();
        try (Subscription s = fast().listen(e -> {
            seen.add(e.seq());
            if (e.seq() == 0) {
                throw new IllegalStateException("boom");
            }
        })) {
            await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 2);
            assertThat(s.isOpen()).isTrue();
        }
    }

    @Test
    void closingTheClientClosesItsSubscriptions() {
        Recorder r = new Recorder();
        Subscription s = fast().listen(r);
        await().atMost(Duration.ofSeconds(5)).until(() -> s.connections() == 1);

        client.close();

        assertThat(s.isOpen()).isFalse();
        assertThat(r.stopped.get()).isEqualTo("closed");
        assertThatThrownBy(() -> client.events().listen(e -> { })).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void badSettingsAreRefused() {
        assertThatThrownBy(() -> client.events().types("Claim Granted")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client.events().after(-2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client.events().reconnectBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
