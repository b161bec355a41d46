package io.ichiba.ledger.credit;

import io.ichiba.ledger.Drift;
import io.ichiba.ledger.LedgerSettings;
import io.ichiba.ledger.Rejection;
import io.ichiba.ledger.Result;
import io.ichiba.ledger.credit.MoneyCommands.Apply;
import io.ichiba.ledger.credit.MoneyCommands.Move;
import io.ichiba.ledger.credit.MoneyCommands.Settle;
import io.ichiba.ledger.credit.MoneyCommands.Undo;
import io.ichiba.ledger.pool.PlaceCommands.CreateIfAbsent;
import io.ichiba.ledger.store.Operation;
import io.ichiba.ledger.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Credits: accounts, the double-entry journal, and the postings that move credits between accounts.
 *
 * <h2>Posting one entry (spans keys)</h2>
 * <pre>
 *   posting: create PENDING                                      (by entry id: a second post drives the same one)
 *   accounts: apply each leg as pending, debits first            Apply   -- refused? posting REFUSED, undo legs
 *   posting: PENDING -> COMMITTED                                Move    -- the point of no return
 *   journal: write the entry                                     (once, by entry id)
 *   accounts: settle each leg into the balance                   Settle
 *   posting: COMMITTED -> POSTED
 * </pre>
 * Only the caller that created a posting applies its legs; once it is committed (or refused), every step is
 * idempotent by entry id, so any member may drive it to its end. {@link #recover} finishes committed postings
 * and aborts pending ones whose poster died (a leg it applies after that is undone by the next sweep). Balances are a cache of the
 * journal: {@link #audit} recomputes each from the journal and compares.
 */
public final class Accounts {
    private static final Logger LOG = LoggerFactory.getLogger(Accounts.class);
    /** The largest amount one request may move or mint: 10^15 minor units. */
    public static final long MAX_AMOUNT = 1_000_000_000_000_000L;

    private final Store store;
    private final Clock clock;
    private final LedgerSettings settings;
    /** What these operations run against on the engine's member (each as one change of its store), or null alone. */
    private final Host host;
    private volatile boolean systemOpen;

    /** Creates the accounts over {@code store}, alone: each operation runs here, table call by table call. */
    public Accounts(Store store, Clock clock, LedgerSettings settings) {
        this(store, clock, settings, null);
    }

    /**
     * What an operation of the accounts runs against on the engine's member: the context bound to the store there
     * (the ledger), which has the accounts.
     */
    public interface Host {
        /** The accounts of the member the operation runs on. */
        Accounts accounts();
    }

    /** Creates accounts whose every operation runs as one change of {@code store}, against {@code host}'s accounts. */
    public Accounts(Store store, Clock clock, LedgerSettings settings, Host host) {
        this.store = store;
        this.clock = clock;
        this.settings = settings;
        this.host = host;
    }

    private <R> R atomically(Operation<Host, R> op, java.util.function.Supplier<R> alone) {
        return host == null ? alone.get() : store.atomically(host, op);
    }

    /** Opens the house, escrow and issue accounts if they do not exist. */
    public void openSystemAccounts() {
        long now = clock.millis();
        store.atomically(() -> {
            store.accounts().execute(Account.HOUSE, new CreateIfAbsent<>(Account.open(Account.HOUSE, Account.Type.HOUSE,
                    now)));
            store.accounts().execute(Account.ESCROW, new CreateIfAbsent<>(Account.open(Account.ESCROW,
                    Account.Type.ESCROW, now)));
            return store.accounts().execute(Account.ISSUE, new CreateIfAbsent<>(Account.open(Account.ISSUE,
                    Account.Type.ISSUE, now)));
        });
        systemOpen = true;
    }

    /** Opens the account of {@code tenant} if it has none; answers the account. */
    public Account open(String tenant) {
        String id = Account.ofTenant(tenant);
        return store.accounts().execute(id, new CreateIfAbsent<>(Account.open(id, Account.Type.TENANT, clock.millis())));
    }

    /** Returns the account, or {@code null}. */
    public Account account(String id) {
        return store.accounts().get(id);
    }

    /** Returns every account, by id. */
    public Map<String, Account> accounts() {
        return store.accounts().entries();
    }

    // ---------------------------------------------------------------- operations

    /** Mints {@code amount} credits for {@code tenant}: from the issue account to the tenant's. */
    public Result<JournalEntry> mint(String entryId, String tenant, long amount, String memo, String key) {
        return atomically(l -> l.accounts().mintNow(entryId, tenant, amount, memo, key),
                () -> mintNow(entryId, tenant, amount, memo, key));
    }

    private Result<JournalEntry> mintNow(String entryId, String tenant, long amount, String memo, String key) {
        if (amount < 1 || amount > MAX_AMOUNT) {
            return Result.rejected(Rejection.Code.INVALID, "amount must be between 1 and " + MAX_AMOUNT + ", was " + amount);
        }
        if (store.tenants().get(tenant) == null) {
            return Result.rejected(Rejection.Code.NOT_FOUND, "no tenant " + tenant);
        }
        if (store.accounts().get(Account.ofTenant(tenant)) == null) {
            open(tenant);
        }
        if (!systemOpen) {
            openSystemAccounts();
        }
        String text = memo == null || memo.isBlank() ? "credits minted by the operator" : memo;
        return postNow(JournalEntry.transfer(entryId, clock.millis(), JournalEntry.Reason.MINT, text, key, null,
                Account.ISSUE, Account.ofTenant(tenant), amount));
    }

    /** Sets the credit limit of {@code tenant}: how far below zero its balance may go. */
    public Result<Account> setCreditLimit(String tenant, long limit) {
        return atomically(l -> l.accounts().setCreditLimitNow(tenant, limit), () -> setCreditLimitNow(tenant, limit));
    }

    private Result<Account> setCreditLimitNow(String tenant, long limit) {
        if (limit < 0 || limit > MAX_AMOUNT) {
            return Result.rejected(Rejection.Code.INVALID, "creditLimit must be between 0 and " + MAX_AMOUNT
                    + ", was " + limit);
        }
        if (store.tenants().get(tenant) == null) {
            return Result.rejected(Rejection.Code.NOT_FOUND, "no tenant " + tenant);
        }
        open(tenant);
        return store.accounts().execute(Account.ofTenant(tenant), new MoneyCommands.SetCreditLimit(limit));
    }

    /**
     * Posts {@code entry}: every leg takes effect, or none does (a debit below its account's floor refuses the
     * whole entry with {@code INSUFFICIENT_CREDIT}). Posting an entry id again answers the first outcome; an id
     * that was posted with other legs is a conflict.
     */
    public Result<JournalEntry> post(JournalEntry entry) {
        return atomically(l -> l.accounts().postNow(entry), () -> postNow(entry));
    }

    private Result<JournalEntry> postNow(JournalEntry entry) {
        JournalEntry written = store.journal().get(entry.id());
        if (written != null) {
            return sameMovement(written, entry) ? Result.ok(written) : conflict(entry);
        }
        for (JournalEntry.Leg leg : entry.legs()) {
            if (store.accounts().get(leg.account()) == null) {
                return Result.rejected(Rejection.Code.NOT_FOUND, "no account " + leg.account());
            }
        }
        String token = java.util.UUID.randomUUID().toString();
        Posting p = store.postings().execute(entry.id(),
                new CreateIfAbsent<>(Posting.pending(entry, clock.millis(), token)));
        if (!sameMovement(p.entry(), entry)) {
            return conflict(entry);
        }
        if (p.state() == Posting.State.PENDING && !token.equals(p.driver())) {
            // another caller is applying its legs: only it may, or a leg could be applied again after it settled
            return Result.rejected(Rejection.Code.IN_PROGRESS, "entry " + entry.id()
                    + " is being posted by another request; ask again in a moment");
        }
        return drive(p);
    }

    private static Result<JournalEntry> conflict(JournalEntry entry) {
        return Result.rejected(Rejection.Code.ALREADY_EXISTS, "entry " + entry.id() + " was posted with other legs");
    }

    private static boolean sameMovement(JournalEntry a, JournalEntry b) {
        return a.reason() == b.reason() && a.legs().equals(b.legs()) && Objects.equals(a.ref(), b.ref());
    }

    /** Drives a posting from wherever it is to its end; answers the entry, or why nothing moved. */
    private Result<JournalEntry> drive(Posting p) {
        switch (p.state()) {
            case POSTED:
                return Result.ok(p.entry());
            case COMMITTED:
                return complete(p);
            case REFUSED:
            case ABORTED:
                undoLegs(p.entry());
                return Result.rejected(p.refusal());
            default:
                break;
        }
        JournalEntry e = p.entry();
        for (JournalEntry.Leg leg : e.debitsFirst()) {
            Rejection r = store.accounts().execute(leg.account(), new Apply(e.id(), leg.amount()));
            if (r != null) {
                MoneyCommands.Moved m = store.postings().execute(e.id(),
                        new Move(Set.of(Posting.State.PENDING), Posting.State.REFUSED, r, clock.millis()));
                return drive(m.posting());
            }
        }
        MoneyCommands.Moved m = store.postings().execute(e.id(),
                new Move(Set.of(Posting.State.PENDING), Posting.State.COMMITTED, null, clock.millis()));
        return drive(m.posting());
    }

    private Result<JournalEntry> complete(Posting p) {
        JournalEntry e = p.entry();
        store.journal().execute(e.id(), new CreateIfAbsent<>(e));
        for (JournalEntry.Leg leg : e.legs()) {
            store.accounts().execute(leg.account(), new Settle(e.id()));
        }
        store.postings().execute(e.id(),
                new Move(Set.of(Posting.State.COMMITTED), Posting.State.POSTED, null, clock.millis()));
        return Result.ok(e);
    }

    private void undoLegs(JournalEntry e) {
        for (JournalEntry.Leg leg : e.legs()) {
            store.accounts().execute(leg.account(), new Undo(e.id()));
        }
    }

    // ---------------------------------------------------------------- recovery

    /**
     * Finishes what dead posters left, on this member's keys: committed postings are completed, pending ones
     * older than the stale bound are aborted, and legs pending in accounts follow their posting's outcome.
     * Final postings are purged after the retention time. Returns how many postings were finished or aborted.
     */
    public int recover() {
        long now = clock.millis();
        long staleBefore = now - settings.staleGrantingMillis();
        int done = 0;
        for (String id : store.postings().localKeys(new CreditFilters.PostingsInFlight(staleBefore))) {
            Posting p = store.postings().get(id);
            if (p == null) {
                continue;
            }
            p = abortIfPending(p, now);
            LOG.info("finishing an abandoned posting entry={} state={}", id, p.state());
            drive(p);
            done++;
        }
        for (String accountId : store.accounts().localKeys(new CreditFilters.WithPendingLegs())) {
            Account a = store.accounts().get(accountId);
            if (a == null) {
                continue;
            }
            for (String entryId : a.pending().keySet()) {
                Posting p = store.postings().get(entryId);
                if (p == null) {
                    // purged long ago: the journal says whether it took effect
                    store.accounts().execute(accountId, store.journal().get(entryId) != null
                            ? new Settle(entryId) : new Undo(entryId));
                } else if (p.state().isFinal() || p.updatedAt() < staleBefore) {
                    drive(abortIfPending(p, now));
                }
            }
        }
        long cutoff = now - settings.retentionMillis();
        for (String id : store.postings().localKeys(new CreditFilters.PurgeablePostings(cutoff))) {
            store.postings().execute(id, new MoneyCommands.PurgePosting(cutoff));
        }
        return done;
    }

    /**
     * Aborts a posting still PENDING (its poster is presumed dead): the move is atomic on the posting's key, so if
     * the poster committed first, the posting is answered COMMITTED and completed instead.
     */
    private Posting abortIfPending(Posting p, long now) {
        if (p.state() != Posting.State.PENDING) {
            return p;
        }
        MoneyCommands.Moved m = store.postings().execute(p.id(), new Move(Set.of(Posting.State.PENDING),
                Posting.State.ABORTED, Rejection.of(Rejection.Code.WRONG_STATE,
                "the posting was abandoned by its poster and undone"), now));
        return m.posting() == null ? p : m.posting();
    }

    // ---------------------------------------------------------------- statement

    /**
     * One line of a statement.
     *
     * @param entryId the journal entry
     * @param time    epoch millis
     * @param reason  why credits moved
     * @param memo    what for
     * @param ref     the claim, order or loan concerned, or {@code null}
     * @param amount  credit (positive) or debit (negative) to this account
     * @param balance the balance after this line, counting lines in (time, id) order
     */
    public record Line(String entryId, long time, JournalEntry.Reason reason, String memo, String ref, long amount,
                       long balance) {
    }

    /**
     * A page of a statement.
     *
     * @param account the account
     * @param lines   the lines, oldest first
     * @param next    the cursor of the next page, or {@code null} on the last page
     */
    public record Statement(String account, List<Line> lines, String next) {
    }

    /**
     * Returns the journal lines of {@code account} with {@code from <= time < to}, oldest first, at most
     * {@code limit} of them, after the line named by {@code cursor} (a previous page's {@code next}).
     */
    public Statement statement(String account, long from, long to, String cursor, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1");
        }
        List<JournalEntry> entries = new ArrayList<>(store.journal().values(new CreditFilters.Touching(account)));
        entries.sort(Comparator.comparingLong(JournalEntry::time).thenComparing(JournalEntry::id));
        List<Line> lines = new ArrayList<>();
        long balance = 0;
        String next = null;
        for (JournalEntry e : entries) {
            long amount = e.amountFor(account);
            balance = Math.addExact(balance, amount);
            if (e.time() < from || e.time() >= to || (cursor != null && cursorKey(e).compareTo(cursor) <= 0)) {
                continue;
            }
            if (lines.size() == limit) {
                next = cursorKey(lines.get(lines.size() - 1));
                break;
            }
            lines.add(new Line(e.id(), e.time(), e.reason(), e.memo(), e.ref(), amount, balance));
        }
        return new Statement(account, lines, next);
    }

    /** A cursor that sorts as (time, id) does: the time zero-padded to 19 digits, then the id. */
    private static String cursorKey(JournalEntry e) {
        return String.format("%019d~%s", e.time(), e.id());
    }

    private static String cursorKey(Line l) {
        return String.format("%019d~%s", l.time(), l.entryId());
    }

    // ---------------------------------------------------------------- audit

    /**
     * What the credit audit found.
     *
     * @param drift    every discrepancy
     * @param minted   credits minted, summed from the journal
     * @param total    the settled balances of every account but the issue account, house and escrow included
     * @param inFlight legs applied but not yet settled (postings under way): the total is compared with what
     *                 was minted only when none are
     */
    public record Audit(List<Drift> drift, long minted, long total, int inFlight) {
    }

    /**
     * Checks law 4: each account's balance is recomputed from the journal (the entries it has settled) and
     * compared; every entry's legs sum to zero; no account is below its floor; and, when no posting is under
     * way, the balances of every account but the issue account add up to what was minted.
     *
     * <p>A first pass reads every account, then the journal. Postings run meanwhile, so an account whose balance
     * differs from its journal is checked again on its own: read the account, read its journal entries, read the
     * account again; the comparison counts only when the two reads of the account agree (no posting touched it in
     * between), and an account that never reads still is counted in flight, not drift. Entries are written to the
     * journal before their legs settle, so the entries an account has settled are all in a journal read after it,
     * and those still pending in it are left out. The total is compared only on a pass where no leg was pending
     * and a second read of every account found them unchanged.
     */
    public Audit audit() {
        Map<String, Account> accounts = store.accounts().entries();
        Map<String, JournalEntry> journal = store.journal().entries();
        List<Drift> drift = new ArrayList<>();
        java.math.BigInteger minted = java.math.BigInteger.ZERO;
        for (JournalEntry e : journal.values()) {
            long sum = 0;
            for (JournalEntry.Leg leg : e.legs()) {
                sum += leg.amount(); // a constructed entry cannot overflow; a changed one shows as non-zero
            }
            if (sum != 0) {
                drift.add(new Drift("entry:" + e.id(), sum, 0, "the legs do not sum to zero"));
            }
            if (e.reason() == JournalEntry.Reason.MINT) {
                minted = minted.add(java.math.BigInteger.valueOf(-e.amountFor(Account.ISSUE)));
            }
        }
        java.math.BigInteger total = java.math.BigInteger.ZERO;
        int inFlight = 0;
        for (Account a : accounts.values()) {
            Long mismatch = settledMismatch(a, journal.values());
            // a real drift persists; one a concurrent posting caused does not survive three still re-reads
            for (int confirm = 0; mismatch != null && confirm < 3; confirm++) {
                Account[] still = new Account[1];
                mismatch = recheck(a.id(), still);
                if (still[0] == null) {
                    inFlight++;
                    break;
                } else if (mismatch != null && confirm == 2) {
                    drift.add(new Drift("account:" + a.id(), still[0].balance(), mismatch,
                            "the balance differs from its journal entries"));
                }
            }
            if (a.balance() < a.floor() || a.available() < a.floor()) {
                drift.add(new Drift("account:" + a.id(), a.available(), a.floor(),
                        "below its credit limit"));
            }
            inFlight += a.pending().size();
            if (a.type() != Account.Type.ISSUE) {
                total = total.add(java.math.BigInteger.valueOf(a.balance()));
            }
        }
        if (inFlight == 0 && !total.equals(minted) && accounts.equals(store.accounts().entries())) {
            drift.add(new Drift("credits", clamp(total), clamp(minted),
                    "the balances do not add up to what was minted"));
        }
        return new Audit(drift, clamp(minted), clamp(total), inFlight);
    }

    private static long clamp(java.math.BigInteger v) {
        return v.max(java.math.BigInteger.valueOf(Long.MIN_VALUE)).min(java.math.BigInteger.valueOf(Long.MAX_VALUE))
                .longValue();
    }

    /** What {@code a}'s settled journal entries add up to, if that differs from its balance; else {@code null}. */
    private static Long settledMismatch(Account a, java.util.Collection<JournalEntry> entries) {
        java.math.BigInteger expected = java.math.BigInteger.ZERO;
        for (JournalEntry e : entries) {
            if (!a.pending().containsKey(e.id())) {
                long amount = e.amountFor(a.id());
                if (amount != 0) {
                    expected = expected.add(java.math.BigInteger.valueOf(amount));
                }
            }
        }
        return expected.equals(java.math.BigInteger.valueOf(a.balance())) ? null : clamp(expected);
    }

    /**
     * Compares one account with its journal entries on reads that no posting interleaved with: answers the
     * mismatch (or null), with the account read in {@code still[0]}; {@code still[0]} stays null if the account
     * never read the same twice around its journal read.
     */
    private Long recheck(String accountId, Account[] still) {
        for (int attempt = 0; attempt < 5; attempt++) {
            Account before = store.accounts().get(accountId);
            java.util.Collection<JournalEntry> entries = store.journal().values(new CreditFilters.Touching(accountId));
            Account after = store.accounts().get(accountId);
            if (before != null && before.equals(after)) {
                still[0] = before;
                return settledMismatch(before, entries);
            }
        }
        return null;
    }
}
