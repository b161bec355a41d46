package io.ichiba.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Which operating-system user runs a tenant's jobs: the one a mapping names for the tenant, else a default, else
 * ({@link #SAME}) the agent's own user. A job run as another user is started through {@code setpriv} (util-linux)
 * with that user's ids and groups and no new privileges; the agent must then run as root.
 *
 * <p>The mapping file ({@code --run-as-map}) has one {@code tenant = user} per line; {@code #} starts a comment.
 *
 * @param defaultUser the user of a tenant the mapping does not name; {@code null}: the agent's own
 * @param byTenant    tenant to user
 */
public record JobUsers(String defaultUser, Map<String, String> byTenant) {
    /** Every job as the agent's own user. */
    public static final JobUsers SAME = new JobUsers(null, Map.of());

    /** What a user name may look like (POSIX portable names, as useradd takes them). */
    static final Pattern USER = Pattern.compile("^[a-z_][a-z0-9_-]{0,31}\\$?$");

    /** Checks the names. */
    public JobUsers {
        byTenant = Map.copyOf(byTenant);
        if (defaultUser != null && !USER.matcher(defaultUser).matches()) {
            throw new IllegalArgumentException("'" + defaultUser + "' is not a user name");
        }
        byTenant.forEach((tenant, user) -> {
            if (!USER.matcher(user).matches()) {
                throw new IllegalArgumentException("'" + user + "' (for tenant " + tenant + ") is not a user name");
            }
        });
    }

    /** The user of {@code tenant}'s jobs, or {@code null} for the agent's own. */
    public String userFor(String tenant) {
        return tenant != null && byTenant.containsKey(tenant) ? byTenant.get(tenant) : defaultUser;
    }

    /** Whether some job runs as another user than the agent's. */
    public boolean switches() {
        return defaultUser != null || !byTenant.isEmpty();
    }

    /** The users of {@code defaultUser} and the mapping in {@code file} (either may be {@code null}). */
    public static JobUsers load(String defaultUser, Path file) throws IOException {
        Map<String, String> map = new TreeMap<>();
        if (file != null) {
            int n = 0;
            for (String raw : Files.readAllLines(file)) {
                n++;
                String line = raw.contains("#") ? raw.substring(0, raw.indexOf('#')) : raw;
                if (line.isBlank()) {
                    continue;
                }
                String[] kv = line.split("=", 2);
                if (kv.length != 2 || kv[0].isBlank() || kv[1].isBlank()) {
                    throw new IllegalArgumentException(file + ":" + n + ": expected 'tenant = user', was '" + raw + "'");
                }
                map.put(kv[0].strip(), kv[1].strip());
            }
        }
        return new JobUsers(defaultUser == null || defaultUser.isBlank() ? null : defaultUser.strip(), map);
    }

    /** The primary group of {@code user} ({@code id -gn}); an {@link IOException} if there is no such user. */
    static String primaryGroup(String user) throws IOException {
        Process p = new ProcessBuilder("id", "-gn", "--", user).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
        try {
            if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0 || out.isEmpty()) {
                p.destroyForcibly();
                throw new IOException("no user " + user + " on this machine (id -gn: " + out + ")");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while looking up user " + user, e);
        }
        return out;
    }

    /**
     * The command that runs {@code command} as {@code user}: {@code setpriv} with the user's ids and groups, and no
     * new privileges (no set-uid program gives them back).
     */
    static List<String> as(String user, String group, List<String> command) {
        List<String> out = new java.util.ArrayList<>(List.of("setpriv", "--reuid=" + user, "--regid=" + group,
                "--init-groups", "--no-new-privs", "--"));
        out.addAll(command);
        return out;
    }
}
