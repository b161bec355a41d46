package io.ichiba.ledger;

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
 */
public record Job(String id, String tenant, List<String> command, SortedMap<String, String> env, Bundle bundle,
                  int priority, long leaseSeconds, String requestedNode, JobState state, String node, String reason,
                  boolean cancelRequested, Integer exitCode, long createdAt, long startedAt, long endedAt)
        implements Serializable {

    /** Normalises the collections. */
    public Job {
        if (command == null || command.isEmpty()) {
            throw new IllegalArgumentException("command must name a program");
        }
        command = List.copyOf(command);
        env = Collections.unmodifiableSortedMap(new TreeMap<>(env == null ? Map.of() : env));
    }

    /** A new queued job. */
    public static Job queued(String id, String tenant, List<String> command, Map<String, String> env, Bundle bundle,
                             int priority, long leaseSeconds, String requestedNode, long now) {
        return new Job(id, tenant, command, new TreeMap<>(env == null ? Map.of() : env), bundle, priority,
                leaseSeconds, requestedNode, JobState.QUEUED, null, null, false, null, now, 0, 0);
    }

    Job to(JobState next, String onNode, String why, boolean cancel, Integer exit, long started, long ended) {
        return new Job(id, tenant, command, env, bundle, priority, leaseSeconds, requestedNode, next, onNode, why,
                cancel, exit, createdAt, started, ended);
    }
}
