package io.ichiba.ledger.job;

import io.ichiba.ledger.Command;
import io.ichiba.ledger.Rejection;
import io.ichiba.ledger.claim.ClaimState;
/**
 * The transitions of a job, each atomic on the job's key.
 *
 * <pre>
 *   QUEUED --claim granted--> STARTING --runner starts--> RUNNING --process ends--> SUCCEEDED | FAILED
 *     |                          |                           |--cancel--> (cancelRequested) --ends--> CANCELLED
 *     +--cancel / claim ended----+--> CANCELLED | FAILED | LOST
 * </pre>
 */
public final class JobCommands {
    private JobCommands() {
    }

    /** The job afterwards, and a rejection if nothing happened. */
    public record Step(Job job, Rejection rejection) implements java.io.Serializable {
        /** Whether the transition happened. */
        public boolean ok() {
            return rejection == null;
        }
    }

    private static Command.Outcome<Job, Step> to(Job next) {
        return Command.Outcome.write(next, new Step(next, null));
    }

    private static Command.Outcome<Job, Step> refuse(Job j, String detail) {
        return Command.Outcome.keep(new Step(j, j == null ? Rejection.of(Rejection.Code.NOT_FOUND, "no such job")
                : Rejection.of(Rejection.Code.WRONG_STATE, detail)));
    }

    /**
     * Its claim was granted on {@code node}: hand the job to that node's runner — or, when {@code held}, keep it
     * from the runner (reason {@link #AWAITING_HANDLERS}) until its tenant's {@code claim.granted} handlers
     * acknowledge the grant.
     */
    public record Assign(String node, boolean held) implements Command<Job, Step> {
        /** The reason of a STARTING job that waits for its tenant's handlers. */
        public static final String AWAITING_HANDLERS = "AWAITING_HANDLERS";

        /** A job handed to the runner at once. */
        public Assign(String node) {
            this(node, false);
        }

        @Override
        public Outcome<Job, Step> apply(Job j) {
            if (j == null || j.state() != JobState.QUEUED) {
                return refuse(j, "not queued");
            }
            return to(j.to(JobState.STARTING, node, held ? AWAITING_HANDLERS : null, false, null, 0, 0));
        }
    }

    /**
     * Its tenant's handlers answered the grant: acknowledged, the job goes to its runner; refused, it fails with
     * {@code why} (and its claim is released next). Only a job that waits for them changes.
     */
    public record HandlersAnswered(boolean acknowledged, String why, long now) implements Command<Job, Step> {
        @Override
        public Outcome<Job, Step> apply(Job j) {
            if (j == null || j.state() != JobState.STARTING || !Assign.AWAITING_HANDLERS.equals(j.reason())) {
                return refuse(j, "not waiting for handlers");
            }
            return to(acknowledged ? j.to(JobState.STARTING, j.node(), null, j.cancelRequested(), null, 0, 0)
                    : j.to(JobState.FAILED, j.node(), why, j.cancelRequested(), null, 0, now));
        }
    }

    /** The runner of {@code node} is about to start the process; refused once cancelled or ended. */
    public record Start(String node, long now, String limits) implements Command<Job, Step> {
        @Override
        public Outcome<Job, Step> apply(Job j) {
            if (j == null) {
                return refuse(null, null);
            }
            if (j.state() == JobState.RUNNING && node.equals(j.node())) {
                return Outcome.keep(new Step(j, null));
            }
            if (j.state() != JobState.STARTING || j.cancelRequested() || !node.equals(j.node())
                    || Assign.AWAITING_HANDLERS.equals(j.reason())) {
                return refuse(j, "the job is " + j.state() + (j.cancelRequested() ? " (cancel requested)" : "")
                        + (Assign.AWAITING_HANDLERS.equals(j.reason()) ? " (awaiting its handlers)" : "")
                        + " on " + j.node() + ": it must not start on " + node);
            }
            Job running = j.to(JobState.RUNNING, node, null, false, null, now, 0);
            return to(limits == null ? running : running.withLimits(limits));
        }
    }

    /** The process ended (or could not start): SUCCEEDED on exit 0, CANCELLED if asked to stop, else FAILED. */
    public record Finish(String node, Integer exitCode, String error, long now) implements Command<Job, Step> {
        @Override
        public Outcome<Job, Step> apply(Job j) {
            if (j == null) {
                return refuse(null, null);
            }
            if (j.state().isFinal()) {
                return Outcome.keep(new Step(j, null));
            }
            if ((j.state() != JobState.RUNNING && j.state() != JobState.STARTING) || !node.equals(j.node())) {
                return refuse(j, "the job is " + j.state() + " on " + j.node());
            }
            JobState end;
            String why;
            if (j.cancelRequested()) {
                end = JobState.CANCELLED;
                why = "CANCELLED";
            } else if (exitCode != null && exitCode == 0) {
                end = JobState.SUCCEEDED;
                why = null;
            } else {
                end = JobState.FAILED;
                // no exit code: the process could not start, or its runner restarted and lost it
                why = exitCode != null ? "EXIT_" + exitCode : "ERROR: " + (error == null ? "no exit code" : error);
            }
            return to(j.to(end, j.node(), why, j.cancelRequested(), exitCode, j.startedAt(), now));
        }
    }

    /** Cancels: a job not running ends at once; a running one is marked for its runner to stop. */
    public record Cancel(long now) implements Command<Job, Step> {
        @Override
        public Outcome<Job, Step> apply(Job j) {
            if (j == null) {
                return refuse(null, null);
            }
            return switch (j.state()) {
                case QUEUED, STARTING -> to(j.to(JobState.CANCELLED, j.node(), "CANCELLED", true, null, 0, now));
                case RUNNING -> j.cancelRequested() ? Outcome.keep(new Step(j, null))
                        : to(j.to(JobState.RUNNING, j.node(), null, true, null, j.startedAt(), 0));
                default -> Outcome.keep(new Step(j, null));
            };
        }
    }

    /** Removes an ended job that ended before {@code cutoff} once its events are in the log. */
    public record Purge(long cutoff) implements Command<Job, Boolean> {
        @Override
        public Outcome<Job, Boolean> apply(Job j) {
            if (j != null && j.state().isFinal() && j.endedAt() < cutoff && !j.outbox().hasPending()) {
                return Outcome.write(null, true);
            }
            return Outcome.keep(false);
        }
    }

    /** Its claim ended without the job ending: the job ends with it (lease lost, node lost, cancelled). */
    public record ClaimEnded(ClaimState claim, String claimReason, long now) implements Command<Job, Step> {
        @Override
        public Outcome<Job, Step> apply(Job j) {
            if (j == null || j.state().isFinal()) {
                return refuse(j, "already ended");
            }
            return switch (claim) {
                case LOST -> to(j.to(JobState.LOST, j.node(), claimReason, j.cancelRequested(), null, j.startedAt(), now));
                case CANCELLED -> to(j.to(JobState.CANCELLED, j.node(), "CANCELLED", true, null, j.startedAt(), now));
                case EXPIRED -> to(j.to(JobState.FAILED, j.node(), "LEASE_EXPIRED", j.cancelRequested(), null,
                        j.startedAt(), now));
                case RELEASED -> to(j.to(JobState.FAILED, j.node(), "CLAIM_RELEASED", j.cancelRequested(), null,
                        j.startedAt(), now));
                case PREEMPTED -> to(j.to(JobState.FAILED, j.node(), "PREEMPTED", j.cancelRequested(), null,
                        j.startedAt(), now));
                default -> refuse(j, "claim has not ended");
            };
        }
    }
}
