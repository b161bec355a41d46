package io.ichiba.ledger.hazelcast;

import com.hazelcast.ringbuffer.ReadResultSet;
import com.hazelcast.ringbuffer.Ringbuffer;
import io.ichiba.ledger.event.Event;
import io.ichiba.ledger.store.EventLog;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;

/**
 * The event log in a Hazelcast ring buffer: one partition's ordered, replicated (one synchronous backup) buffer that
 * drops the oldest past its capacity or time to live; its sequence numbers are the log's.
 */
final class RingbufferEventLog implements EventLog {
    /** The map of the number added to the ring buffer's sequences ({@link #continueAfter}), under one key. */
    static final String BASE_MAP = HazelcastEngine.PREFIX + "events.base";
    private static final String BASE = "base";

    private final Ringbuffer<Event> ring;
    private final com.hazelcast.map.IMap<String, Long> baseMap;
    /**
     * What is added to the ring buffer's sequences: 0 until a state restored from the database made the empty log go
     * on after the sequences of before. Every member reads it from the map, and hears when it is set.
     */
    private volatile long base;

    RingbufferEventLog(Ringbuffer<Event> ring, com.hazelcast.map.IMap<String, Long> baseMap) {
        this.ring = ring;
        this.baseMap = baseMap;
        baseMap.addEntryListener(new BaseListener(this), true);
        Long b = baseMap.get(BASE);
        if (b != null) {
            base = Math.max(base, b);
        }
    }

    /** Hears the base set (on whichever member restored the state). */
    private record BaseListener(RingbufferEventLog log)
            implements com.hazelcast.map.listener.EntryAddedListener<String, Long>,
            com.hazelcast.map.listener.EntryUpdatedListener<String, Long> {
        @Override
        public void entryAdded(com.hazelcast.core.EntryEvent<String, Long> e) {
            log.base = Math.max(log.base, e.getValue());
        }

        @Override
        public void entryUpdated(com.hazelcast.core.EntryEvent<String, Long> e) {
            log.base = Math.max(log.base, e.getValue());
        }
    }

    @Override
    public void continueAfter(long seq) {
        if (ring.tailSequence() >= 0 || seq + 1 <= base) {
            return; // the log holds events (numbered already), or numbers above seq already
        }
        baseMap.put(BASE, seq + 1);
        base = seq + 1;
    }

    @Override
    public long append(Event e) {
        return ring.add(e) + base;
    }

    /** Appends in calls of up to 1 000 events (the ring buffer's most per call), each waited for, in order. */
    @Override
    public long appendAll(List<Event> events) {
        long last = -1;
        for (int from = 0; from < events.size(); from += 1000) {
            List<Event> part = events.subList(from, Math.min(events.size(), from + 1000));
            try {
                last = ring.addAllAsync(new ArrayList<>(part), com.hazelcast.ringbuffer.OverflowPolicy.OVERWRITE)
                        .toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted appending to the event log", e);
            } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException("cannot append to the event log: " + e, e);
            }
        }
        return last < 0 ? newest() : last + base;
    }

    @Override
    public List<Event.Logged> read(long after, int max) {
        List<Event.Logged> out = new ArrayList<>();
        long b = base;
        long start = Math.max(after - b + 1, ring.headSequence());
        if (start > ring.tailSequence()) {
            return out;
        }
        try {
            ReadResultSet<Event> rs = ring.readManyAsync(start, 0, Math.min(max, 1000), null).toCompletableFuture().get();
            for (int i = 0; i < rs.size(); i++) {
                out.add(new Event.Logged(rs.getSequence(i) + b, rs.get(i)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted reading the event log", e);
        } catch (ExecutionException e) {
            // the head moved past start while reading (old events expired): read again from the new head
            if (e.getCause() instanceof com.hazelcast.ringbuffer.StaleSequenceException) {
                return read(ring.headSequence() - 1 + b, max);
            }
            throw new IllegalStateException("cannot read the event log", e.getCause());
        }
        return out;
    }

    @Override
    public long oldest() {
        return (ring.size() == 0 ? ring.tailSequence() : ring.headSequence()) + base;
    }

    @Override
    public long newest() {
        return ring.tailSequence() + base;
    }
}
