package io.ichiba.broker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.ichiba.api.Wire;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a broker holds, as the operator sees it through the API ({@code GET /v1/pools}, {@code /v1/claims},
 * {@code /v1/tenants}, {@code /v1/kinds}) plus the size of the ledger's tables, so that a test can show that
 * a request changed nothing: take one before, one after, and compare them equal.
 *
 * <p>Lists whose order the contract does not fix (tenants, kinds) are sorted by id or name, so that two
 * snapshots of the same state compare equal whatever order the store iterates in.
 *
 * @param pools   the pools
 * @param claims  every tenant's claims
 * @param tenants the tenants with quota and usage
 * @param kinds   the node-local kinds
 * @param sizes   entries per table of the ledger; empty if no store was given
 */
public record StateSnapshot(JsonNode pools, JsonNode claims, JsonNode tenants, JsonNode kinds,
                            Map<String, Integer> sizes) {

    /** The tables whose sizes are compared. */
    private static final List<String> MAPS = List.of("nodes", "locks", "tenants", "claims", "principals", "agents", "kinds",
            "idempotency");

    /** Takes a snapshot through {@code operator}, with the table sizes of {@code store} if it is not null. */
    public static StateSnapshot take(Http operator, io.ichiba.ledger.store.Store store) {
        Map<String, Integer> sizes = new TreeMap<>();
        if (store != null) {
            MAPS.forEach(m -> sizes.put(m, ((io.ichiba.ledger.store.TableStore) store).table(m).entries().size()));
        }
        return new StateSnapshot(items(operator, "/v1/pools", "id"), items(operator, "/v1/claims", "id"),
                items(operator, "/v1/tenants", "id"), items(operator, "/v1/kinds", "name"), sizes);
    }

    private static JsonNode items(Http operator, String path, String key) {
        Http.Answer a = operator.get(path);
        assertThat(a.status()).as("GET " + path + " -> " + a).isEqualTo(200);
        List<JsonNode> list = new ArrayList<>();
        a.body().get("items").forEach(list::add);
        list.sort(Comparator.comparing(n -> n.path(key).asText()));
        ArrayNode out = Wire.JSON.createArrayNode();
        list.forEach(out::add);
        return out;
    }
}
