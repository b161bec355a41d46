package io.ichiba.ledger.engine;

import io.ichiba.ledger.MutableClock;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The one clock's laws, whatever the skew of the member that took over and however its clock then moves: the
 * engine's time never goes back, never goes before the journaled time, never runs ahead of the member's clock once
 * it has passed the journaled time, runs at least as fast as the member's clock, and closes the lag by 1 % of the
 * elapsed time.
 */
class EngineClockProperties {

    @Property(tries = 300)
    void theEnginesTimeResumesFromTheJournalAndNeverGoesBack(
            @ForAll @LongRange(min = -3_600_000, max = 3_600_000) long skewMillis,
            @ForAll @Size(max = 40) List<@IntRange(min = 0, max = 600_000) Integer> steps) {
        long journaled = MutableClock.EPOCH.toEpochMilli();
        MutableClock member = new MutableClock(MutableClock.EPOCH.plusMillis(skewMillis));
        EngineClock clock = new EngineClock(member);
        clock.resume(journaled);
        long lag0 = Math.min(0, -skewMillis);
        long elapsed = 0;
        long last = clock.millis();
        assertThat(last).as("it resumes at the journaled time").isEqualTo(journaled);
        for (int step : steps) {
            member.advance(Duration.ofMillis(step));
            elapsed += step;
            long now = clock.millis();
            assertThat(now).as("never back").isGreaterThanOrEqualTo(last);
            assertThat(now).as("never before the journaled time").isGreaterThanOrEqualTo(journaled);
            assertThat(now).as("never ahead of the member's clock, once past the journaled time")
                    .isLessThanOrEqualTo(Math.max(journaled, member.millis()));
            assertThat(now - last).as("at least as fast as the member's clock, once past the journaled time")
                    .isGreaterThanOrEqualTo(member.millis() - step >= journaled ? step : 0);
            assertThat(now).as("the lag closes by 1 %% of the elapsed time")
                    .isEqualTo(Math.max(journaled, member.millis()
                            + Math.min(0, lag0 + elapsed / EngineClock.SLEW_DIVISOR)));
            last = now;
        }
    }
}
