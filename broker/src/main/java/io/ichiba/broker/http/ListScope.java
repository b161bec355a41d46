package io.ichiba.broker.http;

/**
 * Whose records a list request may see: the operator anyone's (or one tenant's, with {@code ?tenant=}), a tenant
 * only its own; agents none.
 *
 * @param tenant  the tenant whose records to list, {@code null} for every tenant's
 * @param refused the 403 answer when the caller may not list, else {@code null}
 */
record ListScope(String tenant, Reply refused) {

    /** Decides the scope of a list of {@code what} (e.g. "claims") asked by {@code call}. */
    static ListScope of(Call call, String what) {
        String asked = call.query("tenant");
        if (call.caller().operator()) {
            return new ListScope(asked, null);
        }
        if (!call.caller().tenant()) {
            return new ListScope(null, Problems.forbidden("agents do not list " + what));
        }
        String own = call.caller().subject();
        if (asked != null && !asked.equals(own)) {
            return new ListScope(null, Problems.forbidden("a tenant lists only its own " + what));
        }
        return new ListScope(own, null);
    }
}
