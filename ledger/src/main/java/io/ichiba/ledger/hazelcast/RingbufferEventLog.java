package io.ichiba.ledger.hazelcast;

import com.hazelcast.ringbuffer.ReadResultSet;
import com.hazelcast.ringbuffer.Ringbuffer;
import io.ichiba.ledger.Event;
import io.ichiba.ledger.store.EventLog;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;

/**
 * The event log in a Hazelcast ring buffer: one partition's ordered, replicated (one synchronous backup) buffer that
 * drops the oldest past its capacity or time to live; its sequence numbers are the log's.
 */
final class RingbufferEventLog implements EventLog {
    private final Ringbuffer<Event> ring;

    RingbufferEventLog(Ringbuffer<Event> ring) {
        this.ring = ring;
    }

    @Override
    public long append(Event e) {
        return ring.add(e);
    }

    @Override
    public List<Event.Logged> read(long after, int max) {
        List<Event.Logged> out = new ArrayList<>();
        long start = Math.max(after + 1, ring.headSequence());
        if (start > ring.tailSequence()) {
            return out;
        }
        try {
            ReadResultSet<Event> rs = ring.readManyAsync(start, 0, Math.min(max, 1000), null).toCompletableFuture().get();
            for (int i = 0; i < rs.size(); i++) {
                out.add(new Event.Logged(rs.getSequence(i), rs.get(i)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted reading the event log", e);
        } catch (ExecutionException e) {
            // the head moved past start while reading (old events expired): read again from the new head
            if (e.getCause() instanceof com.hazelcast.ringbuffer.StaleSequenceException) {
                return read(ring.headSequence() - 1, max);
            }
            throw new IllegalStateException("cannot read the event log", e.getCause());
        }
        return out;
    }

    @Override
    public long oldest() {
        return ring.size() == 0 ? ring.tailSequence() : ring.headSequence();
    }

    @Override
    public long newest() {
        return ring.tailSequence();
    }
}
