package io.ichiba.broker.handlers;

import io.ichiba.ledger.Handlers;
import io.ichiba.ledger.Rejection;
import io.ichiba.ledger.handler.Binding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Handler bindings declared in a YAML file, for operators who keep them in version control: loaded at start and
 * again whenever the file's content changes (checked every few seconds). The file is their source of truth:
 * bindings it no longer declares are removed, and the API refuses to change them.
 *
 * <pre>
 * bindings:
 *   - id: ops-node-lost            # unique in the file; the binding's id is file:ops-node-lost
 *     eventType: node.lost
 *     webhook: {url: "http://ops.local/hooks/node-lost"}
 *     secret: "a-long-shared-secret" # required for a webhook: the signature's key
 *     ackPolicy: BEFORE               # default ALL
 *   - id: team-a-granted
 *     owner: team-a                   # a tenant's binding; absent: cluster-wide
 *     eventType: claim.granted
 *     address: team-a.granted         # an event-bus address instead of a webhook
 *     filter: {node: node-1}
 *     priority: 5
 *     timeoutMs: 5000
 *     retry: {attempts: 3, backoffMs: 1000}
 *     enabled: true
 * </pre>
 * A malformed file changes nothing (the bindings stay as they were); a malformed entry is skipped and logged.
 */
public final class BindingsFile {
    private static final Logger LOG = LoggerFactory.getLogger(BindingsFile.class);
    private final Path file;
    private final Handlers handlers;
    private String lastDigest = "";

    /** Watches {@code file} for {@code handlers}. */
    public BindingsFile(Path file, Handlers handlers) {
        this.file = file;
        this.handlers = handlers;
    }

    /**
     * Applies the file if its content changed since the last time; answers, per declared id, null if in place or
     * why not (empty when nothing changed or the file is malformed).
     */
    public Map<String, Rejection> reload() {
        byte[] bytes;
        try {
            bytes = Files.exists(file) ? Files.readAllBytes(file) : new byte[0];
        } catch (IOException e) {
            LOG.warn("cannot read the handlers file {}: {}", file, e.toString());
            return Map.of();
        }
        String digest = digest(bytes);
        if (digest.equals(lastDigest)) {
            return Map.of();
        }
        Map<String, Handlers.Spec> declared = new LinkedHashMap<>();
        Map<String, String> secrets = new HashMap<>();
        Map<String, Boolean> enabled = new HashMap<>();
        Map<String, Rejection> out = new LinkedHashMap<>();
        try (Reader r = Files.newBufferedReader(file)) {
            Object root = bytes.length == 0 ? null : new Yaml().load(r);
            Object listed = root == null ? null : ((Map<?, ?>) root).get("bindings");
            List<?> entries = listed == null ? List.of() : (List<?>) listed;
            for (Object o : entries) {
                Map<?, ?> m = (Map<?, ?>) o;
                String id = String.valueOf(m.get("id"));
                try {
                    Handlers.Spec s = spec(m);
                    if (s.webhookUrl() != null && m.get("secret") == null) {
                        throw new IllegalArgumentException("a webhook binding needs a secret");
                    }
                    declared.put(id, s);
                    secrets.put(id, m.get("secret") == null ? "" : String.valueOf(m.get("secret")));
                    enabled.put(id, !Boolean.FALSE.equals(m.get("enabled")));
                } catch (RuntimeException e) {
                    out.put(id, Rejection.of(Rejection.Code.INVALID, String.valueOf(e.getMessage())));
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("the handlers file {} is malformed, nothing changed: {}", file, e.toString());
            lastDigest = digest;
            return Map.of();
        }
        out.putAll(handlers.applyFile(declared, secrets, enabled));
        out.forEach((id, why) -> {
            if (why != null) {
                LOG.warn("handlers file {}: binding {} skipped: {}", file, id, why.detail());
            }
        });
        LOG.info("handlers file {} applied: {} binding(s)", file, declared.size());
        lastDigest = digest;
        return out;
    }

    private static Handlers.Spec spec(Map<?, ?> m) {
        if (m.get("id") == null || !String.valueOf(m.get("id")).matches("[A-Za-z0-9-]{1,58}")) {
            throw new IllegalArgumentException("id must be 1-58 letters, digits or '-'");
        }
        Map<?, ?> webhook = (Map<?, ?>) m.get("webhook");
        Map<?, ?> retry = m.get("retry") == null ? Map.of() : (Map<?, ?>) m.get("retry");
        Map<String, String> filter = new TreeMap<>();
        if (m.get("filter") != null) {
            ((Map<?, ?>) m.get("filter")).forEach((k, v) -> filter.put(String.valueOf(k), String.valueOf(v)));
        }
        return new Handlers.Spec(m.get("owner") == null ? null : String.valueOf(m.get("owner")),
                String.valueOf(m.get("eventType")), filter, webhook == null ? null : String.valueOf(webhook.get("url")),
                m.get("address") == null ? null : String.valueOf(m.get("address")), number(m.get("priority"), 0),
                Binding.AckPolicy.valueOf(m.get("ackPolicy") == null ? "ALL" : String.valueOf(m.get("ackPolicy"))),
                number(m.get("timeoutMs"), 5000), number(retry.get("attempts"), 3), number(retry.get("backoffMs"), 1000),
                "file");
    }

    private static int number(Object o, int dflt) {
        return o == null ? dflt : ((Number) o).intValue();
    }

    private static String digest(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
