package io.ichiba.broker;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What clients were answered about their claims, for checking after a fault (a crash, a kill, the database away):
 * every claim answered is there afterwards, in the state last answered, or released if its release was sent and
 * its answer not received (the release may have been applied). Thread-safe: many clients record into one.
 */
final class AnsweredClaims {
    private final Map<String, String> answered = new ConcurrentHashMap<>(); // claim -> the last state answered
    private final Set<String> releaseSent = ConcurrentHashMap.newKeySet();

    /**
     * Claims {@code body} as {@code tenant} and, if answered 201, releases it, recording both answers; answers the
     * claim's answer, or the release's when the claim was made and the release not answered 200.
     */
    Http.Answer claimAndRelease(Http tenant, Map<String, Object> body) {
        Http.Answer c = tenant.post("/v1/claims", body);
        if (c.status() != 201) {
            return c;
        }
        String id = c.text("id");
        answered.put(id, c.text("state"));
        releaseSent.add(id); // sent from here on: a release whose answer is lost may still have been applied
        Http.Answer r = tenant.post("/v1/claims/" + id + "/release", null);
        if (r.status() == 200) {
            answered.put(id, r.text("state"));
        }
        return r.status() == 200 ? c : r;
    }

    /** How many claims were answered. */
    int size() {
        return answered.size();
    }

    /**
     * Asserts every claim answered is as answered (or released, its release sent), read through {@code tenant};
     * answers how many are GRANTED.
     */
    int assertAsAnswered(Http tenant, String after) {
        int granted = 0;
        for (Map.Entry<String, String> e : answered.entrySet()) {
            Http.Answer a = tenant.get("/v1/claims/" + e.getKey());
            assertThat(a.status()).as("claim %s, answered %s before %s", e.getKey(), e.getValue(), after).isEqualTo(200);
            String state = a.text("state");
            if (releaseSent.contains(e.getKey())) {
                assertThat(state).as(e.getKey()).isIn(e.getValue(), "RELEASED");
            } else {
                assertThat(state).as(e.getKey()).isEqualTo(e.getValue());
            }
            if (state.equals("GRANTED")) {
                granted++;
            }
        }
        return granted;
    }
}
