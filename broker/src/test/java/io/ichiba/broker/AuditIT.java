package io.ichiba.broker;

import com.fasterxml.jackson.databind.JsonNode;
import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.pool.PlaceCommands;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Drift made for real in the replicated store reaches the operator: {@code GET /v1/audit} names it, and
 * {@code ichiba_audit_drift_total} and {@code ichiba_audit_drift_current} count it — on demand, and from the periodic
 * audit without anyone asking.
 *
 * <p>The drift is a granted claim whose hold on its node is gone (written straight into the store, as a bug or a
 * lost write would leave it): the pool records less than the live grant. Unlike a hold no claim owns, which the
 * reaper returns within seconds, it stays until the claim ends, so the test can read it at leisure. Each test has its
 * own broker, so that its counts are its own.
 */
class AuditIT {
    private TestBrokers cluster;
    private Broker broker;
    private Http op;
    private World world;

    private void start(UnaryOperator<BrokerConfig> config) throws Exception {
        cluster = new TestBrokers();
        broker = cluster.start(config);
        op = TestBrokers.operator(broker);
        world = new World(op);
    }

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** A node with a granted claim of 1000 MiB of memory whose hold is then removed from the node's pools. */
    private record Drifted(String node, String claim, Http tenant) {
    }

    private Drifted driftOnANode() {
        String node = World.name("n");
        world.node(node, 8192, 8192);
        Http t = world.tenant(World.name("t"), 65536, 65536);
        Http.Answer c = t.post("/v1/claims", World.claim(1000, 0, List.of(), 1, 600, node));
        await().atMost(Duration.ofSeconds(10)).until(() -> "GRANTED".equals(t.get("/v1/claims/" + c.text("id")).text("state")));
        world.assertAuditClean();
        assertThat(broker.ledger().store().nodes().execute(node,
                new PlaceCommands.ReturnFor<NodeState>(c.text("id")))).isTrue();
        assertThat(world.pool("memory@" + node).get("granted").asLong()).as("the hold is gone").isZero();
        return new Drifted(node, c.text("id"), t);
    }

    @Test
    void driftInTheStoreIsNamedByTheAuditAndCountedInTheMetrics() throws Exception {
        start(c -> c);
        Drifted d = driftOnANode();
        double total = op.metric("ichiba_audit_drift_total");

        Instant before = Instant.now();
        Http.Answer audit = op.get("/v1/audit");
        Instant after = Instant.now();
        assertThat(audit.status()).as(audit.toString()).isEqualTo(200);
        assertThat(audit.body().get("ok").asBoolean()).as(audit.toString()).isFalse();
        assertThat(Instant.parse(audit.text("checkedAt"))).isBetween(before.minusMillis(1), after.plusMillis(1));
        JsonNode drift = audit.body().get("drift");
        assertThat(drift).as(audit.toString()).hasSize(1);
        JsonNode pool = drift.get(0);
        assertThat(pool.get("subject").asText()).isEqualTo("memory@" + d.node());
        assertThat(pool.get("recorded").asLong()).as("what the pool records").isZero();
        assertThat(pool.get("live").asLong()).as("what the live grant holds").isEqualTo(1000);
        assertThat(pool.get("detail").asText()).contains(d.claim());
        // counted by the audit that found it
        assertThat(op.metric("ichiba_audit_drift_total")).isEqualTo(total + 1);
        assertThat(op.metric("ichiba_audit_drift_current")).isEqualTo(1);
        // only the operator audits
        Http.Answer byTenant = d.tenant().get("/v1/audit");
        assertThat(byTenant.status()).isEqualTo(403);
        assertThat(byTenant.isClientProblem()).as(byTenant.toString()).isTrue();
        assertThat(op.metric("ichiba_audit_drift_total")).as("a refused audit counts nothing").isEqualTo(total + 1);

        // once the claim ends, recorded and live agree again
        assertThat(d.tenant().post("/v1/claims/" + d.claim() + "/release", null).text("state")).isEqualTo("RELEASED");
        world.assertAuditClean();
        assertThat(op.metric("ichiba_audit_drift_current")).isZero();
        assertThat(op.metric("ichiba_audit_drift_total")).as("a clean audit adds nothing").isEqualTo(total + 1);
    }

    @Test
    void thePeriodicAuditCountsDriftWithoutBeingAsked() throws Exception {
        start(c -> c.withAuditIntervalSeconds(1));
        Drifted d = driftOnANode();
        double total = op.metric("ichiba_audit_drift_total");

        // nobody calls GET /v1/audit from here on: the audit that runs every second finds the drift, each time
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            assertThat(op.metric("ichiba_audit_drift_current")).isEqualTo(1);
            assertThat(op.metric("ichiba_audit_drift_total")).isGreaterThanOrEqualTo(total + 2);
        });

        assertThat(d.tenant().post("/v1/claims/" + d.claim() + "/release", null).text("state")).isEqualTo("RELEASED");
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                assertThat(op.metric("ichiba_audit_drift_current")).isZero());
    }
}
