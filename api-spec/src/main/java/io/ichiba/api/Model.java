package io.ichiba.api;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The wire records of the API, as {@code api-spec/openapi.yaml} describes them. */
public final class Model {
    private Model() {
    }

    /**
     * What a claim asks for: node-local kinds to amounts (on one node) and cluster-wide locks.
     * On the wire the kinds are properties beside {@code locks}: {@code {"memory":4096,"locks":["db"]}}.
     */
    public static final class Bundle {
        private final Map<String, Long> amounts = new TreeMap<>();
        private List<String> locks = List.of();

        /** Creates a bundle. */
        public static Bundle of(Map<String, Long> amounts, List<String> locks) {
            Bundle b = new Bundle();
            b.amounts.putAll(amounts);
            b.locks = locks == null ? List.of() : List.copyOf(locks);
            return b;
        }

        /** The node-local amounts. */
        @JsonAnyGetter
        public Map<String, Long> amounts() {
            return amounts;
        }

        @JsonAnySetter
        void set(String kind, long amount) {
            amounts.put(kind, amount);
        }

        /** The locks, one permit each. */
        @JsonProperty("locks")
        public List<String> locks() {
            return locks.isEmpty() ? null : locks;
        }

        @JsonProperty("locks")
        void locks(List<String> names) {
            locks = names == null ? List.of() : List.copyOf(names);
        }

        /** The locks, never {@code null}. */
        @JsonIgnore
        public List<String> lockNames() {
            return locks;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Bundle b && b.amounts.equals(amounts) && b.locks.equals(locks);
        }

        @Override
        public int hashCode() {
            return amounts.hashCode() * 31 + locks.hashCode();
        }

        @Override
        public String toString() {
            return "Bundle" + amounts + locks;
        }
    }

    /** A claim's state as clients see it. */
    public enum ClaimState { QUEUED, GRANTED, RELEASED, CANCELLED, EXPIRED, LOST }

    /** {@code POST /v1/claims}. */
    public record ClaimCreate(Bundle bundle, Integer priority, Long leaseSeconds, String node) {
    }

    /** A claim. */
    public record Claim(String id, String tenant, ClaimState state, String reason, String node, Bundle bundle,
                        int priority, long leaseSeconds, Instant createdAt, Instant grantedAt,
                        Instant leaseExpiresAt, Instant endedAt) {
    }

    /** {@code POST /v1/jobs}. */
    public record JobCreate(List<String> command, Map<String, String> env, Bundle bundle, Integer priority,
                            Long leaseSeconds, String node) {
    }

    /** A job: a command run on the node where its claim (same id) is granted. */
    public record Job(String id, String tenant, String state, String reason, String node, List<String> command,
                      Map<String, String> env, Bundle bundle, int priority, long leaseSeconds, boolean cancelRequested,
                      Integer exitCode, Instant createdAt, Instant startedAt, Instant endedAt) {
    }

    /** {@code POST /v1/jobs/{id}/finish}: how the job's process ended. */
    public record JobFinish(Integer exitCode, String error) {
    }

    /** A pool: the capacity of one kind at one place. */
    public record Pool(String id, String kind, String node, String name, long capacity, long granted, long free,
                       boolean overcommitted, Long measuredFree, long withheld, int holders) {
    }

    /** A node as its agent's reports describe it. */
    public record Node(String node, String state, Instant lastReportAt, Instant lostAt, Map<String, Long> allocatable,
                       Map<String, Long> free, Map<String, Long> granted, Map<String, Long> withheld, int grants) {
    }

    /** A list answer. */
    public record Items<T>(List<T> items) {
        @JsonCreator
        public Items(@JsonProperty("items") List<T> items) {
            this.items = items;
        }
    }

    /** {@code POST /v1/tenants}. */
    public record TenantCreate(String id, Map<String, Long> quota) {
    }

    /** The answer to {@code POST /v1/tenants}: the token is shown only here. */
    public record TenantCreated(String id, String token, Map<String, Long> quota) {
    }

    /** A tenant's quota and what its live claims use. */
    public record Tenant(String id, Map<String, Long> quota, Map<String, Long> used, Instant createdAt) {
    }

    /** {@code POST /v1/agents}. */
    public record AgentCreate(String node) {
    }

    /** The answer to {@code POST /v1/agents}: the token is shown only here. */
    public record AgentCreated(String node, String token) {
    }

    /** {@code POST /v1/kinds}, and a kind. */
    public record Kind(String name, String unit, Boolean builtIn) {
    }

    /** {@code POST /v1/locks}. */
    public record LockCreate(String name, Long permits) {
    }

    /** {@code PUT /v1/nodes/{node}/report}. */
    public record NodeReport(Map<String, Long> allocatable, Map<String, Long> free) {
    }

    /** {@code POST /v1/claims/{id}/renew}. */
    public record Renew(Long leaseSeconds) {
    }

    /** One discrepancy found by the audit. */
    public record Drift(String subject, long recorded, long live, String detail) {
    }

    /** The answer of {@code GET /v1/audit}. */
    public record Audit(boolean ok, List<Drift> drift, Instant checkedAt) {
    }

    /** A field the contract refused. */
    public record FieldError(String pointer, String message) {
    }

    /** An RFC 9457 problem. */
    public record Problem(String type, String title, int status, String detail, String code,
                          List<FieldError> errors) {
    }

    /** {@code /health} and {@code /ready}. */
    public record Status(String status, String member, Integer clusterSize) {
    }
}
