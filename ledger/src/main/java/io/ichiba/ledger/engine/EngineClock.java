package io.ichiba.ledger.engine;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The engine's clock: the one clock every deadline is set and checked by, carried from engine to engine through the
 * journal. Each batch is journaled with the engine's time; an engine that takes over resumes from the last journaled
 * time, not from its member's clock, so members whose clocks disagree do not move the ledger's time.
 *
 * <pre>
 *   at takeover:  journaled = the last batch's time,  at = this member's clock then
 *   now          = max(journaled, member + lag)       lag = min(0, journaled - at), shrinking by 1 % of the time since
 * </pre>
 *
 * <ul>
 *   <li>A member whose clock is <b>ahead</b> (or that took over after a failover gap) goes on from the journaled
 *       time: no lease, node grace or recall deadline ends early because of the move. The lag then shrinks at 1 %
 *       of elapsed time (36 s an hour), so the ledger's time rejoins the member's clock without a jump.</li>
 *   <li>A member whose clock is <b>behind</b> holds the journaled time until its clock passes it: time never goes
 *       back, so nothing set by the old engine lasts longer than it should by more than the skew.</li>
 * </ul>
 *
 * <p>Before the first takeover, or over a journal that never carried a time, it is the member's clock.
 */
public final class EngineClock extends Clock {
    /** How fast the lag closes: 1 ms per 100 ms. */
    static final long SLEW_DIVISOR = 100;

    private volatile Clock base;
    /** The time the journal carried at the last takeover (0: none). */
    private volatile long journaled;
    private volatile Anchor anchor;

    private record Anchor(long journaled, long at, long lag) {
    }

    /** The engine's clock over this member's {@code base} clock; {@code null} until a ledger gives one. */
    public EngineClock(Clock base) {
        this.base = base;
    }

    /**
     * Reads this member's time from {@code base} from now on (a ledger's own clock, in tests a controlled one); an
     * engine that took over already resumes again from the same journaled time on the new base.
     */
    public void rebase(Clock base) {
        this.base = base;
        resume(journaled);
    }

    /** The engine took over: it resumes from {@code journaled}, the last time its journal carried (0: none). */
    public void resume(long journaled) {
        this.journaled = journaled;
        Clock b = base;
        if (journaled <= 0 || b == null) {
            anchor = null;
            return;
        }
        long at = b.millis();
        anchor = new Anchor(journaled, at, Math.min(0, journaled - at));
    }

    /** The engine's time; {@code 0} while no ledger gave this member's clock (a batch then carries no time). */
    @Override
    public long millis() {
        Clock b = base;
        if (b == null) {
            return 0;
        }
        long member = b.millis();
        Anchor a = anchor;
        if (a == null) {
            return member;
        }
        long lag = Math.min(0, a.lag() + Math.max(0, member - a.at()) / SLEW_DIVISOR);
        return Math.max(a.journaled(), member + lag);
    }

    /** The engine's time less this member's clock: negative while the engine runs behind it (after a takeover). */
    public long lagMillis() {
        Clock b = base;
        return b == null ? 0 : millis() - b.millis();
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis());
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("the engine's clock is UTC");
    }
}
