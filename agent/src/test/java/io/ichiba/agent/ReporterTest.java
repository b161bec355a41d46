package io.ichiba.agent;

import io.ichiba.api.client.IchibaClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntUnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

class ReporterTest {
    private static final Duration INTERVAL = Duration.ofSeconds(3);
    private static final Duration BASE = Duration.ofMillis(100);
    private static final Duration MAX = Duration.ofMillis(800);
    private static final Duration BOUND = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private Path meminfo;
    private final List<AutoCloseable> closing = new CopyOnWriteArrayList<>();

    @BeforeEach
    void sample() throws IOException {
        meminfo = MemInfoProbeTest.writeSample(dir, "meminfo");
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    @Test
    void retriesWithGrowingCappedDelaysThenReportsMemoryAndDisk() throws Exception {
        FakeBroker broker = broker(n -> n < 5 ? 500 : 200);
        List<Duration> sleeps = new CopyOnWriteArrayList<>();
        Reporter reporter = reporter(broker.url(), new Backoff(BASE, MAX, () -> 0.5), sleeps, r -> r.reports() >= 1);

        assertTimeoutPreemptively(BOUND, reporter::run);

        // ceilings 100, 200, 400, 800, 800 ms (capped), half of each by the pinned jitter; then the interval
        assertThat(sleeps).containsExactly(ms(50), ms(100), ms(200), ms(400), ms(400), INTERVAL);
        assertThat(broker.requests()).hasSize(6);
        FakeBroker.Request last = broker.requests().get(5);
        assertThat(last.method()).isEqualTo("PUT");
        assertThat(last.path()).isEqualTo("/v1/nodes/node-1/report");
        assertThat(last.authorization()).isEqualTo("Bearer agent-token");
        assertThat(last.contentType()).isEqualTo("application/json");
        assertThat(last.body().path("allocatable").path("memory").asLong()).isEqualTo(15935 - 512);
        assertThat(last.body().path("free").path("memory").asLong()).isEqualTo(12004);
        long diskTotal = Files.getFileStore(dir).getTotalSpace() / (1024 * 1024);
        assertThat(last.body().path("allocatable").path("disk").asLong()).isEqualTo(diskTotal);
        assertThat(last.body().path("free").path("disk").asLong()).isPositive().isLessThanOrEqualTo(diskTotal);
        assertThat(reporter.failures()).isZero();
        assertThat(reporter.reports()).isEqualTo(1);
    }

    @Test
    void randomJitterStaysWithinTheGrowingCeiling() throws Exception {
        FakeBroker broker = broker(n -> n < 8 ? 503 : 200);
        List<Duration> sleeps = new CopyOnWriteArrayList<>();
        Backoff backoff = new Backoff(BASE, MAX, () -> java.util.concurrent.ThreadLocalRandom.current().nextDouble());
        Reporter reporter = reporter(broker.url(), backoff, sleeps, r -> r.reports() >= 1);

        assertTimeoutPreemptively(BOUND, reporter::run);

        assertThat(sleeps).hasSize(9);
        for (int i = 0; i < 8; i++) {
            assertThat(sleeps.get(i)).as("wait after failure %d", i + 1)
                    .isGreaterThanOrEqualTo(Duration.ZERO).isLessThan(backoff.ceiling(i + 1));
        }
        assertThat(sleeps.get(8)).isEqualTo(INTERVAL);
    }

    @Test
    void keepsRetryingWhileNothingListensThenReportsOnceTheBrokerIsUp() throws Exception {
        int port = FakeBroker.freePort();
        AtomicReference<FakeBroker> late = new AtomicReference<>();
        List<Duration> sleeps = new CopyOnWriteArrayList<>();
        AtomicReference<Reporter> self = new AtomicReference<>();
        Reporter reporter = new Reporter("node-1", client(FakeBroker.url(port)), probes(List.of(dir)), INTERVAL,
                new Backoff(BASE, MAX, () -> 0.999), d -> {
                    sleeps.add(d);
                    if (sleeps.size() == 4) {
                        late.set(FakeBroker.startOn(port, n -> 200));
                        closing.add(late.get());
                    }
                    if (self.get().reports() >= 1) {
                        self.get().stop();
                    }
                });
        self.set(reporter);

        assertTimeoutPreemptively(BOUND, reporter::run);

        assertThat(sleeps).hasSize(5);
        for (int i = 0; i < 3; i++) {
            assertThat(sleeps.get(i + 1)).isGreaterThan(sleeps.get(i));
        }
        assertThat(sleeps.get(3)).isLessThan(MAX);
        assertThat(sleeps.get(4)).isEqualTo(INTERVAL);
        assertThat(late.get().requests()).hasSize(1);
    }

    @Test
    void aRefusedReportIsRetriedLikeAnUnreachableBroker() throws Exception {
        FakeBroker broker = broker(n -> n < 2 ? 403 : 200);
        Reporter reporter = reporter(broker.url(), new Backoff(BASE, MAX, () -> 0.5), new ArrayList<>(), r -> false);

        assertThat(reporter.cycle()).isEqualTo(ms(50));
        assertThat(reporter.cycle()).isEqualTo(ms(100));
        assertThat(reporter.failures()).isEqualTo(2);
        assertThat(reporter.cycle()).isEqualTo(INTERVAL);
        assertThat(reporter.failures()).isZero();
        assertThat(broker.requests()).hasSize(3);
    }

    @Test
    void aFailureAfterASuccessStartsTheBackoffAfresh() throws Exception {
        FakeBroker broker = broker(n -> n == 0 || n == 3 ? 200 : 500);
        Reporter reporter = reporter(broker.url(), new Backoff(BASE, MAX, () -> 0.5), new ArrayList<>(), r -> false);

        List<Duration> waits = List.of(reporter.cycle(), reporter.cycle(), reporter.cycle(), reporter.cycle(),
                reporter.cycle());

        assertThat(waits).containsExactly(INTERVAL, ms(50), ms(100), INTERVAL, ms(50));
    }

    @Test
    void aProbeErrorLeavesItsKindOutAndTheOtherKindsStillGoOut() throws Exception {
        FakeBroker broker = broker(n -> 200);
        Reporter reporter = reporter(broker.url(), new Backoff(BASE, MAX, () -> 0.5), new ArrayList<>(), r -> false);
        String good = Files.readString(meminfo);

        assertThat(reporter.cycle()).isEqualTo(INTERVAL);
        Files.writeString(meminfo, "MemTotal: 2048 kB\nMemAvailable: lots kB\n");
        assertThat(reporter.cycle()).isEqualTo(INTERVAL);
        Files.writeString(meminfo, "");
        assertThat(reporter.cycle()).isEqualTo(INTERVAL);
        Files.delete(meminfo);
        assertThat(reporter.cycle()).isEqualTo(INTERVAL);
        Files.writeString(meminfo, good);
        assertThat(reporter.cycle()).isEqualTo(INTERVAL);

        // every cycle reported (the report is the heartbeat); the three with a broken meminfo had disk only
        assertThat(broker.requests()).hasSize(5);
        for (int i = 0; i < 5; i++) {
            FakeBroker.Request r = broker.requests().get(i);
            boolean broken = i >= 1 && i <= 3;
            assertThat(r.body().path("allocatable").has("memory")).as("report %d has memory", i).isEqualTo(!broken);
            assertThat(r.body().path("free").has("memory")).isEqualTo(!broken);
            assertThat(r.body().path("allocatable").has("disk")).as("report %d has disk", i).isTrue();
        }
        assertThat(reporter.failures()).isZero();
        assertThat(reporter.reports()).isEqualTo(5);
    }

    @Test
    void aMissingMountLeavesDiskOutOfTheReport() throws Exception {
        FakeBroker broker = broker(n -> 200);
        Reporter reporter = new Reporter("node-1", client(broker.url()), probes(List.of(dir, dir.resolve("gone"))),
                INTERVAL, new Backoff(BASE, MAX, () -> 0.5), d -> { });

        assertThat(reporter.cycle()).isEqualTo(INTERVAL);
        assertThat(broker.requests()).hasSize(1);
        assertThat(broker.requests().get(0).body().path("allocatable").has("disk")).isFalse();
        assertThat(broker.requests().get(0).body().path("allocatable").path("memory").asLong()).isEqualTo(15935 - 512);
    }

    @Test
    void whenNoKindCanBeMeasuredTheReportIsSkipped() throws Exception {
        FakeBroker broker = broker(n -> 200);
        Files.delete(meminfo);
        Reporter reporter = new Reporter("node-1", client(broker.url()), probes(List.of(dir.resolve("gone"))),
                INTERVAL, new Backoff(BASE, MAX, () -> 0.5), d -> { });

        assertThat(reporter.cycle()).isEqualTo(INTERVAL);
        assertThat(broker.requests()).isEmpty();
        assertThat(reporter.failures()).isZero();
    }

    @Test
    void probesThatThrowAnythingDoNotEndTheLoop() throws Exception {
        FakeBroker broker = broker(n -> 200);
        AtomicInteger reads = new AtomicInteger();
        Probe flaky = new Probe() {
            @Override
            public String kind() {
                return "gpu";
            }

            @Override
            public Reading read() throws ProbeException {
                return switch (reads.incrementAndGet()) {
                    case 1 -> throw new ProbeException("gpu: nvidia-smi not found");
                    case 2 -> throw new IllegalStateException("a bug in a probe");
                    case 3 -> throw new NoClassDefFoundError("a broken class path");
                    default -> new Reading("gpu", 4, 3);
                };
            }
        };
        List<Duration> sleeps = new CopyOnWriteArrayList<>();
        AtomicReference<Reporter> self = new AtomicReference<>();
        Reporter reporter = new Reporter("node-1", client(broker.url()), List.of(flaky), INTERVAL,
                new Backoff(BASE, MAX, () -> 0.5), d -> {
                    sleeps.add(d);
                    if (self.get().reports() >= 1) {
                        self.get().stop();
                    }
                });
        self.set(reporter);

        assertTimeoutPreemptively(BOUND, reporter::run);

        assertThat(sleeps).containsExactly(INTERVAL, INTERVAL, INTERVAL, INTERVAL);
        assertThat(broker.requests()).hasSize(1);
        assertThat(broker.requests().get(0).body().toString())
                .isEqualTo("{\"allocatable\":{\"gpu\":4},\"free\":{\"gpu\":3}}");
    }

    @Test
    void stopEndsTheLoopDuringItsWait() throws Exception {
        FakeBroker broker = broker(n -> 200);
        Reporter reporter = new Reporter("node-1", client(broker.url()), probes(List.of(dir)), Duration.ofHours(1),
                Backoff.DEFAULT, Sleeper.SYSTEM);
        Thread loop = new Thread(reporter, "reporter-under-test");
        loop.start();

        await().atMost(10, TimeUnit.SECONDS).until(() -> reporter.reports() == 1);
        reporter.stop();
        loop.join(TimeUnit.SECONDS.toMillis(10));

        assertThat(loop.isAlive()).isFalse();
        assertThat(broker.requests()).hasSize(1);
    }

    private Reporter reporter(String url, Backoff backoff, List<Duration> sleeps,
                              java.util.function.Predicate<Reporter> stopWhen) {
        AtomicReference<Reporter> self = new AtomicReference<>();
        Reporter r = new Reporter("node-1", client(url), probes(List.of(dir)), INTERVAL, backoff, d -> {
            sleeps.add(d);
            if (stopWhen.test(self.get()) || sleeps.size() > 50) {
                self.get().stop();
            }
        });
        self.set(r);
        return r;
    }

    private List<Probe> probes(List<Path> mounts) {
        return List.of(new MemInfoProbe(meminfo, 512), new DiskProbe(mounts));
    }

    private static IchibaClient client(String url) {
        return IchibaClient.builder(url).token("agent-token").connectTimeout(Duration.ofSeconds(2))
                .requestTimeout(Duration.ofSeconds(5)).build();
    }

    private FakeBroker broker(IntUnaryOperator plan) throws IOException {
        FakeBroker b = FakeBroker.start(plan);
        closing.add(b);
        return b;
    }

    private static Duration ms(long millis) {
        return Duration.ofMillis(millis);
    }
}
