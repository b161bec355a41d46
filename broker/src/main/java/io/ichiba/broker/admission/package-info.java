/**
 * Admission and its companions in the broker: the {@link io.ichiba.broker.admission.AdmissionLoop} (the single
 * writer of grants, on the owner of a fixed partition), and the {@link io.ichiba.broker.admission.ChangeWatch}
 * that wakes long-polls when a claim, a job or a node's jobs change. The rules themselves live in the ledger
 * ({@code io.ichiba.ledger.Admission}, {@code LeaseReaper}, {@code Auditor}); this package schedules them.
 */
package io.ichiba.broker.admission;
