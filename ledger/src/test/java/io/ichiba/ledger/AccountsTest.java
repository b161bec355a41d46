package io.ichiba.ledger;

import io.ichiba.ledger.Rejection.Code;
import io.ichiba.ledger.credit.Account;
import io.ichiba.ledger.credit.Accounts;
import io.ichiba.ledger.credit.Accounts.Line;
import io.ichiba.ledger.credit.Accounts.Statement;
import io.ichiba.ledger.credit.JournalEntry;
import io.ichiba.ledger.credit.JournalEntry.Leg;
import io.ichiba.ledger.credit.JournalEntry.Reason;
import io.ichiba.ledger.store.Store;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

/**
 * Credits on the engine with a fake clock: minting, transfers against floors and credit limits, idempotent posting
 * by entry id, statements and the credit audit (law 4).
 *
 * <p>After every test that does not tamper with the store on purpose, the audit must be clean, nothing may be in
 * flight, the balances must add up to what was minted, and every interception must have fired.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.ichiba.ledger.engine.Engines.ClosedAfterEach.class)
class AccountsTest {
    /** The defaults: ended claims are kept for an hour (the journal, for ever). */
    static final LedgerSettings SETTINGS = LedgerSettings.defaults();
    static final String A = Account.ofTenant("a");
    static final String B = Account.ofTenant("b");
    static final String C = Account.ofTenant("c");

    Store store;
    MutableClock clock;
    Ledger ledger;
    Accounts accounts;
    /** Set by a test that damages the store on purpose: the final checks are skipped. */
    boolean tampered;

    @BeforeEach
    void setUp() {
        store = io.ichiba.ledger.engine.Engines.started(new io.ichiba.ledger.journal.InMemoryJournal());
        clock = new MutableClock();
        ledger = new Ledger(store, clock, SETTINGS);
        accounts = ledger.accounts();
        accounts.openSystemAccounts();
        for (String t : List.of("a", "b", "c")) {
            assertThat(ledger.createTenant(t, Map.of()).ok()).isTrue();
        }
    }

    @AfterEach
    void creditsAddUp() {
        if (tampered) {
            return;
        }
        assertSettledAndClean();
    }

    // ------------------------------------------------------------------------------------------------ helpers

    void assertSettledAndClean() {
        Accounts.Audit audit = accounts.audit();
        assertThat(audit.drift()).as("credit audit").isEmpty();
        assertThat(audit.inFlight()).as("legs in flight").isZero();
        assertThat(audit.total()).as("law 4: balances add up to what was minted").isEqualTo(audit.minted());
        for (Account a : accounts.accounts().values()) {
            assertThat(a.balance()).as("%s above its floor", a.id()).isGreaterThanOrEqualTo(a.floor());
        }
    }

    void assertAuditHasNoDrift() {
        assertThat(accounts.audit().drift()).as("credit audit").isEmpty();
    }

    long balance(String id) {
        return accounts.account(id).balance();
    }

    JournalEntry mint(String id, String tenant, long amount) {
        Result<JournalEntry> r = accounts.mint(id, tenant, amount, null, null);
        assertThat(r.rejection()).as("mint %s", id).isNull();
        return r.value();
    }

    JournalEntry transfer(String id, String from, String to, long amount) {
        return JournalEntry.transfer(id, clock.millis(), Reason.PURCHASE, "test", null, null, from, to, amount);
    }

    JournalEntry post(String id, String from, String to, long amount) {
        Result<JournalEntry> r = accounts.post(transfer(id, from, to, amount));
        assertThat(r.rejection()).as("post %s", id).isNull();
        return r.value();
    }

    /** Everything a rejected request must leave as it was. */
    record Money(Map<String, Account> accounts, Map<String, JournalEntry> journal) {
    }

    Money money() {
        return new Money(store.accounts().entries(), store.journal().entries());
    }

    /** Mints {@code total} for {@code tenant} in requests of at most {@link Accounts#MAX_AMOUNT}. */
    void mintLots(String tenant, long total) {
        long left = total;
        for (int i = 0; left > 0; i++) {
            long amount = Math.min(left, Accounts.MAX_AMOUNT);
            mint("lots-" + tenant + "-" + i, tenant, amount);
            left -= amount;
        }
    }

    /** Overwrites an account, bypassing the ledger: what a bug or a bad restore would do. */
    void tamper(String id, long newBalance) {
        tampered = true;
        store.accounts().execute(id, (Command<Account, Void>) a -> Command.Outcome.write(
                new Account(a.id(), a.type(), newBalance, a.creditLimit(), a.openedAt()), null));
    }

    // ------------------------------------------------------------------------------------------------ minting

    @Nested
    class Minting {
        @Test
        void mintCreditsTheTenantAndDebitsTheIssueAccount() {
            JournalEntry e = mint("m1", "a", 500);

            assertThat(e.reason()).isEqualTo(Reason.MINT);
            assertThat(e.legs()).containsExactlyInAnyOrder(new Leg(Account.ISSUE, -500), new Leg(A, 500));
            assertThat(balance(A)).isEqualTo(500);
            assertThat(balance(Account.ISSUE)).isEqualTo(-500);
            assertThat(balance(B)).isZero();
            assertThat(balance(Account.HOUSE)).isZero();
            assertThat(balance(Account.ESCROW)).isZero();
            assertThat(store.journal().get("m1")).isEqualTo(e);
            Accounts.Audit audit = accounts.audit();
            assertThat(audit.minted()).isEqualTo(500);
            assertThat(audit.total()).isEqualTo(500);
        }

        @Test
        void theLargestAmountMayBeMinted() {
            mint("m1", "a", Accounts.MAX_AMOUNT);
            assertThat(balance(A)).isEqualTo(Accounts.MAX_AMOUNT);
        }

        @ParameterizedTest
        @ValueSource(longs = {0, -1, -500, Long.MIN_VALUE, Accounts.MAX_AMOUNT + 1, Long.MAX_VALUE})
        void anAmountOutOfRangeIsRejectedAndChangesNothing(long amount) {
            mint("m0", "a", 100);
            Money before = money();

            Result<JournalEntry> r = accounts.mint("m1", "a", amount, null, null);

            assertThat(r.rejection().code()).isEqualTo(Code.INVALID);
            assertThat(money()).isEqualTo(before);
        }

        @Test
        void mintingForAnUnknownTenantIsRejectedAndChangesNothing() {
            Money before = money();

            Result<JournalEntry> r = accounts.mint("m1", "ghost", 100, null, null);

            assertThat(r.rejection().code()).isEqualTo(Code.NOT_FOUND);
            assertThat(money()).isEqualTo(before);
            assertThat(accounts.account(Account.ofTenant("ghost"))).isNull();
            assertThat(store.journal().get("m1")).isNull();
        }

        @Test
        void mintingTheSameEntryIdTwiceMintsOnce() {
            mint("m1", "a", 100);
            Result<JournalEntry> again = accounts.mint("m1", "a", 100, "a retry", null);

            assertThat(again.ok()).isTrue();
            assertThat(balance(A)).isEqualTo(100);
            assertThat(accounts.audit().minted()).isEqualTo(100);

            Result<JournalEntry> other = accounts.mint("m1", "a", 101, null, null);
            assertThat(other.rejection().code()).isEqualTo(Code.ALREADY_EXISTS);
            assertThat(balance(A)).isEqualTo(100);
        }
    }

    // ------------------------------------------------------------------------------------------------ transfers

    @Nested
    class Transfers {
        @Test
        void aTransferMovesCreditsBetweenAccounts() {
            mint("m1", "a", 100);
            post("t1", A, Account.HOUSE, 60);
            post("t2", Account.HOUSE, Account.ESCROW, 15);

            assertThat(balance(A)).isEqualTo(40);
            assertThat(balance(Account.HOUSE)).isEqualTo(45);
            assertThat(balance(Account.ESCROW)).isEqualTo(15);
        }

        @Test
        void aTransferBelowTheFloorIsRefusedAndChangesNoAccount() {
            mint("m1", "a", 100);
            Money before = money();

            Result<JournalEntry> r = accounts.post(transfer("t1", A, B, 101));

            assertThat(r.rejection().code()).isEqualTo(Code.INSUFFICIENT_CREDIT);
            assertThat(money()).as("neither leg moved").isEqualTo(before);
            assertThat(store.journal().get("t1")).as("nothing recorded").isNull();

            post("t2", A, B, 100);
            assertThat(balance(A)).isZero();
            assertThat(balance(B)).isEqualTo(100);
        }

        @Test
        void aSecondDebitRefusedUndoesTheFirstDebitAlreadyApplied() {
            mint("m1", "a", 100);
            mint("m2", "b", 100);
            Money before = money();
            // a can pay its part, b cannot: the whole entry is refused
            JournalEntry e = new JournalEntry("t1", clock.millis(), Reason.PURCHASE, "two payers", null, null,
                    List.of(new Leg(A, -50), new Leg(B, -200), new Leg(Account.HOUSE, 250)));

            Result<JournalEntry> r = accounts.post(e);

            assertThat(r.rejection().code()).isEqualTo(Code.INSUFFICIENT_CREDIT);
            assertThat(money()).as("no leg moved").isEqualTo(before);
        }

        @Test
        void houseAndEscrowHaveNoCredit() {
            Result<JournalEntry> r = accounts.post(transfer("t1", Account.HOUSE, A, 1));
            assertThat(r.rejection().code()).isEqualTo(Code.INSUFFICIENT_CREDIT);
            r = accounts.post(transfer("t2", Account.ESCROW, A, 1));
            assertThat(r.rejection().code()).isEqualTo(Code.INSUFFICIENT_CREDIT);
            assertThat(balance(A)).isZero();
        }

        @Test
        void aLegOnAnUnknownAccountIsRejectedBeforeAnythingMoves() {
            mint("m1", "a", 100);
            Money before = money();

            Result<JournalEntry> r = accounts.post(transfer("t1", A, Account.ofTenant("ghost"), 10));

            assertThat(r.rejection().code()).isEqualTo(Code.NOT_FOUND);
            assertThat(money()).isEqualTo(before);
            assertThat(store.journal().get("t1")).isNull();
        }

        @Test
        void withACreditLimitTheBalanceGoesDownToMinusTheLimitExactly() {
            assertThat(accounts.setCreditLimit("a", 300).ok()).isTrue();
            mint("m1", "a", 50);

            post("t1", A, Account.HOUSE, 349);
            Money before = money();
            Result<JournalEntry> oneMore = accounts.post(transfer("t2", A, Account.HOUSE, 2));
            assertThat(oneMore.rejection().code()).isEqualTo(Code.INSUFFICIENT_CREDIT);
            assertThat(money()).isEqualTo(before);

            post("t3", A, Account.HOUSE, 1);
            assertThat(balance(A)).isEqualTo(-300);
            Result<JournalEntry> beyond = accounts.post(transfer("t4", A, Account.HOUSE, 1));
            assertThat(beyond.rejection().code()).isEqualTo(Code.INSUFFICIENT_CREDIT);
            assertThat(balance(A)).isEqualTo(-300);
            assertThat(balance(Account.HOUSE)).isEqualTo(350);
        }

        @Test
        void aCreditLimitBelowTheCurrentDebtIsRefused() {
            assertThat(accounts.setCreditLimit("a", 300).ok()).isTrue();
            post("t1", A, B, 300);

            Result<Account> lower = accounts.setCreditLimit("a", 299);
            assertThat(lower.rejection().code()).isEqualTo(Code.INSUFFICIENT_CREDIT);
            assertThat(accounts.account(A).creditLimit()).isEqualTo(300);

            assertThat(accounts.setCreditLimit("a", 300).ok()).isTrue();
            Result<Account> higher = accounts.setCreditLimit("a", 500);
            assertThat(higher.ok()).isTrue();
            assertThat(higher.value().creditLimit()).isEqualTo(500);
            assertThat(accounts.account(A).floor()).isEqualTo(-500);

            post("t2", B, A, 300);
            assertThat(accounts.setCreditLimit("a", 0).ok()).as("no debt left: no credit needed").isTrue();
        }

        @Test
        void aCreditLimitOutOfRangeOrForAnUnknownTenantIsRejected() {
            assertThat(accounts.setCreditLimit("a", -1).rejection().code()).isEqualTo(Code.INVALID);
            assertThat(accounts.setCreditLimit("a", Accounts.MAX_AMOUNT + 1).rejection().code())
                    .isEqualTo(Code.INVALID);
            assertThat(accounts.setCreditLimit("ghost", 10).rejection().code()).isEqualTo(Code.NOT_FOUND);
            assertThat(accounts.account(A).creditLimit()).isZero();
            assertThat(accounts.setCreditLimit("a", Accounts.MAX_AMOUNT).ok()).isTrue();
        }

        @Test
        void theIssueAccountGoesAsLowAsTheSupplyLimit() {
            Account issue = accounts.account(Account.ISSUE);
            assertThat(issue.floor()).isEqualTo(-Account.MAX_SUPPLY);
            mint("m1", "a", Accounts.MAX_AMOUNT);
            mint("m2", "b", Accounts.MAX_AMOUNT);
            assertThat(balance(Account.ISSUE)).isEqualTo(-2 * Accounts.MAX_AMOUNT);
        }

        @Test
        void postingTheSameEntryTwiceMovesCreditsOnce() {
            mint("m1", "a", 100);
            JournalEntry first = post("t1", A, B, 40);
            clock.advanceMillis(5_000);
            JournalEntry retry = JournalEntry.transfer("t1", clock.millis(), Reason.PURCHASE, "a retry, later",
                    null, null, A, B, 40);

            Result<JournalEntry> r = accounts.post(retry);

            assertThat(r.ok()).isTrue();
            assertThat(r.value()).as("the entry as first written").isEqualTo(first);
            assertThat(balance(A)).isEqualTo(60);
            assertThat(balance(B)).isEqualTo(40);
            assertThat(store.journal().entries()).hasSize(2);
        }

        @Test
        void theSameEntryIdWithOtherLegsIsAConflict() {
            mint("m1", "a", 100);
            post("t1", A, B, 40);
            Money before = money();

            assertThat(accounts.post(transfer("t1", A, B, 41)).rejection().code()).isEqualTo(Code.ALREADY_EXISTS);
            assertThat(accounts.post(transfer("t1", A, C, 40)).rejection().code()).isEqualTo(Code.ALREADY_EXISTS);
            assertThat(accounts.post(JournalEntry.transfer("t1", clock.millis(), Reason.COMPENSATION, "x", null,
                    null, A, B, 40)).rejection().code()).isEqualTo(Code.ALREADY_EXISTS);
            assertThat(money()).isEqualTo(before);
        }

        @Test
        void aRefusedEntryLeavesNoTraceAndItsIdMayBePostedOnceItCanBePaid() {
            Money before = money();
            Result<JournalEntry> r = accounts.post(transfer("t1", A, B, 10));
            assertThat(r.rejection().code()).isEqualTo(Code.INSUFFICIENT_CREDIT);
            assertThat(money()).as("nothing recorded").isEqualTo(before);
            mint("m1", "a", 100);

            assertThat(accounts.post(transfer("t1", A, B, 10)).ok()).as("a can pay now").isTrue();
            assertThat(accounts.post(transfer("t1", A, B, 11)).rejection().code()).isEqualTo(Code.ALREADY_EXISTS);
            assertThat(balance(A)).isEqualTo(90);
        }

        @Test
        void anEntryIdPostedLongAgoIsNotPostedAgainAfterThePurges() {
            mint("m1", "a", 100);
            post("t1", A, B, 40);
            clock.advanceMillis(SETTINGS.retentionMillis() + 1);
            new LeaseReaper(ledger).purge();

            assertThat(accounts.post(transfer("t1", A, B, 40)).ok()).isTrue();
            assertThat(accounts.post(transfer("t1", A, B, 41)).rejection().code()).isEqualTo(Code.ALREADY_EXISTS);
            assertThat(balance(A)).isEqualTo(60);
            assertThat(store.journal().entries()).as("the journal keeps its entries").hasSize(2);
        }

        @Test
        void anEntryWhoseLegsDoNotBalanceCannotBeMade() {
            long now = clock.millis();
            assertThatThrownBy(() -> new JournalEntry("x", now, Reason.PURCHASE, "m", null, null,
                    List.of(new Leg(A, -10), new Leg(B, 9)))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("sum to -1");
            assertThatThrownBy(() -> new JournalEntry("x", now, Reason.PURCHASE, "m", null, null,
                    List.of(new Leg(A, -10), new Leg(B, 5), new Leg(C, 6))))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new JournalEntry("x", now, Reason.PURCHASE, "m", null, null,
                    List.of(new Leg(A, -10)))).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new JournalEntry("x", now, Reason.PURCHASE, "m", null, null,
                    List.of(new Leg(A, -10), new Leg(A, 10)))).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new JournalEntry("x", now, Reason.PURCHASE, "m", null, null,
                    List.of(new Leg(A, Long.MAX_VALUE), new Leg(B, Long.MAX_VALUE), new Leg(C, 2))))
                    .as("a sum that overflows").isInstanceOf(ArithmeticException.class);
            assertThatThrownBy(() -> new Leg(A, 0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> transfer("x", A, B, 0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> transfer("x", A, B, -5)).isInstanceOf(IllegalArgumentException.class);
            assertThat(new JournalEntry("x", now, Reason.PURCHASE, "m", null, null,
                    List.of(new Leg(A, -10), new Leg(B, 4), new Leg(C, 6))).legs()).hasSize(3);
        }

        @Test
        void aCreditThatWouldOverflowABalanceIsRefusedNotWrapped() {
            mint("m1", "a", 100);
            tamper(A, Long.MAX_VALUE - 5); // no real sequence gets there: minting stops at MAX_SUPPLY
            assertThat(accounts.setCreditLimit("c", 100).ok()).isTrue();
            Money before = money();

            Result<JournalEntry> r = accounts.post(transfer("t1", C, A, 10));

            assertThat(r.rejection().code()).isEqualTo(Code.INVALID);
            assertThat(r.rejection().detail()).contains("overflow");
            assertThat(money()).as("c's debit did not move either").isEqualTo(before);

            post("t2", C, A, 5);
            assertThat(balance(A)).isEqualTo(Long.MAX_VALUE);
            assertThat(accounts.post(transfer("t3", C, A, 1)).rejection().code()).isEqualTo(Code.INVALID);
            assertThat(balance(C)).isEqualTo(-5);
        }

        @Test
        void mintingStopsAtTheSupplyLimit() {
            mintLots("a", Account.MAX_SUPPLY - 1);
            Money before = money();
            assertThat(accounts.mint("m-over", "b", 2, null, null).rejection().code())
                    .as("the issue account would pass -MAX_SUPPLY").isEqualTo(Code.INSUFFICIENT_CREDIT);
            assertThat(money()).isEqualTo(before);
            assertThat(accounts.mint("m-last", "b", 1, null, null).ok()).isTrue();
            assertThat(accounts.audit().minted()).isEqualTo(Account.MAX_SUPPLY);
        }
    }

    // ------------------------------------------------------------------------------------------------ statements

    @Nested
    class Statements {
        @Test
        void linesAreOldestFirstWithTheRunningBalance() {
            long t0 = clock.millis();
            mint("e1", "a", 100);
            clock.advanceMillis(1_000);
            post("e2", A, B, 30);
            clock.advanceMillis(1_000);
            post("e3", B, A, 5);
            clock.advanceMillis(1_000);
            mint("e4", "a", 7);

            Statement s = accounts.statement(A, 0, Long.MAX_VALUE, null, 100);

            assertThat(s.account()).isEqualTo(A);
            assertThat(s.lines()).extracting(Line::entryId, Line::time, Line::amount, Line::balance).containsExactly(
                    tuple("e1", t0, 100L, 100L), tuple("e2", t0 + 1_000, -30L, 70L),
                    tuple("e3", t0 + 2_000, 5L, 75L), tuple("e4", t0 + 3_000, 7L, 82L));
            assertThat(s.lines()).extracting(Line::reason)
                    .containsExactly(Reason.MINT, Reason.PURCHASE, Reason.PURCHASE, Reason.MINT);
            assertThat(s.lines().get(0).memo()).isEqualTo("credits minted by the operator");
            assertThat(s.next()).isNull();
            assertThat(s.lines().get(3).balance()).isEqualTo(balance(A));

            assertThat(accounts.statement(B, 0, Long.MAX_VALUE, null, 100).lines())
                    .extracting(Line::entryId, Line::amount, Line::balance)
                    .containsExactly(tuple("e2", 30L, 30L), tuple("e3", -5L, 25L));
            assertThat(accounts.statement(C, 0, Long.MAX_VALUE, null, 100).lines()).isEmpty();
        }

        @Test
        void fromIsInclusiveToIsExclusiveAndTheBalanceCountsEarlierLines() {
            long t0 = clock.millis();
            mint("e1", "a", 100);
            clock.advanceMillis(1_000);
            post("e2", A, B, 30);
            clock.advanceMillis(1_000);
            post("e3", B, A, 5);
            clock.advanceMillis(1_000);
            mint("e4", "a", 7);

            Statement s = accounts.statement(A, t0 + 1_000, t0 + 3_000, null, 100);

            assertThat(s.lines()).extracting(Line::entryId, Line::balance)
                    .containsExactly(tuple("e2", 70L), tuple("e3", 75L));
            assertThat(s.next()).isNull();
            assertThat(accounts.statement(A, t0 + 3_000, t0 + 3_000, null, 100).lines()).isEmpty();
            assertThat(accounts.statement(A, t0 + 3_001, Long.MAX_VALUE, null, 100).lines()).isEmpty();
            assertThat(accounts.statement(A, 0, t0 + 1, null, 100).lines()).extracting(Line::entryId)
                    .containsExactly("e1");
        }

        @Test
        void linesAtTheSameTimeAreOrderedById() {
            mint("m-b", "a", 1);
            mint("m-a", "a", 2);
            mint("m-c", "a", 4);

            assertThat(accounts.statement(A, 0, Long.MAX_VALUE, null, 10).lines())
                    .extracting(Line::entryId, Line::balance)
                    .containsExactly(tuple("m-a", 2L), tuple("m-b", 3L), tuple("m-c", 7L));
        }

        @ParameterizedTest
        @ValueSource(ints = {1, 2, 5, 7, 22, 23, 24, 100})
        void pagingWithTheCursorCoversEveryLineExactlyOnce(int limit) {
            mint("m", "a", 1_000);
            mint("mb", "b", 1_000);
            for (int i = 0; i < 22; i++) {
                if (i % 3 == 0) {
                    clock.advanceMillis(10);
                }
                // ids that sort against posting order within one millisecond
                post(String.format("p%02d", 99 - i), i % 2 == 0 ? A : B, i % 2 == 0 ? B : A, i + 1);
            }
            List<Line> all = accounts.statement(A, 0, Long.MAX_VALUE, null, 1_000).lines();
            assertThat(all).hasSize(23);

            List<Line> paged = new ArrayList<>();
            String cursor = null;
            int pages = 0;
            do {
                Statement s = accounts.statement(A, 0, Long.MAX_VALUE, cursor, limit);
                assertThat(s.lines()).hasSizeLessThanOrEqualTo(limit).isNotEmpty();
                paged.addAll(s.lines());
                cursor = s.next();
                pages++;
                assertThat(pages).as("paging ends").isLessThanOrEqualTo(23);
            } while (cursor != null);

            assertThat(paged).containsExactlyElementsOf(all);
            assertThat(pages).isEqualTo((23 + limit - 1) / limit);
        }

        @Test
        void pagingWithinATimeWindow() {
            long t0 = clock.millis();
            mint("m", "a", 1_000);
            for (int i = 0; i < 10; i++) {
                clock.advanceMillis(100);
                post("p" + i, A, B, 1);
            }
            long from = t0 + 300;
            long to = t0 + 800; // p2 .. p6
            Statement first = accounts.statement(A, from, to, null, 3);
            assertThat(first.lines()).extracting(Line::entryId).containsExactly("p2", "p3", "p4");
            assertThat(first.lines()).extracting(Line::balance).containsExactly(997L, 996L, 995L);
            Statement second = accounts.statement(A, from, to, first.next(), 3);
            assertThat(second.lines()).extracting(Line::entryId).containsExactly("p5", "p6");
            assertThat(second.next()).isNull();
        }
    }

    // ------------------------------------------------------------------------------------------------ audit

    @Nested
    class Audit {
        void someWork() {
            mint("m1", "a", 100);
            mint("m2", "b", 50);
            assertThat(accounts.setCreditLimit("c", 20).ok()).isTrue();
            post("t1", A, B, 30);
            post("t2", C, Account.HOUSE, 20);
            post("t3", B, Account.ESCROW, 10);
            accounts.post(transfer("t4", C, A, 1)); // refused
        }

        @Test
        void theAuditIsCleanAfterNormalWork() {
            someWork();
            Accounts.Audit audit = accounts.audit();
            assertThat(audit.drift()).isEmpty();
            assertThat(audit.minted()).isEqualTo(150);
            assertThat(audit.total()).isEqualTo(150);
            assertThat(audit.inFlight()).isZero();

            Auditor.Report report = new Auditor(ledger).audit();
            assertThat(report.ok()).isTrue();
            assertThat(report.credits()).isEqualTo(audit);
        }

        @Test
        void aTamperedBalanceIsDrift() {
            someWork();
            tamper(A, balance(A) + 5);

            Accounts.Audit audit = accounts.audit();

            assertThat(audit.drift()).extracting(Drift::subject, Drift::recorded, Drift::live)
                    .containsExactlyInAnyOrder(tuple("account:" + A, 75L, 70L), tuple("credits", 155L, 150L));
            Auditor.Report report = new Auditor(ledger).audit();
            assertThat(report.ok()).as("the auditor reports the credit audit").isFalse();
            assertThat(report.drift()).containsAll(audit.drift());
        }

        @Test
        void aTamperedIssueAccountIsDriftToo() {
            someWork();
            tamper(Account.ISSUE, balance(Account.ISSUE) - 1);

            assertThat(accounts.audit().drift()).extracting(Drift::subject)
                    .containsExactly("account:" + Account.ISSUE);
        }

        @Test
        void aBalanceBelowItsFloorIsDrift() {
            someWork();
            tamper(C, -21);
            assertThat(accounts.audit().drift()).extracting(Drift::subject, Drift::detail)
                    .contains(tuple("account:" + C, "below its credit limit"));
        }

        @Test
        void aMissingJournalEntryIsDrift() {
            someWork();
            tampered = true;
            store.journal().execute("t1", (Command<JournalEntry, Void>) e -> Command.Outcome.write(null, null));
            assertThat(store.journal().get("t1")).isNull();

            assertThat(accounts.audit().drift()).extracting(Drift::subject, Drift::recorded,
                    Drift::live).containsExactlyInAnyOrder(tuple("account:" + A, 70L, 100L),
                    tuple("account:" + B, 70L, 40L));
        }

        @Test
        void aMissingMintIsDrift() {
            someWork();
            tampered = true;
            store.journal().execute("m2", (Command<JournalEntry, Void>) e -> Command.Outcome.write(null, null));

            assertThat(accounts.audit().drift()).extracting(Drift::subject)
                    .containsExactlyInAnyOrder("account:" + B, "account:" + Account.ISSUE, "credits");
        }
    }

    // ------------------------------------------------------------------------------------------------ bugs

    /**
     * Defects found while writing these tests (each failed on the code of its day): minting past what a long holds.
     */
    @Nested
    class FormerDefects {
        @Test
        void theAuditAnswersWhateverWasMinted() {
            mintLots("a", Account.MAX_SUPPLY);
            accounts.mint("last", "b", 1, null, null); // refused: the supply is exhausted

            // either that mint is refused, or the audit copes with it
            assertThatCode(accounts::audit).doesNotThrowAnyException();
        }
    }

}
