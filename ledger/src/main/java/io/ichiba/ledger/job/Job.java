package io.ichiba.ledger.job;

import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.event.Emits;
import io.ichiba.ledger.event.Event;
import io.ichiba.ledger.event.Outbox;

import java.io.Serializable;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A command to run on a node once its bundle is granted. Its claim has the job's id, so a job and its claim
 * live in the same partition and follow each other.
 *
 * @param id              job id, also its claim's id
 * @param tenant          the tenant that owns it
 * @param command         the program and its arguments
 * @param env             environment variables added for the process
 * @param bundle          what its claim asks for
 * @param priority        its claim's priority
 * @param leaseSeconds    its claim's lease
 * @param requestedNode   the node asked for, or {@code null}
 * @param state           where it is in its life
 * @param node            the node it runs on, once its claim is granted
 * @param reason          how it ended (e.g. {@code EXIT_3}, {@code NODE_LOST}, {@code LEASE_EXPIRED})
 * @param cancelRequested whether a cancel waits for its runner to stop the process
 * @param exitCode        the process exit code, when known
 * @param createdAt       epoch millis
 * @param startedAt       epoch millis it started running, 0 before
 * @param endedAt         epoch millis it ended, 0 before
 * @param outbox          events of its changes not yet in the event log ({@code job.started}, {@code job.finished},
 *                        {@code job.failed}, {@code job.cancelled}, {@code job.lost})
 * @param limits          what its runner holds the process to, as it said when it started it ({@code null} before)
 */
public record Job(String id, String tenant, List<String> command, SortedMap<String, String> env, Bundle bundle,
                  int priority, long leaseSeconds, String requestedNode, JobState state, String node, String reason,
                  boolean cancelRequested, Integer exitCode, long createdAt, long startedAt, long endedAt,
                  Outbox outbox, String limits) implements Emits<Job> {

    /** Normalises the collections. */
    public Job {
        if (command == null || command.isEmpty()) {
            throw new IllegalArgumentException("command must name a program");
        }
        command = List.copyOf(command);
        env = Collections.unmodifiableSortedMap(new TreeMap<>(env == null ? Map.of() : env));
        outbox = outbox == null ? Outbox.empty() : outbox;
    }

    /** A new queued job. */
    public static Job queued(String id, String tenant, List<String> command, Map<String, String> env, Bundle bundle,
                             int priority, long leaseSeconds, String requestedNode, long now) {
        return new Job(id, tenant, command, new TreeMap<>(env == null ? Map.of() : env), bundle, priority,
                leaseSeconds, requestedNode, JobState.QUEUED, null, null, false, null, now, 0, 0, Outbox.empty(), null);
    }

    /**
     * Returns the job moved to {@code next}; a move into {@code RUNNING} or into a final state emits its event
     * ({@code job.started}, or the end's: see {@link #endedType}) with the time of the change.
     */
    Job to(JobState next, String onNode, String why, boolean cancel, Integer exit, long started, long ended) {
        Outbox events = outbox;
        if (next != state) {
            if (next == JobState.RUNNING) {
                events = events.emit("job.started", started, Outbox.details("node", onNode));
            } else if (next.isFinal()) {
                events = events.emit(endedType(next), ended, Outbox.details("node", onNode, "reason", why,
                        "exitCode", exit == null ? null : String.valueOf(exit)));
            }
        }
        return new Job(id, tenant, command, env, bundle, priority, leaseSeconds, requestedNode, next, onNode, why,
                cancel, exit, createdAt, started, ended, events, limits);
    }

    /** The event type of a job's end: {@code job.finished} (SUCCEEDED), {@code job.failed}, {@code job.cancelled}, {@code job.lost}. */
    static String endedType(JobState s) {
        return switch (s) {
            case SUCCEEDED -> "job.finished";
            case FAILED -> "job.failed";
            case CANCELLED -> "job.cancelled";
            case LOST -> "job.lost";
            default -> "job." + s.name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    /** Returns this job with another outbox (the engine acknowledges what its batch published). */
    @Override
    public Job withOutbox(Outbox o) {
        return new Job(id, tenant, command, env, bundle, priority, leaseSeconds, requestedNode, state, node, reason,
                cancelRequested, exitCode, createdAt, startedAt, endedAt, o, limits);
    }

    /** Returns this job with what its runner said it holds the process to. */
    public Job withLimits(String said) {
        return new Job(id, tenant, command, env, bundle, priority, leaseSeconds, requestedNode, state, node, reason,
                cancelRequested, exitCode, createdAt, startedAt, endedAt, outbox, said);
    }

    /**
     * Renders one of its events: {@code job:<id>:<n>}, for its tenant, about the job (its claim has the same id),
     * with its state after the change, its bundle and what the change said (node, reason, exit code).
     */
    @Override
    public Event toEvent(Outbox.Pending p) {
        TreeMap<String, String> payload = new TreeMap<>(p.details());
        payload.put("job", id);
        payload.put("state", stateAfter(p.type()));
        payload.put("bundle", bundle.render());
        return new Event("job:" + id + ":" + p.n(), p.type(), p.time(), tenant, id, payload);
    }

    /** The state an event of {@code type} left the job in (the record may have moved on since). */
    private static String stateAfter(String type) {
        return switch (type) {
            case "job.started" -> JobState.RUNNING.name();
            case "job.finished" -> JobState.SUCCEEDED.name();
            case "job.failed" -> JobState.FAILED.name();
            case "job.cancelled" -> JobState.CANCELLED.name();
            case "job.lost" -> JobState.LOST.name();
            default -> "";
        };
    }
}
