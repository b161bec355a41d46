/**
 * The node agent: one process per node that measures what the node can give and reports it to the broker,
 * which turns each report into the capacity of the node's pools ({@code memory@node}, {@code disk@node}), and
 * with {@code --runner} runs the jobs whose claims are granted on the node.
 *
 * <pre>
 *   /proc/meminfo ──► MemInfoProbe ─┐
 *                                   ├─► Reporter ──PUT /v1/nodes/{node}/report──► broker
 *   mounts' file stores ► DiskProbe ┘   every interval; backoff with full jitter
 *                                       while the broker cannot be reached
 *
 *   broker ──GET /v1/nodes/{node}/jobs (long-poll)──► Runner ──POST start──► launch ──► JobProcess
 *          ◄──POST renew (every lease/3) ─────────────┤            <workDir>/<job>/output.log
 *          ◄──POST finish {exitCode | error} ─────────┘            <workDir>/<job>/runner-state.json
 * </pre>
 *
 * <p>{@link io.ichiba.agent.Main} reads the {@link io.ichiba.agent.AgentConfig} (flags over environment
 * variables) and runs the {@link io.ichiba.agent.Reporter} (the monitor role) and, in runner mode, the
 * {@link io.ichiba.agent.Runner} until the process is stopped. The probes are plain Java over files and
 * {@link java.nio.file.FileStore}s; time passes through an injected {@link io.ichiba.agent.Sleeper}, so tests drive
 * the loops without waiting. The runner starts a job's process only after the broker's 200 to its start, stops a
 * process tree with SIGTERM then SIGKILL, and keeps a state file per job ({@link io.ichiba.agent.JobRecords}) so
 * that a restarted runner adopts the processes still running and ends the others: no job's tokens are leaked.
 */
package io.ichiba.agent;
