package io.ichiba.broker;

import io.ichiba.ledger.ClaimState;
import io.ichiba.ledger.hazelcast.HazelcastJournal;
import io.ichiba.ledger.store.InMemoryStore;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A broker started with a store of its caller's choice ({@link Broker#start(BrokerConfig,
 * java.util.function.Function)}; the benchmarks put Redis behind the real routes so) keeps its whole ledger there,
 * not in its member's maps.
 */
class StoreOfChoiceIT {

    @Test
    void theLedgerLivesInTheStoreTheBrokerIsGiven() throws Exception {
        InMemoryStore given = new InMemoryStore();
        try (TestBrokers brokers = new TestBrokers()) {
            Broker b = brokers.start(c -> c, hz -> given);
            World world = new World(TestBrokers.operator(b));
            Http tenant = world.tenant(World.name("t"), 4096, 4096);
            world.node("n1", 2048, 2048);

            Http.Answer claim = tenant.post("/v1/claims", Map.of("bundle", Map.of("memory", 512, "disk", 256)));
            assertThat(claim.status()).as(claim.toString()).isEqualTo(201);
            String id = claim.text("id");
            assertThat(claim.text("state")).isEqualTo("GRANTED");

            assertThat(given.claims().get(id).state()).isEqualTo(ClaimState.GRANTED);
            assertThat(given.nodes().get("n1").holdings().granted("memory")).isEqualTo(512);
            assertThat(b.hazelcast().getMap(HazelcastJournal.STATE_PREFIX + "claims").size())
                    .as("nothing of the ledger in the member's maps").isZero();
            assertThat(b.hazelcast().getMap(HazelcastJournal.STATE_PREFIX + "nodes").size()).isZero();
            assertThat(b.hazelcast().getMap(HazelcastJournal.MAP).size()).as("nor a journal").isZero();

            Http.Answer released = tenant.post("/v1/claims/" + id + "/release", Map.of());
            assertThat(released.status()).as(released.toString()).isEqualTo(200);
            assertThat(given.claims().get(id).state()).isEqualTo(ClaimState.RELEASED);
            assertThat(given.nodes().get("n1").holdings().granted("memory")).isZero();
        }
    }
}
