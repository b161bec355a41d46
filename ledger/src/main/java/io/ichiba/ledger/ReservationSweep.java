package io.ichiba.ledger;

import io.ichiba.ledger.claim.Claim;
import io.ichiba.ledger.claim.ClaimCommands;
import io.ichiba.ledger.claim.ClaimFilters;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.market.Loan;
import io.ichiba.ledger.pool.Amounts;
import io.ichiba.ledger.pool.LockState;
import io.ichiba.ledger.pool.Place;
import io.ichiba.ledger.pool.PlaceCommands.Activate;
import io.ichiba.ledger.pool.PlaceCommands.CreateIfAbsent;
import io.ichiba.ledger.pool.Timeline;
import io.ichiba.ledger.reservation.Reservation;
import io.ichiba.ledger.reservation.ReservationCommands;
import io.ichiba.ledger.reservation.ReservationFilters;
import io.ichiba.ledger.reservation.ReservationSettings;
import io.ichiba.ledger.store.Store;
import io.ichiba.ledger.store.Table;
import io.ichiba.ledger.tenant.TenantState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A reservation's life around its window, moved along by a sweep: capacity recalled before the start (notices to
 * the grants in the way, loans of the booked quota recalled), the window opened (what was recalled preempted, every
 * copy granted on its booking), closed at the end, and refunds the house could not pay at a cancellation paid once
 * it can. Booking, reads and cancelling are {@link Reservations}'.
 */
final class ReservationSweep {
    private static final Logger LOG = LoggerFactory.getLogger(ReservationSweep.class);

    private final Ledger ledger;
    private final Store store;
    private final Reservations reservations;
    private final ReservationSettings settings;

    ReservationSweep(Ledger ledger, Reservations reservations, ReservationSettings settings) {
        this.ledger = ledger;
        this.store = ledger.store();
        this.reservations = reservations;
        this.settings = settings;
    }

    /**
     * Moves reservations along: recalls capacity for windows about to open, opens due windows (preempting what was
     * recalled, then granting every copy), closes ended ones, pays refunds still owed. Run by each admission pass
     * before it looks at the queue.
     */
    Reservations.Sweep sweep() {
        long now = ledger.clock().millis();
        int noticed = 0;
        int preempted = 0;
        int activated = 0;
        int ended = 0;
        for (Reservation r : store.reservations().values(new ReservationFilters.ReservationIn(EnumSet.of(
                Reservation.State.BOOKED, Reservation.State.ACTIVE, Reservation.State.CANCELLED)))) {
            switch (r.state()) {
                case BOOKED -> {
                    if (now >= r.end()) {
                        reservations.withdraw(r);
                        store.reservations().execute(r.id(), new ReservationCommands.Move(
                                EnumSet.of(Reservation.State.BOOKED), Reservation.State.ENDED, now, "WINDOW_MISSED"));
                        ended++;
                    } else if (now >= r.start()) {
                        noticed += recall(r, now); // a renewal since the last sweep may still run into the window
                        preempted += preemptRecalled(store.reservations().get(r.id()), now);
                        activate(r, now);
                        activated++;
                    } else if (now >= r.start() - settings.leadSeconds() * 1000) {
                        noticed += recall(r, now);
                    }
                }
                case ACTIVE -> {
                    if (now >= r.end()) {
                        close(r, now);
                        ended++;
                    } else {
                        finishCopies(r, now);
                    }
                }
                case CANCELLED -> {
                    if (reservations.refundOwed(r)) {
                        reservations.finish(r, now); // the house could not pay it at the cancel: again now
                    }
                }
                default -> {
                }
            }
        }
        long cutoff = now - ledger.settings().retentionMillis();
        for (Reservation r : store.reservations().values(new ReservationFilters.PurgeableReservations(cutoff))) {
            store.reservations().execute(r.id(), new ReservationCommands.Purge(cutoff));
        }
        return new Reservations.Sweep(noticed, preempted, activated, ended);
    }

    /** Reads the places {@code r} is booked in (those that still exist): its tenant's quota if on quota, its nodes, its locks. */
    private List<Place<?>> places(Reservation r) {
        List<Place<?>> out = new ArrayList<>();
        if (r.onQuota() && r.bundle().nodeLocal()) {
            out.add(store.tenants().get(r.tenant()));
        }
        r.nodes().forEach(n -> out.add(store.nodes().get(n)));
        r.bundle().locks().forEach(l -> out.add(store.locks().get(l)));
        out.removeIf(java.util.Objects::isNull);
        return out;
    }

    /**
     * Tells the fewest grants needed that they will be preempted at the start: in each place the reservation is
     * booked in, the grants still holding at the start (lowest priority, then youngest, first), until what holds
     * and what is booked at the start fit. Answers how many were told.
     */
    private int recall(Reservation r, long now) {
        Map<String, Claim> live = new HashMap<>();
        for (Claim c : store.claims().values(new ClaimFilters.ClaimIn(Set.of(ClaimState.GRANTED)))) {
            live.put(c.id(), c);
        }
        List<String> told = new ArrayList<>();
        for (Place<?> p : places(r)) {
            told.addAll(victims(p, r, live));
        }
        int n = 0;
        for (String id : told) {
            ClaimCommands.Transition t = store.claims().execute(id, new ClaimCommands.NoticePreempt(r.start(), now));
            if (t.ok()) {
                n++;
                LOG.info("preempt notice claim={} tenant={} at={} for reservation={}", id, t.claim().tenant(),
                        r.start(), r.id());
            }
        }
        if (!told.isEmpty()) {
            store.reservations().execute(r.id(), new ReservationCommands.Recalled(told));
        }
        return n + (r.onQuota() ? recallLoans(r, now) : 0);
    }

    /**
     * Recalls, with notice until the start, what the tenant lends of the quota its reservations need at the start:
     * loans still running then, youngest first, until its own quota at the start (less what it offers and what
     * stays lent) covers its bookings then. Answers how many loans were recalled.
     */
    private int recallLoans(Reservation r, long now) {
        TenantState t = store.tenants().get(r.tenant());
        if (t == null) {
            return 0;
        }
        int n = 0;
        for (String kind : r.bundle().amounts().keySet()) {
            List<Loan> lent = new ArrayList<>();
            long stillLent = 0;
            for (Loan l : ledger.exchange().loans(r.tenant(), true)) {
                boolean lentAtStart = l.kind().equals(kind) && l.lender().equals(r.tenant()) && l.endsAt() > r.start()
                        && (l.recallDeadline() == 0 || l.recallDeadline() > r.start());
                if (lentAtStart) {
                    lent.add(l);
                    stillLent += l.amount();
                }
            }
            long shortfall = Timeline.at(Timeline.booked(t.holdings(), kind), r.start())
                    - (t.quota(kind) - t.offered(kind) - stillLent);
            lent.sort(Comparator.comparingLong(Loan::startedAt).reversed().thenComparing(Loan::id));
            for (Loan l : lent) {
                if (shortfall <= 0) {
                    break;
                }
                Result<Loan> recalled = ledger.exchange().recall(l.id(), r.tenant(), Math.max(0, (r.start() - now) / 1000));
                if (recalled.ok()) {
                    shortfall -= l.amount();
                    n++;
                    LOG.info("loan recalled loan={} lender={} for reservation={} at={}", l.id(), r.tenant(), r.id(),
                            r.start());
                }
            }
        }
        return n;
    }

    private static List<String> victims(Place<?> p, Reservation r, Map<String, Claim> live) {
        List<String> out = new ArrayList<>();
        Map<String, Long> deadlines = new HashMap<>();
        // only this reservation's own notices count as ends: another's may never be carried out
        live.values().forEach(c -> deadlines.put(c.id(), r.recalled().contains(c.id())
                ? Math.min(Reservations.deadline(c), r.start()) : Reservations.deadline(c)));
        for (String kind : kindsOf(p, r)) {
            long limit = p instanceof TenantState t ? t.entitlement(kind, false) : p.bookable(kind);
            List<Timeline.Use> uses = Timeline.uses(p.holdings(), kind, deadlines);
            long over = Timeline.at(uses, r.start()) - limit;
            if (over <= 0) {
                continue;
            }
            List<Claim> candidates = new ArrayList<>();
            p.holdings().holders().forEach((id, h) -> {
                Claim c = live.get(id);
                if (c != null && !c.reserved() && deadlines.get(id) > r.start() && Amounts.get(h.amounts(), kind) > 0
                        && !out.contains(id)) {
                    candidates.add(c);
                }
            });
            candidates.sort(Comparator.comparingInt(Claim::priority)
                    .thenComparing(Comparator.comparingLong(Claim::grantedAt).reversed()).thenComparing(Claim::id));
            for (Claim c : candidates) {
                if (over <= 0) {
                    break;
                }
                out.add(c.id());
                deadlines.put(c.id(), r.start());
                over -= Amounts.get(p.holdings().holders().get(c.id()).amounts(), kind);
            }
        }
        return out;
    }

    private static List<String> kindsOf(Place<?> p, Reservation r) {
        return p instanceof LockState ? List.of(LockState.KIND) : new ArrayList<>(r.bundle().amounts().keySet());
    }

    /** Preempts the grants told to make way, now that the window opened; answers how many. */
    private int preemptRecalled(Reservation r, long now) {
        int n = 0;
        for (String id : r.recalled()) {
            Claim c = store.claims().get(id);
            if (c == null || c.state() != ClaimState.GRANTED || c.preemptAt() == 0 || c.preemptAt() > now) {
                continue;
            }
            ClaimCommands.Transition t = store.claims().execute(id, new ClaimCommands.Preempt(Reservations.PREEMPT_REASON, now));
            if (t.ok()) {
                ledger.returnTokens(t.claim());
                n++;
                LOG.info("claim preempted claim={} tenant={} reason={} for reservation={}", id, t.claim().tenant(),
                        Reservations.PREEMPT_REASON, r.id());
            }
        }
        return n;
    }

    /** Opens the window: every copy becomes a granted claim holding what was booked for it. */
    private void activate(Reservation r, long now) {
        store.reservations().execute(r.id(), new ReservationCommands.Move(EnumSet.of(Reservation.State.BOOKED),
                Reservation.State.ACTIVE, now, null));
        finishCopies(store.reservations().get(r.id()), now);
        LOG.info("reservation active id={} tenant={} claims={}", r.id(), r.tenant(), r.copies().keySet());
    }

    /**
     * Grants every copy of an open reservation that has no claim yet: its booked holds become its grant's holds, and its
     * claim is stored granted, in the command running this (idempotent: a copy with a claim is left as it is).
     */
    private void finishCopies(Reservation r, long now) {
        if (r == null || r.state() != Reservation.State.ACTIVE) {
            return;
        }
        for (var e : r.copies().entrySet()) {
            String copy = e.getKey();
            if (store.claims().get(copy) != null) {
                continue;
            }
            String node = e.getValue().isEmpty() ? null : e.getValue();
            boolean held = true;
            if (r.bundle().nodeLocal()) {
                if (r.onQuota()) {
                    held &= activateIn(store.tenants(), r.tenant(), copy, r);
                }
                held &= activateIn(store.nodes(), node, copy, r);
            }
            for (String lock : r.bundle().locks()) {
                held &= activateIn(store.locks(), lock, copy, r);
            }
            Claim c = store.claims().execute(copy, new CreateIfAbsent<>(Claim.fromReservation(copy, r.tenant(),
                    r.bundle(), r.priority(), r.leaseSeconds(), node, now, r.funding(), r.id(), r.end(), held)));
            if (!held) {
                LOG.warn("reservation copy lost its booking id={} copy={}: cancelled", r.id(), copy);
                ledger.returnTokens(c);
            }
        }
    }

    private static <S extends Place<S>> boolean activateIn(Table<S> table, String key, String copy, Reservation r) {
        return Boolean.TRUE.equals(table.execute(key, new Activate<S>(copy)));
    }

    /** Closes the window: copies still granted end now (their leases end by now anyway). */
    private void close(Reservation r, long now) {
        for (String copy : r.copies().keySet()) {
            ClaimCommands.Transition t = store.claims().execute(copy, new ClaimCommands.Expire(now));
            if (t.ok()) {
                ledger.returnTokens(t.claim());
            }
        }
        reservations.withdraw(r);
        store.reservations().execute(r.id(), new ReservationCommands.Move(EnumSet.of(Reservation.State.ACTIVE),
                Reservation.State.ENDED, now, "ENDED"));
        LOG.info("reservation ended id={} tenant={}", r.id(), r.tenant());
    }
}
