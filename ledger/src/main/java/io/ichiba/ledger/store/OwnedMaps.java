package io.ichiba.ledger.store;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The ledger's records keep sorted maps as read-only views of maps nobody else holds. A map that is already such a
 * view in natural order is kept as it is, not copied (a claim's bundle and the holds it places share one map; an
 * event keeps the payload its maker built). Only the ledger's own makers and the Kryo decoder wrap a map this way, and
 * keep no other reference to it; a caller who wraps a map it goes on changing must not hand it to a record.
 */
public final class OwnedMaps {
    /** The class of {@link Collections#unmodifiableSortedMap}'s views. */
    private static final Class<?> VIEW = Collections.unmodifiableSortedMap(new TreeMap<>()).getClass();

    private OwnedMaps() {
    }

    /** Whether {@code map} is a read-only sorted view in natural order: one a record may keep without a copy. */
    public static boolean isOwnedSortedView(Map<?, ?> map) {
        return map != null && map.getClass() == VIEW && ((SortedMap<?, ?>) map).comparator() == null;
    }
}
