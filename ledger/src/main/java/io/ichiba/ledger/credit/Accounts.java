package io.ichiba.ledger.credit;

import io.ichiba.ledger.Drift;
import io.ichiba.ledger.Rejection;
import io.ichiba.ledger.Result;
import io.ichiba.ledger.credit.MoneyCommands.Apply;
import io.ichiba.ledger.pool.PlaceCommands.CreateIfAbsent;
import io.ichiba.ledger.store.Operation;
import io.ichiba.ledger.store.Store;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Credits: accounts and the double-entry journal.
 *
 * <p>Every operation that moves credits runs as one change of the engine's store ({@link Store#atomically}): an
 * entry is checked against every account it touches (a debit may not take a balance below its floor), then written
 * to the journal and applied to each balance, in the same change. Nothing is ever half posted, so there is nothing to
 * recover: an entry id already in the journal answers that entry again (or a conflict, if its legs differ), and a
 * refused entry leaves no trace. Balances are a cache of the journal: {@link #audit} recomputes each from the
 * journal and compares.
 */
public final class Accounts {
    /** The largest amount one request may move or mint: 10^15 minor units. */
    public static final long MAX_AMOUNT = 1_000_000_000_000_000L;

    private final Store store;
    private final Clock clock;
    /** What these operations run against on the engine's member, each as one change of its store. */
    private final Host host;
    private volatile boolean systemOpen;

    /**
     * What an operation of the accounts runs against on the engine's member: the context bound to the store there
     * (the ledger), which has the accounts.
     */
    public interface Host {
        /** The accounts of the member the operation runs on. */
        Accounts accounts();
    }

    /** Creates accounts whose every operation runs as one change of {@code store}, against {@code host}'s accounts. */
    public Accounts(Store store, Clock clock, Host host) {
        this.store = store;
        this.clock = clock;
        this.host = Objects.requireNonNull(host, "host");
    }

    private <R> R atomically(Operation<Host, R> op) {
        return store.atomically(host, op);
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
        return atomically(l -> l.accounts().mintNow(entryId, tenant, amount, memo, key));
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
        return atomically(l -> l.accounts().setCreditLimitNow(tenant, limit));
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
     * whole entry with {@code INSUFFICIENT_CREDIT}, and nothing is recorded). Posting an entry id already in the
     * journal answers that entry; an id that was posted with other legs is a conflict.
     */
    public Result<JournalEntry> post(JournalEntry entry) {
        return atomically(l -> l.accounts().postNow(entry));
    }

    private Result<JournalEntry> postNow(JournalEntry entry) {
        JournalEntry written = store.journal().get(entry.id());
        if (written != null) {
            return sameMovement(written, entry) ? Result.ok(written) : conflict(entry);
        }
        List<JournalEntry.Leg> legs = entry.debitsFirst();
        for (JournalEntry.Leg leg : legs) {
            Account a = store.accounts().get(leg.account());
            if (a == null) {
                return Result.rejected(Rejection.Code.NOT_FOUND, "no account " + leg.account());
            }
            Rejection r = MoneyCommands.refusal(a, leg.amount());
            if (r != null) {
                return Result.rejected(r);
            }
        }
        store.journal().execute(entry.id(), new CreateIfAbsent<>(entry));
        for (JournalEntry.Leg leg : legs) {
            Rejection r = store.accounts().execute(leg.account(), new Apply(leg.amount()));
            if (r != null) {
                throw new IllegalStateException("entry " + entry.id() + " was checked, then refused: " + r.detail());
            }
        }
        return Result.ok(entry);
    }

    private static Result<JournalEntry> conflict(JournalEntry entry) {
        return Result.rejected(Rejection.Code.ALREADY_EXISTS, "entry " + entry.id() + " was posted with other legs");
    }

    private static boolean sameMovement(JournalEntry a, JournalEntry b) {
        return a.reason() == b.reason() && a.legs().equals(b.legs()) && Objects.equals(a.ref(), b.ref());
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
     * @param total    the balances of every account but the issue account, house and escrow included
     * @param inFlight accounts that postings kept changing while the audit read them, so that it could not compare
     *                 them with the journal (the next audit will): the total is compared with what was minted only
     *                 when there are none
     */
    public record Audit(List<Drift> drift, long minted, long total, int inFlight) {
    }

    /**
     * Checks law 4: each account's balance is recomputed from the journal and compared; every entry's legs sum to
     * zero; no account is below its floor; and the balances of every account but the issue account add up to what
     * was minted.
     *
     * <p>The audit reads from any member, table by table, while postings go on: a first pass reads every account,
     * then the journal, so an account whose balance differs from its journal is checked again on its own: read the
     * account, read its journal entries, read the account again; the comparison counts only when the two reads of
     * the account agree (no posting touched it in between: an entry and its legs are written in one change), and an
     * account that never reads still is counted in flight, not drift. The total is compared only on a pass where
     * every account was compared and a second read of every account found them unchanged.
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
            Long mismatch = mismatch(a, journal.values());
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
            if (a.balance() < a.floor()) {
                drift.add(new Drift("account:" + a.id(), a.balance(), a.floor(), "below its credit limit"));
            }
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

    /** What {@code a}'s journal entries add up to, if that differs from its balance; else {@code null}. */
    private static Long mismatch(Account a, java.util.Collection<JournalEntry> entries) {
        java.math.BigInteger expected = java.math.BigInteger.ZERO;
        for (JournalEntry e : entries) {
            long amount = e.amountFor(a.id());
            if (amount != 0) {
                expected = expected.add(java.math.BigInteger.valueOf(amount));
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
                return mismatch(before, entries);
            }
        }
        return null;
    }
}
