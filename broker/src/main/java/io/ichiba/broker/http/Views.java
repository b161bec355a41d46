package io.ichiba.broker.http;

import io.ichiba.api.Model;
import io.ichiba.ledger.Claim;
import io.ichiba.ledger.ClaimState;
import io.ichiba.ledger.Job;
import io.ichiba.ledger.NodeState;
import io.ichiba.ledger.PoolView;
import io.ichiba.ledger.TenantState;

import java.time.Instant;

/** Maps ledger records to wire records. */
final class Views {
    private Views() {
    }

    static Model.Claim claim(Claim c) {
        ClaimState visible = c.state().visible();
        String reason = visible == ClaimState.GRANTED ? null : c.reason();
        return new Model.Claim(c.id(), c.tenant(), Model.ClaimState.valueOf(visible.name()), reason,
                visible == ClaimState.QUEUED ? null : c.node(),
                Model.Bundle.of(c.bundle().amounts(), c.bundle().locks()), c.priority(), c.leaseSeconds(),
                time(c.createdAt()), visible == ClaimState.QUEUED ? null : time(c.grantedAt()),
                visible == ClaimState.QUEUED ? null : time(c.leaseExpiresAt()), time(c.endedAt()));
    }

    static Model.Job job(Job j) {
        return new Model.Job(j.id(), j.tenant(), j.state().name(), j.reason(), j.node(), j.command(), j.env(),
                Model.Bundle.of(j.bundle().amounts(), j.bundle().locks()), j.priority(), j.leaseSeconds(),
                j.cancelRequested(), j.exitCode(), time(j.createdAt()), time(j.startedAt()), time(j.endedAt()));
    }

    static Model.Pool pool(PoolView p) {
        return new Model.Pool(p.id(), p.kind(), p.node(), p.name(), p.capacity(), p.granted(), p.free(),
                p.overcommitted(), p.measuredFree(), p.withheld(), p.holders());
    }

    static Model.Node node(NodeState n) {
        return new Model.Node(n.node(), n.lost() ? "LOST" : "READY", time(n.lastReportAt()), time(n.lostAt()),
                n.capacity(), n.measuredFree(), n.holdings().totals(), n.withheld(), n.holdings().holders().size());
    }

    static Model.Tenant tenant(TenantState t) {
        return new Model.Tenant(t.id(), t.quota(), t.holdings().totals(), time(t.createdAt()));
    }

    static Instant time(long epochMillis) {
        return epochMillis == 0 ? null : Instant.ofEpochMilli(epochMillis);
    }
}
