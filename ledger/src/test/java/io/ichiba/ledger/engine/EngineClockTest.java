package io.ichiba.ledger.engine;

import io.ichiba.ledger.MutableClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The engine's clock resumes from the journaled time whichever way the new member's clock is skewed. */
class EngineClockTest {
    private static final long T = MutableClock.EPOCH.toEpochMilli();

    @Test
    void beforeAnyTakeoverItIsTheMembersClock() {
        MutableClock member = new MutableClock();
        EngineClock c = new EngineClock(member);
        assertThat(c.millis()).isEqualTo(T);
        c.resume(0); // a journal that never carried a time
        member.advance(Duration.ofSeconds(5));
        assertThat(c.millis()).isEqualTo(T + 5_000);
    }

    @Test
    void aMemberAheadGoesOnFromTheJournaledTimeAndRejoinsItsClockSlowly() {
        MutableClock member = new MutableClock(MutableClock.EPOCH.plusSeconds(30)); // 30 s ahead
        EngineClock c = new EngineClock(member);
        c.resume(T);
        assertThat(c.millis()).isEqualTo(T);
        member.advance(Duration.ofSeconds(10));
        assertThat(c.millis()).as("10 s later, and 1 %% of it caught up").isEqualTo(T + 10_000 + 100);
        member.advance(Duration.ofSeconds(3_000 - 10));
        assertThat(c.millis()).as("the 30 s closed after 3 000 s").isEqualTo(member.millis());
        member.advance(Duration.ofHours(1));
        assertThat(c.millis()).isEqualTo(member.millis());
    }

    @Test
    void aMemberBehindHoldsTheJournaledTimeUntilItsClockPassesIt() {
        MutableClock member = new MutableClock(MutableClock.EPOCH.minusSeconds(30)); // 30 s behind
        EngineClock c = new EngineClock(member);
        c.resume(T);
        assertThat(c.millis()).isEqualTo(T);
        member.advance(Duration.ofSeconds(20));
        assertThat(c.millis()).as("never before the journaled time").isEqualTo(T);
        member.advance(Duration.ofSeconds(15));
        assertThat(c.millis()).isEqualTo(T + 5_000);
    }

    @Test
    void batchesCarryTheEnginesTimeAndTheNextEngineResumesFromIt() {
        io.ichiba.ledger.journal.InMemoryJournal journal = new io.ichiba.ledger.journal.InMemoryJournal();
        MutableClock first = new MutableClock();
        EngineStore a = Engines.started(journal);
        a.clock(first);
        io.ichiba.ledger.Ledger ledger = new io.ichiba.ledger.Ledger(a, first,
                io.ichiba.ledger.LedgerSettings.defaults());
        assertThat(ledger.defineKind("gpu", "cards").ok()).isTrue();
        assertThat(journal.peek().lastTime()).isEqualTo(T);
        a.close();

        MutableClock ahead = new MutableClock(MutableClock.EPOCH.plusSeconds(30));
        EngineStore b = Engines.started(journal);
        assertThat(b.clock(ahead).millis()).isEqualTo(T);
    }
}
