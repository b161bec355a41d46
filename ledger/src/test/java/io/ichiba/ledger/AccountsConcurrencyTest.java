package io.ichiba.ledger;

import com.hazelcast.core.HazelcastInstance;
import io.ichiba.ledger.Rejection.Code;
import io.ichiba.ledger.credit.Account;
import io.ichiba.ledger.credit.Accounts;
import io.ichiba.ledger.credit.JournalEntry;
import io.ichiba.ledger.credit.JournalEntry.Reason;
import io.ichiba.ledger.engine.EngineStore;
import io.ichiba.ledger.hazelcast.EmbeddedHazelcast;
import io.ichiba.ledger.store.Store;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hammers the credit accounts from many threads on a cluster of two Hazelcast members in this JVM, each member's
 * ledger over the engine's store on it, so that half of the threads send their calls to the engine on the other
 * member and every batch has a real synchronous backup.
 *
 * <p>Ten tenants are each minted 1 000 credits, with no credit limit. Eight workers — half through the first
 * member's store, half through the second's — each post 200 random transfers between the tenants (random amounts,
 * many of them more than the payer has by then), and now and then post an entry again under the same id: one
 * accepted must be answered as it was written, one refused may be accepted now. Each worker keeps its own log of the
 * transfers that were accepted. Meanwhile an auditor thread audits the credits again and again through both members.
 *
 * <p>At the end: the audit is clean, nothing is in flight, one journal entry per accepted transfer, the balances add
 * up to what was minted, no balance is negative, and each tenant's balance is exactly what the workers' logs say.
 * Every wait is bounded; nothing sleeps.
 */
class AccountsConcurrencyTest {
    private static final int WORKERS = 8;
    private static final int TRANSFERS_PER_WORKER = 200;
    private static final int TENANTS = 10;
    private static final long MINTED_EACH = 1_000;
    private static final long BOUND_SECONDS = 120;
    private static List<HazelcastInstance> members;

    @BeforeAll
    static void startCluster() {
        members = EmbeddedHazelcast.startCluster(AccountsConcurrencyTest.class, 5951, 2);
    }

    /** The engines' stores of the running test, closed after it. */
    private static final List<EngineStore> opened = new java.util.concurrent.CopyOnWriteArrayList<>();

    @org.junit.jupiter.api.AfterEach
    void closeStores() {
        opened.forEach(EngineStore::close);
        opened.clear();
    }

    @AfterAll
    static void stopCluster() {
        if (members != null) {
            members.forEach(m -> m.getLifecycleService().terminate());
        }
    }

    @Test
    void transfersFromManyThreadsOnTwoMembersConserveCredits() throws Exception {
        Hammer h = new Hammer("conserve");
        h.run();

        assertThat(h.audits.get()).as("audits ran while the transfers did").isPositive();
        // whatever the timing, an audit reads each account whole: none may be seen below its floor, and no
        // entry's legs may fail to balance (the drift that a racing read can cause is DEFECT 1, tested below)
        assertThat(h.seenDuringRun).as("floor or balance drift seen while the transfers ran")
                .noneMatch(d -> d.subject().startsWith("entry:") || d.detail().equals("below its credit limit"));
    }

    @Test
    void auditsWhileTransfersRunReportNoDrift() throws Exception {
        Hammer h = new Hammer("audit");
        h.run();

        assertThat(h.audits.get()).as("audits ran while the transfers did").isPositive();
        assertThat(h.seenDuringRun).as("drift reported by %d of %d audits while the transfers ran",
                h.driftingAudits.get(), h.audits.get()).isEmpty();
    }

    /** One run: mint, hammer, audit concurrently, then the final checks. */
    private static final class Hammer {
        final String prefix;
        final MutableClock clock = new MutableClock();
        final LedgerSettings settings = LedgerSettings.defaults();
        final List<Accounts> accounts = new ArrayList<>();
        final List<Store> stores = new ArrayList<>();
        final Ledger ledger;
        final AtomicBoolean done = new AtomicBoolean();
        final AtomicInteger audits = new AtomicInteger();
        final AtomicInteger driftingAudits = new AtomicInteger();
        final AtomicInteger accepted = new AtomicInteger();
        final AtomicInteger refused = new AtomicInteger();
        final AtomicInteger repeated = new AtomicInteger();
        final ConcurrentLinkedQueue<Drift> seenDuringRun = new ConcurrentLinkedQueue<>();
        final List<String> tenants = new ArrayList<>();

        Hammer(String prefix) {
            this.prefix = prefix;
            List<Ledger> ledgers = new ArrayList<>();
            for (EngineStore s : EmbeddedHazelcast.engineStores(members)) {
                opened.add(s);
                stores.add(s);
                // each member has its ledger, as each broker does: an operation sent to the engine's member runs there
                Ledger l = new Ledger(s, clock, settings);
                ledgers.add(l);
                accounts.add(l.accounts());
            }
            ledger = ledgers.get(0);
        }

        void run() throws Exception {
            ledger.accounts().openSystemAccounts();
            for (int t = 0; t < TENANTS; t++) {
                String tenant = prefix + "-t" + t;
                tenants.add(tenant);
                assertThat(ledger.createTenant(tenant, Map.of()).ok()).isTrue();
                assertThat(accounts.get(t % 2).mint("mint-" + tenant, tenant, MINTED_EACH, null, null).ok()).isTrue();
            }
            assertClean(accounts.get(0).audit());

            ExecutorService pool = Executors.newFixedThreadPool(WORKERS + 1);
            try {
                Future<?> auditor = pool.submit(this::auditWhileRunning);
                List<Callable<Map<String, Long>>> workers = new ArrayList<>();
                for (int w = 0; w < WORKERS; w++) {
                    int id = w;
                    workers.add(() -> work(id));
                }
                List<Future<Map<String, Long>>> results = pool.invokeAll(workers, BOUND_SECONDS, TimeUnit.SECONDS);
                done.set(true);
                Map<String, Long> expected = new HashMap<>();
                for (String t : tenants) {
                    expected.put(Account.ofTenant(t), MINTED_EACH);
                }
                for (Future<Map<String, Long>> f : results) {
                    assertThat(f.isCancelled()).as("a worker finished within %d s", BOUND_SECONDS).isFalse();
                    f.get().forEach((account, delta) -> expected.merge(account, delta, Long::sum)); // rethrows
                }
                auditor.get(BOUND_SECONDS, TimeUnit.SECONDS);
                checkEnd(expected);
            } finally {
                pool.shutdownNow();
                assertThat(pool.awaitTermination(BOUND_SECONDS, TimeUnit.SECONDS)).isTrue();
            }
        }

        /** Posts random transfers; answers what the accepted ones did to each account. */
        Map<String, Long> work(int worker) {
            Accounts acc = accounts.get(worker % accounts.size());
            Random random = new Random(worker * 7919L + 17);
            Map<String, Long> delta = new HashMap<>();
            JournalEntry previous = null;
            Code previousCode = null;
            for (int k = 0; k < TRANSFERS_PER_WORKER; k++) {
                int from = random.nextInt(TENANTS);
                int to = (from + 1 + random.nextInt(TENANTS - 1)) % TENANTS;
                long amount = 1 + random.nextInt(400);
                String payer = Account.ofTenant(tenants.get(from));
                String payee = Account.ofTenant(tenants.get(to));
                JournalEntry e = JournalEntry.transfer("w" + worker + "-" + k, clock.millis(), Reason.PURCHASE,
                        "a transfer", null, null, payer, payee, amount);
                Result<JournalEntry> r = acc.post(e);
                Code code = r.rejection() == null ? null : r.rejection().code();
                assertThat(code).as("%s: accepted or refused for want of credit", e.id())
                        .isIn(null, Code.INSUFFICIENT_CREDIT);
                if (code == null) {
                    accepted.incrementAndGet();
                    delta.merge(payer, -amount, Long::sum);
                    delta.merge(payee, amount, Long::sum);
                } else {
                    refused.incrementAndGet();
                }
                if (previous != null && random.nextInt(8) == 0) {
                    // the same entry again, maybe through the other member: one accepted is answered from the
                    // journal and moves nothing twice; one refused left no trace, and is accepted if it can be paid now
                    Accounts other = accounts.get(random.nextInt(accounts.size()));
                    Result<JournalEntry> again = other.post(previous);
                    if (previousCode == null) {
                        assertThat(again.value()).as("%s posted again", previous.id()).isEqualTo(previous);
                    } else if (again.ok()) {
                        accepted.incrementAndGet();
                        refused.decrementAndGet();
                        delta.merge(previous.legs().get(0).account(), previous.legs().get(0).amount(), Long::sum);
                        delta.merge(previous.legs().get(1).account(), previous.legs().get(1).amount(), Long::sum);
                    } else {
                        assertThat(again.rejection().code()).as("%s posted again", previous.id())
                                .isEqualTo(Code.INSUFFICIENT_CREDIT);
                    }
                    repeated.incrementAndGet();
                }
                previous = e;
                previousCode = code;
            }
            return delta;
        }

        /** Audits through both members, in turn, until the workers are done. */
        void auditWhileRunning() {
            int i = 0;
            while (!done.get()) {
                Accounts.Audit audit = accounts.get(i++ % accounts.size()).audit();
                seenDuringRun.addAll(audit.drift());
                audits.incrementAndGet();
                if (!audit.drift().isEmpty()) {
                    driftingAudits.incrementAndGet();
                }
            }
        }

        void checkEnd(Map<String, Long> expected) {
            assertThat(accepted.get() + refused.get()).isEqualTo(WORKERS * TRANSFERS_PER_WORKER);
            assertThat(accepted.get()).as("some transfers went through").isGreaterThan(WORKERS * 20);
            assertThat(refused.get()).as("some transfers were refused").isPositive();
            assertThat(repeated.get()).as("some entries were posted again").isPositive();
            for (Accounts acc : accounts) {
                Accounts.Audit audit = acc.audit();
                assertClean(audit);
                assertThat(audit.minted()).isEqualTo(TENANTS * MINTED_EACH);
            }
            Map<String, Account> all = stores.get(1).accounts().entries();
            for (Account a : all.values()) {
                if (a.type() != Account.Type.ISSUE) {
                    assertThat(a.balance()).as("%s is not negative", a.id()).isNotNegative();
                }
            }
            for (String t : tenants) {
                String id = Account.ofTenant(t);
                assertThat(all.get(id).balance()).as("the balance of %s, from the workers' logs", id)
                        .isEqualTo(expected.get(id));
            }
            assertThat(stores.get(1).journal().entries()).as("one journal entry per accepted transfer and mint")
                    .hasSize(accepted.get() + TENANTS);
        }

        static void assertClean(Accounts.Audit audit) {
            assertThat(audit.drift()).as("credit audit").isEmpty();
            assertThat(audit.inFlight()).as("legs in flight").isZero();
            assertThat(audit.total()).as("law 4").isEqualTo(audit.minted()).isEqualTo(TENANTS * MINTED_EACH);
        }
    }
}
