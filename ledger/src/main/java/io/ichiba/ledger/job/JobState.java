package io.ichiba.ledger.job;

/** The life of a job: waiting for its claim, handed to its node's runner, running, ended. */
public enum JobState {
    /** Its claim waits in the queue. */
    QUEUED,
    /** Its claim is granted; the runner of its node is to start it. */
    STARTING,
    /** Its process runs. */
    RUNNING,
    /** Its process exited with 0. */
    SUCCEEDED,
    /** Its process exited otherwise, could not start, or lost its lease. */
    FAILED,
    /** Cancelled. */
    CANCELLED,
    /** Its node was lost. */
    LOST;

    /** Whether the job has ended. */
    public boolean isFinal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED || this == LOST;
    }
}
