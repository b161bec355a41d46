package io.ichiba.ledger.job;

import io.ichiba.ledger.claim.Bundle;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * A job to submit: a command its runner starts once the job's claim is granted.
 *
 * @param id            its id, also its claim's (submitting it again answers the job as stored)
 * @param tenant        whose job it is
 * @param command       the program and its arguments
 * @param env           what its environment adds
 * @param bundle        what its claim asks for
 * @param priority      its claim's priority
 * @param leaseSeconds  its claim's lease
 * @param requestedNode the node it must run on, or {@code null} to let the broker choose
 */
public record JobRequest(String id, String tenant, List<String> command, Map<String, String> env, Bundle bundle,
                         int priority, long leaseSeconds, String requestedNode) implements Serializable {
}
