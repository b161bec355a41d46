package io.ichiba.api.client;

import io.ichiba.api.Model;
import io.ichiba.api.Wire;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A running subscription to the broker's event stream: one thread that connects, reads the server-sent events,
 * calls the {@link EventListener}, and after a disconnect connects again with {@code Last-Event-ID} set to the last
 * {@code seq} it delivered. Made by {@link EventStream#listen(EventListener)}; {@link #close()} ends it.
 *
 * <pre>
 *   connect (after = last seq delivered) ──200──► read lines ──► message ──► seq ≤ last? drop
 *        ▲                                          │                        id seen lately? drop
 *        │                                          │                        else onEvent, last = seq
 *        └── wait (backoff + jitter) ◄── dropped, refused (5xx, no answer), silent past the idle timeout
 *   4xx other than 408/429 ──► onStop(cause): a retry would fail the same way
 * </pre>
 *
 * <p>So the listener misses nothing the log still keeps and sees nothing twice: events arrive in {@code seq} order,
 * a resumed stream starts after the last one delivered, and an event the broker's relay appended twice (the same
 * {@code id} at a higher {@code seq}) is dropped while its id is among the last {@link EventStream#dedupWindow(int)}
 * remembered.
 */
public final class Subscription implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Subscription.class.getName());
    private static final AtomicInteger THREADS = new AtomicInteger();

    /** What {@link EventStream} set. */
    record Settings(List<String> types, long after, Duration minBackoff, Duration maxBackoff, Duration idleTimeout,
                    int remembered) {
    }

    private final IchibaClient client;
    private final Settings settings;
    private final EventListener listener;
    private final Thread thread;
    private final LinkedHashSet<String> recentIds = new LinkedHashSet<>();
    private final Object lock = new Object();
    private volatile boolean open = true;
    private volatile long lastSeq;
    private volatile int connections;
    private volatile IchibaException failure;
    private volatile InputStream current;
    private volatile long lastActivity;

    Subscription(IchibaClient client, Settings settings, EventListener listener) {
        this.client = Objects.requireNonNull(client, "client");
        this.settings = settings;
        this.listener = listener;
        this.lastSeq = settings.after();
        this.thread = new Thread(this::run, "ichiba-events-" + THREADS.incrementAndGet());
        this.thread.setDaemon(true);
    }

    void start() {
        client.opened(this);
        thread.start();
    }

    /** Whether it still listens (neither closed nor stopped by a refusal). */
    public boolean isOpen() {
        return open;
    }

    /** The {@code seq} of the last event delivered (or dropped as a duplicate), or where it was asked to start. */
    public long lastSeq() {
        return lastSeq;
    }

    /** How many times the stream was connected (1 until the first reconnect). */
    public int connections() {
        return connections;
    }

    /** The refusal that stopped it, or {@code null} while it runs or after {@link #close()}. */
    public IchibaException failure() {
        return failure;
    }

    /**
     * Stops listening: the connection is closed, and the listener gets {@link EventListener#onStop} and nothing more
     * once an event it is handling returns. Idempotent; does not wait for the thread when called from the listener.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (!open) {
                return;
            }
            open = false;
            lock.notifyAll();
        }
        closeQuietly(current);
        if (Thread.currentThread() != thread) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---------------------------------------------------------------- the thread

    private void run() {
        int failures = 0;
        IchibaException stoppedBy = null;
        try {
            while (open) {
                IchibaException cause;
                try {
                    InputStream body = client.openEvents(query(), connections == 0
                            ? null : String.valueOf(lastSeq));
                    connections++;
                    failures = 0;
                    listener.onConnect(lastSeq);
                    cause = read(body);
                } catch (IchibaException e) {
                    if (!open) {
                        break;
                    }
                    if (!e.retryable()) {
                        stoppedBy = e;
                        break;
                    }
                    cause = e;
                }
                if (!open) {
                    break;
                }
                failures++;
                Duration wait = backoff(failures);
                LOG.log(System.Logger.Level.DEBUG, "event stream disconnected after seq {0}, again in {1}: {2}",
                        lastSeq, wait, cause.getMessage());
                listener.onDisconnect(cause, wait);
                pause(wait);
            }
        } catch (RuntimeException e) {
            stoppedBy = new IchibaException("event listener failed outside onEvent: " + e, 0, null, e);
        } finally {
            synchronized (lock) {
                open = false;
            }
            failure = stoppedBy;
            client.closed(this);
            try {
                listener.onStop(stoppedBy);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "event listener's onStop failed", e);
            }
        }
    }

    private String query() {
        StringBuilder q = new StringBuilder("?after=").append(settings.after());
        if (!settings.types().isEmpty()) {
            q.append("&types=").append(IchibaClient.segment(String.join(",", settings.types()), "types"));
        }
        return q.toString();
    }

    /** Reads one connection until it ends; returns why it ended. */
    private IchibaException read(InputStream body) {
        current = body;
        lastActivity = System.nanoTime();
        ScheduledFuture<?> watchdog = watch(body);
        SseParser parser = new SseParser();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            if (!open) {
                return null;
            }
            String line;
            while ((line = lines.readLine()) != null) {
                lastActivity = System.nanoTime();
                SseParser.Message m = parser.line(line);
                if (m != null) {
                    deliver(m);
                    lastActivity = System.nanoTime();
                }
                if (!open) {
                    return null;
                }
            }
            return new IchibaIoException("the broker ended the event stream", null);
        } catch (IOException e) {
            return new IchibaIoException("event stream broken: " + e.getMessage(), e);
        } finally {
            current = null;
            if (watchdog != null) {
                watchdog.cancel(false);
            }
        }
    }

    /** Closes the connection once it has been silent for longer than the idle timeout. */
    private ScheduledFuture<?> watch(InputStream body) {
        long idle = settings.idleTimeout().toNanos();
        long every = Math.max(10, settings.idleTimeout().toMillis() / 4);
        try {
            return client.scheduler().scheduleWithFixedDelay(() -> {
                if (System.nanoTime() - lastActivity > idle) {
                    LOG.log(System.Logger.Level.DEBUG, "event stream silent for {0}: reconnecting",
                            settings.idleTimeout());
                    closeQuietly(body);
                }
            }, every, every, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException | IllegalStateException closing) {
            return null; // the client is being closed, and this subscription with it
        }
    }

    private void deliver(SseParser.Message m) {
        Model.Event e;
        try {
            e = Wire.JSON.readValue(m.data(), Model.Event.class);
        } catch (IOException | RuntimeException x) {
            LOG.log(System.Logger.Level.WARNING, "event stream message ignored, its data is not an event: id={0}",
                    m.id());
            return;
        }
        if (e.seq() <= lastSeq) {
            return; // from before where the stream resumed
        }
        lastSeq = e.seq();
        if (e.id() != null && !remember(e.id())) {
            return; // the same event appended twice by the broker's relay
        }
        try {
            listener.onEvent(e);
        } catch (RuntimeException x) {
            LOG.log(System.Logger.Level.WARNING, "event listener failed on event " + e.id() + " seq " + e.seq(), x);
        }
    }

    /** Adds an id to the bounded memory; false when it was there already. */
    private boolean remember(String id) {
        if (!recentIds.add(id)) {
            return false;
        }
        if (recentIds.size() > settings.remembered()) {
            var it = recentIds.iterator();
            it.next();
            it.remove();
        }
        return true;
    }

    private Duration backoff(int failures) {
        long min = settings.minBackoff().toMillis();
        long max = settings.maxBackoff().toMillis();
        long full = min << Math.min(failures - 1, 20);
        if (full <= 0 || full > max) {
            full = max;
        }
        long half = Math.max(1, full / 2);
        return Duration.ofMillis(half + ThreadLocalRandom.current().nextLong(full - half + 1));
    }

    private void pause(Duration wait) {
        long until = System.nanoTime() + wait.toNanos();
        synchronized (lock) {
            long left;
            while (open && (left = until - System.nanoTime()) > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    open = false;
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private static void closeQuietly(InputStream in) {
        if (in != null) {
            try {
                in.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    @Override
    public String toString() {
        return "Subscription[" + settings.types() + ", lastSeq=" + lastSeq + (open ? "" : ", closed") + "]";
    }
}
