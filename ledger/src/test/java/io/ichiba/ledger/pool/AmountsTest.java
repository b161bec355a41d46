package io.ichiba.ledger.pool;

import org.junit.jupiter.api.Test;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Amounts made once are shared, not copied again (a claim's bundle and the holds it places on its tenant and its
 * node are one map), and anything else is copied: a caller's map changed later changes no amounts.
 */
class AmountsTest {

    @Test
    void amountsMadeOnceAreSharedByWhatIsMadeFromThem() {
        SortedMap<String, Long> made = Amounts.of(Map.of("memory", 64L, "disk", 16L));
        assertThat(Amounts.of(made)).isSameAs(made);
        assertThat(Amounts.copyOf(made)).isSameAs(made);
        assertThat(new Hold(made).amounts()).isSameAs(made);
    }

    @Test
    void anyOtherMapIsCopied() {
        TreeMap<String, Long> mine = new TreeMap<>(Map.of("memory", 64L));
        SortedMap<String, Long> amounts = Amounts.of(mine);
        mine.put("memory", 1L);
        assertThat(amounts).containsExactly(Map.entry("memory", 64L));
        assertThat(Amounts.of(Collections.unmodifiableMap(mine))).isNotSameAs(mine).containsEntry("memory", 1L);
    }

    @Test
    void zerosAreDroppedFromAMapThatKeptThem() {
        SortedMap<String, Long> withZero = Amounts.copyOf(Map.of("memory", 0L, "disk", 1L));
        assertThat(Amounts.copyOf(withZero)).isSameAs(withZero);
        assertThat(Amounts.of(withZero)).isNotSameAs(withZero).containsExactly(Map.entry("disk", 1L));
    }
}
