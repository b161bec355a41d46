package io.ichiba.bench.http;

import io.ichiba.api.Model;
import io.ichiba.api.Wire;

import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

/** The claim answers of the baseline arms, shaped like the broker's ({@code Claim} of {@code openapi.yaml}). */
final class ClaimShapes {
    private static final Model.Funding QUOTA = new Model.Funding("QUOTA", null, false);

    private ClaimShapes() {
    }

    /** A claim of {@code tenant} in {@code state} on {@code node}, created (and granted, or ended) now. */
    static Model.Claim claim(String id, String tenant, Model.ClaimState state, String node,
                             Map<String, Long> amounts, List<String> locks, int priority, long leaseSeconds) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS); // the broker's precision
        boolean granted = state == Model.ClaimState.GRANTED;
        boolean ended = state == Model.ClaimState.RELEASED;
        return new Model.Claim(id, tenant, state, null, node, Model.Bundle.of(amounts, locks), priority, leaseSeconds,
                now, granted || ended ? now : null, granted ? now.plusSeconds(leaseSeconds) : null,
                ended ? now : null, null, QUOTA);
    }

    /** The benchmark's claim (memory 1, disk 1, lock {@code bench}) in {@code state}, as JSON. */
    static String json(String id, Model.ClaimState state) {
        return write(claim(id, "bench", state, "node-1", Map.of("memory", 1L, "disk", 1L), List.of("bench"), 5, 60));
    }

    /** Writes a wire record as the broker does. */
    static String write(Object record) {
        try {
            return Wire.JSON.writeValueAsString(record);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
