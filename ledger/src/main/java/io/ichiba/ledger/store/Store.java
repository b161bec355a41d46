package io.ichiba.ledger.store;

import io.ichiba.ledger.AgentRecord;
import io.ichiba.ledger.Claim;
import io.ichiba.ledger.IdempotencyRecord;
import io.ichiba.ledger.Job;
import io.ichiba.ledger.KindDef;
import io.ichiba.ledger.LockState;
import io.ichiba.ledger.NodeState;
import io.ichiba.ledger.Principal;
import io.ichiba.ledger.TenantState;

/**
 * Where the ledger's state lives: one {@link Table} per aggregate, each change atomic on one key.
 *
 * <p>{@link InMemoryStore} is the reference; {@code HazelcastStore} replicates the same tables in IMaps
 * with synchronous backups and runs the same commands as entry processors.
 */
public interface Store extends AutoCloseable {

    /** Nodes and their pools, by node id. */
    Table<NodeState> nodes();

    /** Locks, by name. */
    Table<LockState> locks();

    /** Tenants and their quota holdings, by tenant id. */
    Table<TenantState> tenants();

    /** Claims, by claim id. */
    Table<Claim> claims();

    /** Jobs, by job id (which is also their claim's id). */
    Table<Job> jobs();

    /** Principals, by the SHA-256 hash of their token. */
    Table<Principal> principals();

    /** Agents, by node id. */
    Table<AgentRecord> agents();

    /** Operator-defined kinds, by name. */
    Table<KindDef> kinds();

    /** First answers to requests with an idempotency key, by caller and key. */
    Table<IdempotencyRecord> idempotency();

    @Override
    void close();
}
