package io.ichiba.ledger.claim;

import java.io.Serializable;

/**
 * A claim to submit.
 *
 * @param id            its id, chosen by the caller (submitting it again answers the claim as stored)
 * @param tenant        whose claim it is
 * @param bundle        what it asks for, all or nothing
 * @param priority      higher first
 * @param leaseSeconds  its lease on grant and on each renewal
 * @param requestedNode the node it must run on, or {@code null} to let the broker choose
 * @param funding       how it may be paid for
 */
public record ClaimRequest(String id, String tenant, Bundle bundle, int priority, long leaseSeconds,
                           String requestedNode, Funding funding) implements Serializable {

    /** Defaults the funding to the tenant's own and borrowed quota. */
    public ClaimRequest {
        funding = funding == null ? Funding.QUOTA_ONLY : funding;
    }

    /** A claim funded by its tenant's own and borrowed quota. */
    public static ClaimRequest of(String id, String tenant, Bundle bundle, int priority, long leaseSeconds,
                                  String requestedNode) {
        return new ClaimRequest(id, tenant, bundle, priority, leaseSeconds, requestedNode, Funding.QUOTA_ONLY);
    }

    /** The same claim, funded by {@code f}. */
    public ClaimRequest funded(Funding f) {
        return new ClaimRequest(id, tenant, bundle, priority, leaseSeconds, requestedNode, f);
    }
}
