package io.ichiba.ledger;

import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimCommands;
import io.ichiba.ledger.claim.ClaimFilters;
import io.ichiba.ledger.job.JobCommands;
import io.ichiba.ledger.job.JobFilters;
import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.pool.PlaceCommands;
import io.ichiba.ledger.pool.PoolFilters;
import io.ichiba.ledger.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends what must end: leases past their deadline (law 6), nodes lost and their grants, returns not finished (law 3),
 * and old ended records.
 *
 * <p>Its sweeps are timers the engine runs on its own thread, by its clock ({@code Store#every}), each run part of a
 * batch. Nothing depends on the member that granted a claim.
 */
public final class LeaseReaper {
    private static final Logger LOG = LoggerFactory.getLogger(LeaseReaper.class);

    private final Ledger ledger;
    private final Store store;
    private final Tally tally;

    /**
     * What the reaper ended, told one at a time as each is done: a sweep cut short (an engine's timer run ends at its
     * bound, {@code Timer.Deferred}) returns no {@link Sweep}, but what it did is told.
     */
    public interface Tally {
        /** Tells nothing. */
        Tally NONE = new Tally() {
        };

        /** A lease ended past its deadline. */
        default void leaseExpired() {
        }

        /** A node was found lost. */
        default void nodeLost() {
        }

        /** A grant ended because its node was lost. */
        default void grantLost() {
        }
    }

    /** Creates the reaper over the ledger's store. */
    public LeaseReaper(Ledger ledger) {
        this(ledger, Tally.NONE);
    }

    /** Creates the reaper over the ledger's store, telling {@code tally} what it ends. */
    public LeaseReaper(Ledger ledger, Tally tally) {
        this.ledger = ledger;
        this.store = ledger.store();
        this.tally = tally;
    }

    /**
     * What one sweep did.
     *
     * @param expired  leases ended
     * @param returned ended claims whose returns were finished
     * @param purged   ended claims removed after the retention time
     */
    public record Sweep(int expired, int returned, int purged) {
    }

    /** Sweeps once: {@link #sweepLeases} then {@link #purge}. */
    public Sweep sweep() {
        Sweep leases = sweepLeases();
        return new Sweep(leases.expired(), leases.returned(), purge());
    }

    /** Ends this member's leases past their deadline and finishes returns left unfinished: cheap, run often. */
    public Sweep sweepLeases() {
        long now = ledger.clock().millis();
        int expired = 0;
        for (String id : store.claims().localKeys(new ClaimFilters.LeaseDue(now))) {
            if (each("lease expiry", id, l -> expire(l, id, now))) {
                expired++;
                tally.leaseExpired();
            }
        }
        int returned = 0;
        for (String id : store.claims().localKeys(new ClaimFilters.ReturnsPending())) {
            if (each("return", id, l -> finishReturn(l, id))) {
                returned++;
            }
        }
        return new Sweep(expired, returned, 0);
    }

    /**
     * Runs one record's operation: one that fails is logged and left for the next sweep, and the sweep goes on with
     * the others (on the engine, each is a command of its own: what it changed is dropped, theirs kept).
     */
    private boolean each(String what, String id, io.ichiba.ledger.store.Operation<Ledger, Boolean> op) {
        try {
            return ledger.atomically(op);
        } catch (io.ichiba.ledger.engine.NotEngineException | io.ichiba.ledger.engine.EngineUnavailableException e) {
            throw e; // the engine moved or cannot journal: the next sweep, wherever it runs, does it
        } catch (io.ichiba.ledger.store.Timer.Deferred e) {
            throw e; // the engine's timer run reached its bound: the rest goes on in the next batch
        } catch (RuntimeException e) {
            LOG.warn("{} failed for {}, left for the next sweep: {}", what, id, e.toString());
            return false;
        }
    }

    /** Ends a claim whose lease is over and returns its tokens, in one change; answers whether it ended. */
    private static boolean expire(Ledger ledger, String id, long now) {
        ClaimCommands.Transition t = ledger.store().claims().execute(id, new ClaimCommands.Expire(now));
        if (!t.ok()) {
            return false;
        }
        LOG.debug("lease expired claim={} tenant={} node={}", id, t.claim().tenant(), t.claim().node());
        ledger.returnTokens(t.claim());
        return true;
    }

    /** Returns the tokens of an ended claim that still holds them; answers whether it did. */
    private static boolean finishReturn(Ledger ledger, String id) {
        Claim c = ledger.store().claims().get(id);
        if (c == null || !c.state().isFinal() || c.returned()) {
            return false;
        }
        ledger.returnTokens(c);
        return true;
    }

    /**
     * Purges claims and jobs ended longer than the retention ago (or beyond the bound of those kept) and deleted price
     * alerts. Their events left with the batches that made them. Answers how many claims were purged.
     */
    public int purge() {
        int purged = 0;
        long cutoff = Math.max(ledger.clock().millis() - ledger.settings().retentionMillis(), keepingAtMost());
        for (String id : store.claims().localKeys(new ClaimFilters.Purgeable(cutoff))) {
            if (store.claims().execute(id, new ClaimCommands.Purge(cutoff))) {
                purged++;
            }
        }
        // ended jobs go after the same retention (their claims, ended no later, go with them)
        for (String id : store.jobs().localKeys(new JobFilters.PurgeableJobs(cutoff))) {
            store.jobs().execute(id, new JobCommands.Purge(cutoff));
        }
        ledger.alerts().purge();
        return purged;
    }

    /**
     * The cutoff that keeps at most {@link LedgerSettings#retainedMax} ended claims: those that ended before it are
     * the oldest, beyond the bound (by whole seconds: a few more may go). {@code Long.MIN_VALUE} when under the bound,
     * or unbounded.
     */
    long keepingAtMost() {
        long max = ledger.settings().retainedMax();
        java.util.NavigableMap<String, Integer> bySecond = max == 0 ? null
                : store.claims().filedCounts(new ClaimFilters.ClaimsByEnd());
        if (bySecond == null) {
            return Long.MIN_VALUE;
        }
        long ended = 0;
        for (int n : bySecond.values()) {
            ended += n;
        }
        long excess = ended - max;
        if (excess <= 0) {
            return Long.MIN_VALUE;
        }
        long passed = 0;
        for (java.util.Map.Entry<String, Integer> e : bySecond.entrySet()) {
            passed += e.getValue();
            if (passed >= excess) {
                return (Long.parseLong(e.getKey()) + 1) * 1000; // every claim that ended in that second or before
            }
        }
        return Long.MIN_VALUE;
    }

    /**
     * What one node sweep did.
     *
     * @param nodesLost  nodes found lost (no report for the grace period)
     * @param grantsLost grants ended with reason {@code NODE_LOST}
     */
    public record NodeSweep(int nodesLost, int grantsLost) {
    }

    /**
     * Finds this member's nodes whose reports stopped for the grace period: each is marked lost (its capacity
     * drops to zero) and every grant on it ends as {@code LOST} with its tokens returned. Does nothing when the
     * grace period is 0.
     */
    public NodeSweep sweepNodes() {
        long grace = ledger.settings().nodeGraceMillis();
        if (grace == 0) {
            return new NodeSweep(0, 0);
        }
        long now = ledger.clock().millis();
        int nodesLost = 0;
        for (String node : store.nodes().localKeys(new PoolFilters.StaleNode(now - grace))) {
            NodeState lost = store.nodes().execute(node, new PlaceCommands.MarkLost(now - grace, now));
            if (lost != null) {
                nodesLost++;
                tally.nodeLost();
                LOG.warn("node lost node={} lastReport={}ms ago grants={}", node, now - lost.lastReportAt(),
                        lost.holdings().holders().size());
            }
        }
        int grantsLost = 0;
        for (String node : store.nodes().localKeys(new PoolFilters.LostWithHolders())) {
            NodeState n = store.nodes().get(node);
            if (n == null || !n.lost()) {
                continue;
            }
            for (String claimId : n.holdings().holders().keySet()) {
                if (each("node loss", claimId, l -> loseNode(l, claimId, node, now))) {
                    grantsLost++;
                    tally.grantLost();
                }
            }
        }
        return new NodeSweep(nodesLost, grantsLost);
    }

    /** Ends a grant on a lost node and returns its tokens, in one change; answers whether it ended. */
    private static boolean loseNode(Ledger ledger, String claimId, String node, long now) {
        ClaimCommands.Transition t = ledger.store().claims().execute(claimId, new ClaimCommands.LoseNode(node, now));
        if (!t.ok()) {
            return false;
        }
        LOG.info("grant ended claim={} tenant={} node={} reason=NODE_LOST", claimId, t.claim().tenant(), node);
        ledger.returnTokens(t.claim());
        return true;
    }
}
