package io.ichiba.ledger.engine;

import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.LedgerSettings;
import io.ichiba.ledger.MutableClock;
import io.ichiba.ledger.Rejection;
import io.ichiba.ledger.Result;
import io.ichiba.ledger.claim.Bundle;
import io.ichiba.ledger.claim.ClaimFilters;
import io.ichiba.ledger.claim.ClaimRequest;
import io.ichiba.ledger.claim.ClaimState;
import io.ichiba.ledger.journal.InMemoryJournal;
import io.ichiba.ledger.store.Store;
import io.ichiba.ledger.tenant.TenantLimits;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A tenant limit holds under concurrency: sixteen threads submitting claims for one tenant at once, through the
 * engine, leave exactly as many queued as the limit allows, and every other submission is refused with
 * {@code TENANT_LIMIT} (the check and the write are one command of the single engine thread).
 */
class EngineTenantLimitsConcurrencyTest {

    @AfterAll
    static void closeEngines() {
        Engines.closeAll();
    }

    @Test
    void concurrentSubmissionsNeverPassTheQueueLimit() throws Exception {
        Store store = Engines.started(new InMemoryJournal());
        Ledger ledger = new Ledger(store, new MutableClock(),
                LedgerSettings.defaults().withLimits(new TenantLimits(1_000, 25, 1_000, 1_000, 1_000)));
        ledger.createTenant("t", Map.of("memory", 1_000L));
        ledger.createLock("held", 1);
        Bundle lock = Bundle.of(Map.of(), List.of("held"));
        assertThat(ledger.submit(ClaimRequest.of("holder", "t", lock, 0, 600, null)).ok()).isTrue();
        new io.ichiba.ledger.Admission(ledger).pass();

        ExecutorService pool = Executors.newFixedThreadPool(16);
        List<Future<Result<io.ichiba.ledger.claim.Claim>>> answers = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String id = "c" + i;
            answers.add(pool.submit(() -> ledger.submit(ClaimRequest.of(id, "t", lock, 0, 600, null))));
        }
        int accepted = 0;
        for (Future<Result<io.ichiba.ledger.claim.Claim>> f : answers) {
            Result<io.ichiba.ledger.claim.Claim> r = f.get(30, TimeUnit.SECONDS);
            if (r.ok()) {
                accepted++;
            } else {
                assertThat(r.rejection().code()).isEqualTo(Rejection.Code.TENANT_LIMIT);
            }
        }
        pool.shutdown();
        assertThat(accepted).as("accepted while 'holder' is granted and the rest queue").isEqualTo(25);
        assertThat(store.claims().values(new ClaimFilters.ClaimsOf("t", ClaimState.QUEUED))).hasSize(25);
    }
}
