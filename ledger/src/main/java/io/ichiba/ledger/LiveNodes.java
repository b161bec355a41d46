package io.ichiba.ledger;

import io.ichiba.ledger.pool.NodeState;
import io.ichiba.ledger.pool.PoolFilters;
import io.ichiba.ledger.store.Table;

import java.util.AbstractMap;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Every node as the running command sees it, read from the store when asked: what an admission pass places claims
 * on. Nothing is copied up front (a pass copied every node for each claim taken in: ten thousand nodes made the intake
 * of a claim a quarter as fast as ten), a grant's holds are seen as soon as they are placed, and a best fit is found
 * by walking the nodes' index by what they have free ({@link PoolFilters.FreeOf}, issue 13). Read-only.
 */
final class LiveNodes extends AbstractMap<String, NodeState> implements Placement.ByFree {
    private final Table<NodeState> nodes;

    LiveNodes(Table<NodeState> nodes) {
        this.nodes = nodes;
    }

    @Override
    public NodeState get(Object key) {
        return key instanceof String name ? nodes.get(name) : null;
    }

    @Override
    public boolean containsKey(Object key) {
        return get(key) != null;
    }

    /** Every node, read now: a scan of the table (the slow way, for what must look at them all). */
    @Override
    public Set<Entry<String, NodeState>> entrySet() {
        Map<String, NodeState> all = new HashMap<>();
        for (NodeState n : nodes.values(new Table.All<>())) {
            all.put(n.node(), n);
        }
        return Collections.unmodifiableMap(all).entrySet();
    }

    @Override
    public NodeState first(List<String> kinds, long atLeast, Predicate<NodeState> fits) {
        return nodes.first(new PoolFilters.FreeOf(kinds), PoolFilters.FreeOf.key(atLeast, ""), fits);
    }
}
