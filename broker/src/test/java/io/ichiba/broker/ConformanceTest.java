package io.ichiba.broker;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The tests' contract check finds what a validating proxy would, and passes what conforms. */
class ConformanceTest {
    private static final String PROBLEM = "application/problem+json";
    private static final String CLAIM = "{\"id\":\"c1\",\"tenant\":\"acme\",\"state\":\"GRANTED\",\"bundle\":{\"memory\":1},"
            + "\"priority\":0,\"leaseSeconds\":60,\"createdAt\":\"2026-12-08T00:00:00Z\"}";

    @Test
    void anAnswerAsTheContractSaysPasses() {
        assertThat(Conformance.violation("GET", "/v1/claims/c1", 200, "application/json", CLAIM)).isNull();
        assertThat(Conformance.violation("GET", "/v1/claims/c1", 404, PROBLEM,
                "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404,\"detail\":\"no claim c1\"}")).isNull();
        assertThat(Conformance.violation("GET", "/nowhere", 500, "text/plain", "x")).as("not in the contract").isNull();
    }

    @Test
    void aStatusTheOperationDoesNotDeclareIsFound() {
        assertThat(Conformance.violation("GET", "/v1/claims/c1", 500, PROBLEM,
                "{\"type\":\"about:blank\",\"title\":\"x\",\"status\":500}")).contains("getClaim").contains("500");
    }

    @Test
    void aBodyOutsideItsSchemaIsFound() {
        assertThat(Conformance.violation("GET", "/v1/claims/c1", 200, "application/json", "{\"id\":\"c1\"}"))
                .contains("does not match");
        assertThat(Conformance.violation("GET", "/v1/claims/c1", 200, "application/json",
                CLAIM.replace("2026-12-08T00:00:00Z", "yesterday"))).as("formats are asserted").contains("does not match");
    }

    @Test
    void aMediaTypeTheStatusDoesNotDeclareIsFound() {
        assertThat(Conformance.violation("GET", "/v1/claims/c1", 200, "text/plain", CLAIM)).contains("text/plain");
        assertThat(Conformance.violation("GET", "/v1/claims/c1", 200, "application/json", "")).contains("none");
    }

    @Test
    void theOperationIsFoundByMethodAndPath() {
        assertThat(Conformance.violation("GET", "/v1/market/offers", 200, "application/json", "{}"))
                .as("no GET of the offers: the market of a kind named offers").contains("GET /v1/market/{kind}");
        assertThat(Conformance.violation("GET", "/v1/tenants/t1/account", 200, "application/json", "{}"))
                .contains("/v1/tenants/{id}/account");
    }
}
