package io.ichiba.ledger;

import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.pool.Amounts;
import io.ichiba.ledger.pool.Booking;
import io.ichiba.ledger.pool.Hold;
import io.ichiba.ledger.pool.Holdings;
import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.tenant.TenantState;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The choice of a node does not depend on how the nodes are handed over, and is the best fit as the rule says: among
 * the nodes where the bundle fits (its holds, what is withheld and what reservations booked before the lease ends
 * counted), the one left with the least free of the bundle's kinds, then the smaller id; when none fits, the refusal
 * of the first node by id. {@link #reference} is that rule walked over the nodes sorted by id, as {@link Placement}
 * did before it stopped sorting them and checking nodes that cannot beat the best so far.
 */
class PlacementProperties {
    private static final long NOW = 1_000_000;

    @Property(tries = 500)
    void theChoiceIsTheBestFitWhateverTheOrderOfTheNodes(@ForAll("nodes") List<NodeState> list,
                                                         @ForAll("asks") Map<String, Long> ask,
                                                         @ForAll boolean ownHold, @ForAll java.util.Random order) {
        Claim c = Claim.queued("c", "acme", Bundle.of(ask, List.of()), 0, 60, null, NOW, null);
        TenantState tenant = new TenantState("acme", Amounts.of(Map.of("memory", 1L << 40, "disk", 1L << 40)), null,
                0);
        List<NodeState> shuffled = new java.util.ArrayList<>(list);
        java.util.Collections.shuffle(shuffled, order);
        Map<String, NodeState> nodes = new java.util.LinkedHashMap<>(); // handed over in any order
        for (NodeState n : shuffled) {
            NodeState held = ownHold && n.node().equals("n1")
                    ? n.withHoldings(n.holdings().with("c", new Hold(Amounts.of(ask)))) : n;
            nodes.put(n.node(), held);
        }

        Placement.Choice choice = Placement.choose(c, tenant, nodes, Map.of(), NOW);

        Placement.Choice expected = reference(c, nodes);
        assertThat(choice.node()).isEqualTo(expected.node());
        assertThat(choice.why() == null ? null : choice.why().detail())
                .isEqualTo(expected.why() == null ? null : expected.why().detail());
    }

    /** Sets a node. */
    record PutNode(NodeState node) implements Command<NodeState, Object> {
        @Override
        public Outcome<NodeState, Object> apply(NodeState current) {
            return Outcome.write(node, null);
        }
    }

    /**
     * The engine's admission places on the live nodes ({@link LiveNodes}), walked by what they have free: the choice is
     * the reference's over every node, whether the nodes are committed or changed by the running command (before the
     * index of the running changes exists, and after), and whatever the set of kinds asked.
     */
    @Property(tries = 200)
    void theWalkByWhatIsFreeChoosesTheBestFit(@ForAll("nodes") List<NodeState> committed,
                                              @ForAll("nodes") List<NodeState> changed,
                                              @ForAll("asks") Map<String, Long> ask) {
        io.ichiba.ledger.engine.EngineStore store =
                io.ichiba.ledger.engine.Engines.started(new io.ichiba.ledger.journal.InMemoryJournal());
        try {
            io.ichiba.ledger.store.Table<NodeState> nodes = store.nodes();
            Claim c = Claim.queued("c", "acme", Bundle.of(ask, List.of()), 0, 60, null, NOW, null);
            TenantState tenant = new TenantState("acme", Amounts.of(Map.of("memory", 1L << 40, "disk", 1L << 40)),
                    null, 0);
            store.atomically(() -> {
                committed.forEach(n -> nodes.execute(n.node(), new PutNode(n)));
                return null;
            });
            List<List<Object>> seen = store.atomically(() -> {
                List<List<Object>> out = new java.util.ArrayList<>();
                java.util.function.Consumer<String> compare = when -> {
                    Placement.Choice choice = Placement.choose(c, tenant, new LiveNodes(nodes), Map.of(), NOW);
                    Placement.Choice expected = reference(c, nodes.entries());
                    out.add(List.of(when, String.valueOf(choice.node()), String.valueOf(
                            choice.why() == null ? null : choice.why().detail()), String.valueOf(expected.node()),
                            String.valueOf(expected.why() == null ? null : expected.why().detail())));
                };
                compare.accept("committed");
                for (int i = 0; i < changed.size(); i++) {
                    nodes.execute(changed.get(i).node(), new PutNode(changed.get(i)));
                    if (i == changed.size() / 2) {
                        compare.accept("changed in part");
                    }
                }
                compare.accept("changed");
                return out;
            });
            for (List<Object> s : seen) {
                assertThat(s.subList(1, 3)).as(s.get(0) + ": the choice, then the reference's: " + s)
                        .isEqualTo(s.subList(3, 5));
            }
        } finally {
            store.close();
        }
    }

    private static Placement.Choice reference(Claim c, Map<String, NodeState> nodes) {
        long until = NOW + c.leaseSeconds() * 1000;
        String best = null;
        long bestLeft = Long.MAX_VALUE;
        Rejection first = null;
        for (NodeState n : new TreeMap<>(nodes).values()) {
            Rejection r = n.checkHold(c.id(), c.bundle().amounts(), NOW, until);
            if (r != null) {
                first = first == null ? r : first;
                continue;
            }
            long left = 0;
            for (var e : c.bundle().amounts().entrySet()) {
                left += n.free(e.getKey()) - e.getValue();
            }
            if (left < bestLeft) {
                best = n.node();
                bestLeft = left;
            }
        }
        if (best != null) {
            return new Placement.Choice(best, null);
        }
        return new Placement.Choice(null, first != null ? first
                : Rejection.of(Rejection.Code.INSUFFICIENT_CAPACITY, "no node has reported yet"));
    }

    @Provide
    Arbitrary<Map<String, Long>> asks() {
        Arbitrary<Long> amount = Arbitraries.longs().between(1, 40);
        return Combinators.combine(amount, amount, Arbitraries.integers().between(0, 2)).as((m, d, which) ->
                which == 0 ? Map.of("memory", m) : which == 1 ? Map.of("disk", d) : Map.of("memory", m, "disk", d));
    }

    @Provide
    Arbitrary<List<NodeState>> nodes() {
        return Arbitraries.integers().between(1, 12).flatMap(count -> node().list().ofSize(count)).map(list -> {
            List<NodeState> named = new java.util.ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                named.add(list.get(i).apply("n" + (i + 1)));
            }
            return named;
        });
    }

    /** A node of capacities 0–60, some held by other claims, some withheld, maybe booked, maybe lost. */
    private Arbitrary<java.util.function.Function<String, NodeState>> node() {
        Arbitrary<Long> small = Arbitraries.longs().between(0, 60);
        return Combinators.combine(small, small, small, small, Arbitraries.integers().between(0, 9))
                .as((mem, disk, held, withheld, shape) -> name -> {
                    Holdings h = Holdings.empty();
                    if (held > 0) {
                        h = h.with("other-" + name, new Hold(Amounts.of(Map.of("memory", Math.min(held, mem)))));
                    }
                    if (shape == 1) {
                        h = h.withBooking("r-" + name, new Booking("r", NOW + 10_000, NOW + 20_000,
                                Amounts.of(Map.of("disk", Math.max(1, disk / 2)))));
                    }
                    NodeState n = new NodeState(name, Amounts.of(Map.of("memory", mem, "disk", disk)), null,
                            Amounts.of(shape == 2 ? Map.of("disk", Math.min(withheld, disk)) : Map.of()), NOW,
                            shape == 3 ? NOW : 0, h);
                    return n;
                });
    }
}
