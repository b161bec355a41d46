package io.ichiba.broker;

import io.ichiba.ledger.LedgerSettings;
import io.ichiba.ledger.market.MarketSettings;
import io.ichiba.ledger.reservation.ReservationSettings;
import io.ichiba.pricing.SpotPriceCurve;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The broker's configuration: defaults, overridden by a properties file, overridden by environment variables.
 *
 * <p>Each key {@code a.b.c} has the environment variable {@code ICHIBA_A_B_C}. The file is named by
 * {@code --config FILE} or {@code ICHIBA_CONFIG}. With nothing set, the broker is one embedded member
 * serving HTTP on port 8080.
 *
 * @param httpHost             interface the HTTP server binds ({@code http.host})
 * @param httpPort             HTTP port ({@code http.port})
 * @param hzHost               interface the Hazelcast member binds and announces ({@code hz.host})
 * @param hzPort               Hazelcast port ({@code hz.port})
 * @param hzMembers            {@code host:port} of members to join over TCP, empty for alone ({@code hz.members})
 * @param clusterName          Hazelcast cluster name, the secret a member joins with ({@code hz.cluster}; required
 *                             with members, random when alone: {@link #clusterName})
 * @param operatorToken        the operator's bearer token, generated when unset ({@code operator.token})
 * @param operatorTokenGiven   whether the token came from the configuration
 * @param grantWaitMillis      how long {@code POST /v1/claims} waits for the admission loop's first look
 * @param reaperIntervalMillis the period of the engine's {@code leases} timer (the market's 4 times, the purges' 20 times longer)
 * @param auditIntervalSeconds how often the auditor runs (0 = only on demand)
 * @param workerThreads        threads that run ledger calls off the event loop
 * @param ledger               the ledger's rules: aging, starvation bound, stale grants, retention, max lease
 * @param market               the market's rules: terms, prices, notice, compensation, premium, spot curve
 * @param reservations         the reservations' rules: lead time of the recall, largest count, horizon, fee
 * @param handlersFile         a YAML file of handler bindings, loaded at start and reloaded on change
 *                             ({@code handlers.file}; empty: none)
 * @param clusterMinSize       how many members must be reachable for the engine to write ({@code cluster.min.size};
 *                             0: a majority of {@code hz.members}, 1 when alone)
 * @param security             what the broker lets out and in: webhook destinations ({@link Security})
 * @param durability           where the journal is kept on disk ({@link Durability})
 */
public record BrokerConfig(String httpHost, int httpPort, String hzHost, int hzPort, List<String> hzMembers,
                           String clusterName, String operatorToken, boolean operatorTokenGiven,
                           long grantWaitMillis, long reaperIntervalMillis, long auditIntervalSeconds,
                           int workerThreads, LedgerSettings ledger, MarketSettings market,
                           ReservationSettings reservations, String handlersFile, int clusterMinSize,
                           Security security, Durability durability) {

    /** Loads the configuration from the command line, the environment and the file they name. */
    public static BrokerConfig load(String[] args, Map<String, String> env) throws IOException {
        Properties p = new Properties();
        String file = env.get("ICHIBA_CONFIG");
        List<String> a = new ArrayList<>(Arrays.asList(args));
        int i = a.indexOf("--config");
        if (i >= 0 && i + 1 < a.size()) {
            file = a.get(i + 1);
        }
        if (file != null && !file.isBlank()) {
            try (Reader r = Files.newBufferedReader(Path.of(file))) {
                p.load(r);
            }
        }
        return from(key -> {
            String fromEnv = env.get("ICHIBA_" + key.toUpperCase(Locale.ROOT).replace('.', '_'));
            return fromEnv != null ? fromEnv : p.getProperty(key);
        });
    }

    /** Builds the configuration from a lookup of keys ({@code null} for unset). */
    public static BrokerConfig from(java.util.function.Function<String, String> lookup) {
        Values v = new Values(lookup);
        String token = v.str("operator.token", "");
        boolean given = !token.isBlank();
        if (!given) {
            token = Tokens.newToken();
        } else if (token.length() < MIN_OPERATOR_TOKEN) {
            throw new IllegalArgumentException("operator.token (ICHIBA_OPERATOR_TOKEN) must have "
                    + MIN_OPERATOR_TOKEN + " characters or more (it has " + token.length() + "): e.g. openssl rand -hex 24");
        }
        LedgerSettings d = LedgerSettings.defaults();
        LedgerSettings ledger = new LedgerSettings(
                v.num("admission.aging.millis", d.agingMillisPerPriority()),
                v.num("admission.starvation.millis", d.starvationMillis()),
                v.num("claims.retention.millis", d.retentionMillis()),
                v.num("lease.max.seconds", d.maxLeaseSeconds()),
                v.num("node.grace.millis", d.nodeGraceMillis()),
                new io.ichiba.ledger.tenant.TenantLimits(
                        v.limit("tenant.limit.live.claims", d.limits().liveClaims()),
                        v.limit("tenant.limit.queued.claims", d.limits().queuedClaims()),
                        v.limit("tenant.limit.open.jobs", d.limits().openJobs()),
                        v.limit("tenant.limit.open.orders", d.limits().openOrders()),
                        v.limit("tenant.limit.reservations", d.limits().reservations())),
                v.num("claims.retained.max", d.retainedMax()));
        MarketSettings m = MarketSettings.defaults();
        SpotPriceCurve c = m.curve();
        MarketSettings market = new MarketSettings(
                v.num("market.term.max.seconds", m.maxTermSeconds()),
                v.num("market.price.max", m.maxPrice()),
                v.num("market.recall.notice.seconds", m.defaultNoticeSeconds()),
                v.num("market.compensation", m.compensation()),
                v.num("market.urgent.premium.percent", m.urgentPremiumPercent()),
                v.num("market.spot.window.millis", m.spotWindowMillis()),
                new SpotPriceCurve(v.num("market.spot.floor", c.floor()), v.num("market.spot.ceiling", c.ceiling()),
                        v.dbl("market.spot.knee", c.knee()), v.dbl("market.spot.exponent", c.exponent())));
        ReservationSettings r = ReservationSettings.defaults();
        List<String> memberList = v.list("hz.members");
        return new BrokerConfig(v.str("http.host", "127.0.0.1"), (int) v.num("http.port", 8080),
                v.str("hz.host", "127.0.0.1"), (int) v.num("hz.port", 5701), memberList,
                clusterName(v.str("hz.cluster", ""), memberList), token, given,
                v.num("admission.grant.wait.millis", 2000), v.num("reaper.interval.millis", 250),
                v.num("audit.interval.seconds", 30), (int) v.num("worker.threads", 32), ledger, market,
                new ReservationSettings(v.num("reservations.lead.seconds", r.leadSeconds()),
                        (int) v.num("reservations.max.count", r.maxCount()),
                        v.num("reservations.advance.max.seconds", r.maxAdvanceSeconds()),
                        v.num("reservations.window.max.seconds", r.maxWindowSeconds()),
                        v.num("reservations.cancel.fee.percent", r.cancelFeePercent()), r.searchLimit()),
                v.str("handlers.file", ""), (int) v.num("cluster.min.size", 0),
                security(v), durability(v, memberList));
    }

    /** The shortest operator token a broker starts with: it stands for every right there is. */
    public static final int MIN_OPERATOR_TOKEN = 32;

    /** The shortest cluster name a broker with members accepts: the name is the secret a member joins with. */
    public static final int MIN_CLUSTER_NAME = 16;

    /**
     * The cluster's name, which is the secret a member must know to join (Hazelcast checks nothing else): required,
     * of {@value #MIN_CLUSTER_NAME} characters at least, when {@code members} are listed; a random one when alone and
     * none is given, so that nobody joins a lone broker.
     */
    static String clusterName(String given, List<String> members) {
        if (given.isEmpty()) {
            if (!members.isEmpty()) {
                throw new IllegalArgumentException("with hz.members (ICHIBA_HZ_MEMBERS) set, set hz.cluster "
                        + "(ICHIBA_HZ_CLUSTER) too: a secret name of " + MIN_CLUSTER_NAME + " characters or more, the "
                        + "same on every member (the only thing a member must know to join)");
            }
            return "ichiba-" + Tokens.newToken().substring(4);
        }
        if (!members.isEmpty() && (given.length() < MIN_CLUSTER_NAME || given.equals("ichiba"))) {
            throw new IllegalArgumentException("hz.cluster (ICHIBA_HZ_CLUSTER) is the secret a member must know to "
                    + "join: give one of " + MIN_CLUSTER_NAME + " characters or more (it has " + given.length() + ")");
        }
        return given;
    }

    /** Returns a copy with other ports and members (for tests and tools that start several brokers). */
    public BrokerConfig withPorts(int http, int hz, List<String> members) {
        return new BrokerConfig(httpHost, http, hzHost, hz, members, clusterName, operatorToken, operatorTokenGiven,
                grantWaitMillis, reaperIntervalMillis, auditIntervalSeconds, workerThreads, ledger, market,
                reservations, handlersFile, clusterMinSize, security, durability);
    }

    /** Returns a copy with another cluster name and operator token. */
    public BrokerConfig withCluster(String name, String token) {
        return new BrokerConfig(httpHost, httpPort, hzHost, hzPort, hzMembers, name, token, true, grantWaitMillis,
                reaperIntervalMillis, auditIntervalSeconds, workerThreads, ledger, market,
                reservations, handlersFile, clusterMinSize, security, durability);
    }

    /** Returns a copy with other ledger rules. */
    public BrokerConfig withLedger(LedgerSettings settings) {
        return new BrokerConfig(httpHost, httpPort, hzHost, hzPort, hzMembers, clusterName, operatorToken,
                operatorTokenGiven, grantWaitMillis, reaperIntervalMillis, auditIntervalSeconds, workerThreads,
                settings, market, reservations, handlersFile, clusterMinSize, security, durability);
    }

    /** Returns a copy with other market rules. */
    public BrokerConfig withMarket(MarketSettings settings) {
        return new BrokerConfig(httpHost, httpPort, hzHost, hzPort, hzMembers, clusterName, operatorToken,
                operatorTokenGiven, grantWaitMillis, reaperIntervalMillis, auditIntervalSeconds, workerThreads,
                ledger, settings, reservations, handlersFile, clusterMinSize, security, durability);
    }

    /** Returns a copy with other reservation rules. */
    public BrokerConfig withReservations(ReservationSettings settings) {
        return new BrokerConfig(httpHost, httpPort, hzHost, hzPort, hzMembers, clusterName, operatorToken,
                operatorTokenGiven, grantWaitMillis, reaperIntervalMillis, auditIntervalSeconds, workerThreads,
                ledger, market, settings, handlersFile, clusterMinSize, security, durability);
    }

    /** Returns a copy whose auditor runs every {@code seconds} (0: only on demand). */
    public BrokerConfig withAuditIntervalSeconds(long seconds) {
        return new BrokerConfig(httpHost, httpPort, hzHost, hzPort, hzMembers, clusterName, operatorToken,
                operatorTokenGiven, grantWaitMillis, reaperIntervalMillis, seconds, workerThreads,
                ledger, market, reservations, handlersFile, clusterMinSize, security, durability);
    }

    /** Returns a copy that needs {@code size} members to write (0: a majority of the members listed). */
    public BrokerConfig withClusterMinSize(int size) {
        return new BrokerConfig(httpHost, httpPort, hzHost, hzPort, hzMembers, clusterName, operatorToken,
                operatorTokenGiven, grantWaitMillis, reaperIntervalMillis, auditIntervalSeconds, workerThreads,
                ledger, market, reservations, handlersFile, size, security, durability);
    }

    /** How many members must be reachable for the engine to write: as configured, else a majority of the list. */
    public int minClusterSize() {
        return clusterMinSize > 0 ? clusterMinSize : Math.max(1, hzMembers.size() / 2 + 1);
    }

    /** Returns a copy with other security settings. */
    public BrokerConfig withSecurity(Security settings) {
        return new BrokerConfig(httpHost, httpPort, hzHost, hzPort, hzMembers, clusterName, operatorToken,
                operatorTokenGiven, grantWaitMillis, reaperIntervalMillis, auditIntervalSeconds, workerThreads,
                ledger, market, reservations, handlersFile, clusterMinSize, settings, durability);
    }

    /**
     * What the broker lets out and in.
     *
     * @param webhookAllow         addresses (an IP or a CIDR range, IPv4 or IPv6) webhooks may be delivered to although
     *                             they are loopback, link-local, private or otherwise internal ({@code webhook.allow},
     *                             comma-separated; empty: none, only public addresses)
     * @param rateLimit            requests a second one token (not the operator's) may make of one member
     *                             ({@code http.rate.limit}; 0: no limit)
     * @param rateBurst            how many at once ({@code http.rate.burst}; at least the rate)
     * @param streamsPerToken      event streams one token may hold open on one member ({@code http.streams.per.token};
     *                             0: no limit)
     * @param waitsPerToken        long-polls one token may have waiting on one member ({@code http.waits.per.token};
     *                             0: no limit)
     * @param publicMetrics        whether {@code /metrics} and the member's address in {@code /ready} are for anyone
     *                             ({@code public.metrics}); false: for the operator's token only
     * @param idleTimeoutSeconds   a connection silent this long is closed ({@code http.idle.timeout.seconds}; above the
     *                             longest long-poll, 60 s, and the event stream's keep-alive, 15 s)
     * @param headerTimeoutSeconds a connection's first request must have arrived whole by then, or it is closed
     *                             ({@code http.header.timeout.seconds})
     * @param tlsCert              the HTTP server's certificate chain, a PEM file ({@code tls.cert}); with
     *                             {@code tlsKey} the API is served over HTTPS only; empty: plain HTTP
     * @param tlsKey               its private key, a PEM file (PKCS#8 or PKCS#1; {@code tls.key})
     */
    public record Security(List<String> webhookAllow, long rateLimit, long rateBurst, int streamsPerToken,
                           int waitsPerToken, boolean publicMetrics, int idleTimeoutSeconds,
                           int headerTimeoutSeconds, String tlsCert, String tlsKey) {
        /** The defaults: nothing internal for webhooks, 2 000 requests a second, 16 streams, 64 waits, public metrics. */
        public static Security defaults() {
            return new Security(List.of(), 2000, 4000, 16, 64, true, 90, 10, "", "");
        }

        /** A copy with other webhook destinations allowed. */
        public Security withWebhookAllow(List<String> allow) {
            return new Security(allow, rateLimit, rateBurst, streamsPerToken, waitsPerToken, publicMetrics,
                    idleTimeoutSeconds, headerTimeoutSeconds, tlsCert, tlsKey);
        }

        /** A copy with other per-token limits (0: none). */
        public Security withLimits(long rate, long burst, int streams, int waits) {
            return new Security(webhookAllow, rate, burst, streams, waits, publicMetrics, idleTimeoutSeconds,
                    headerTimeoutSeconds, tlsCert, tlsKey);
        }

        /** A copy serving HTTPS with the PEM files {@code cert} and {@code key}. */
        public Security withTls(String cert, String key) {
            return new Security(webhookAllow, rateLimit, rateBurst, streamsPerToken, waitsPerToken, publicMetrics,
                    idleTimeoutSeconds, headerTimeoutSeconds, cert, key);
        }

        /** Whether the API is served over HTTPS. */
        public boolean tls() {
            return !tlsCert.isEmpty();
        }
    }

    /** Returns a copy with the journal kept as {@code settings} says. */
    public BrokerConfig withDurability(Durability settings) {
        return new BrokerConfig(httpHost, httpPort, hzHost, hzPort, hzMembers, clusterName, operatorToken,
                operatorTokenGiven, grantWaitMillis, reaperIntervalMillis, auditIntervalSeconds, workerThreads,
                ledger, market, reservations, handlersFile, clusterMinSize, security, settings);
    }

    /**
     * Where the journal's durable step writes (issue 15): PostgreSQL when {@code dbUrl} is set, else an embedded SQLite
     * file in {@code dataDir}, else nowhere (the state lives in the members' memory only).
     *
     * @param dataDir         the embedded database's directory ({@code data.dir}; default {@code ichiba-data}, relative
     *                        to where the broker starts; {@code none}: no embedded database). Used only when alone:
     *                        members each with a file of their own would each hold part of the history
     * @param dbUrl           a PostgreSQL JDBC URL ({@code db.url}), shared by every member; empty: none
     * @param dbUser          its user ({@code db.user})
     * @param dbPassword      its password ({@code db.password})
     * @param snapshotBatches a snapshot of the whole state every this many batches ({@code snapshot.batches})
     * @param snapshotSeconds or this often, whichever comes first ({@code snapshot.seconds})
     */
    public record Durability(String dataDir, String dbUrl, String dbUser, String dbPassword, long snapshotBatches,
                             long snapshotSeconds) {
        /** The default directory of the embedded database. */
        public static final String DEFAULT_DIR = "ichiba-data";

        /** Nothing on disk: the state lives in the members' memory (tests, benchmarks). */
        public static Durability none() {
            return new Durability("none", "", "", "", 50_000, 300);
        }

        /** The embedded database in {@code dir}. */
        public static Durability embedded(Path dir) {
            return new Durability(dir.toString(), "", "", "", 50_000, 300);
        }

        /** A copy that takes a snapshot every {@code batches} batches or {@code seconds}. */
        public Durability withSnapshots(long batches, long seconds) {
            return new Durability(dataDir, dbUrl, dbUser, dbPassword, batches, seconds);
        }

        /** Whether the journal goes to PostgreSQL. */
        public boolean remote() {
            return !dbUrl.isEmpty();
        }

        /** Whether the journal goes to the embedded database. */
        public boolean embedded() {
            return !remote() && !dataDir.isEmpty() && !dataDir.equals("none");
        }

        /** Without the password, and the URL without its parameters (which may hold one too). */
        @Override
        public String toString() {
            return "Durability[dataDir=" + dataDir + ", dbUrl=" + dbUrl.replaceAll("\\?.*", "") + ", dbUser=" + dbUser
                    + ", dbPassword=" + (dbPassword.isEmpty() ? "" : "***") + ", snapshotBatches=" + snapshotBatches
                    + ", snapshotSeconds=" + snapshotSeconds + "]";
        }
    }

    private static Durability durability(Values v, List<String> members) {
        Durability d = new Durability(v.str("data.dir", Durability.DEFAULT_DIR), v.str("db.url", ""),
                v.str("db.user", ""), v.str("db.password", ""), v.num("snapshot.batches", 50_000),
                v.num("snapshot.seconds", 300));
        if (d.remote() && !d.dbUrl().startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("db.url (ICHIBA_DB_URL) must be a PostgreSQL JDBC URL "
                    + "(jdbc:postgresql://host:5432/ichiba), was " + d.dbUrl().replaceAll("\\?.*", ""));
        }
        if (d.snapshotBatches() < 1 || d.snapshotSeconds() < 1) {
            throw new IllegalArgumentException("snapshot.batches and snapshot.seconds must be 1 or more");
        }
        if (!members.isEmpty() && !d.remote()) {
            // one file per member would hold only the batches that member journaled: no embedded database in a cluster
            return new Durability("none", "", "", "", d.snapshotBatches(), d.snapshotSeconds());
        }
        return d;
    }

    /** Returns a copy that loads handler bindings from {@code file}. */
    public BrokerConfig withHandlersFile(String file) {
        return new BrokerConfig(httpHost, httpPort, hzHost, hzPort, hzMembers, clusterName, operatorToken,
                operatorTokenGiven, grantWaitMillis, reaperIntervalMillis, auditIntervalSeconds, workerThreads,
                ledger, market, reservations, file, clusterMinSize, security, durability);
    }

    private static Security security(Values v) {
        Security d = Security.defaults();
        long rate = v.num("http.rate.limit", d.rateLimit());
        Security s = new Security(v.list("webhook.allow"), rate, v.num("http.rate.burst", 2 * rate),
                (int) v.num("http.streams.per.token", d.streamsPerToken()),
                (int) v.num("http.waits.per.token", d.waitsPerToken()), v.bool("public.metrics", d.publicMetrics()),
                (int) v.num("http.idle.timeout.seconds", d.idleTimeoutSeconds()),
                (int) v.num("http.header.timeout.seconds", d.headerTimeoutSeconds()),
                v.str("tls.cert", ""), v.str("tls.key", ""));
        if (s.tlsCert().isEmpty() != s.tlsKey().isEmpty()) {
            throw new IllegalArgumentException("set both tls.cert and tls.key (ICHIBA_TLS_CERT, ICHIBA_TLS_KEY), or "
                    + "neither");
        }
        io.ichiba.broker.handlers.WebhookTargets.allowing(s.webhookAllow()); // a malformed entry: said at start
        for (String file : new String[] {s.tlsCert(), s.tlsKey()}) {
            if (!file.isEmpty() && !Files.isReadable(Path.of(file))) {
                throw new IllegalArgumentException("tls.cert / tls.key: cannot read " + file);
            }
        }
        if (s.rateLimit() < 0 || s.rateBurst() < 0 || s.streamsPerToken() < 0 || s.waitsPerToken() < 0
                || s.idleTimeoutSeconds() < 0 || s.headerTimeoutSeconds() < 0) {
            throw new IllegalArgumentException("http.rate.*, http.*.per.token and http.*.timeout.seconds must be 0 or more");
        }
        return s;
    }

    private record Values(java.util.function.Function<String, String> lookup) {
        boolean bool(String key, boolean dflt) {
            String s = str(key, "");
            if (s.isEmpty()) {
                return dflt;
            }
            if (!s.equalsIgnoreCase("true") && !s.equalsIgnoreCase("false")) {
                throw new IllegalArgumentException("configuration " + key + " must be true or false, was '" + s + "'");
            }
            return Boolean.parseBoolean(s);
        }

        List<String> list(String key) {
            String s = str(key, "");
            return s.isBlank() ? List.of() : Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty())
                    .toList();
        }

        String str(String key, String dflt) {
            String s = lookup.apply(key);
            return s == null ? dflt : s.trim();
        }

        long num(String key, long dflt) {
            String s = lookup.apply(key);
            if (s == null || s.isBlank()) {
                return dflt;
            }
            try {
                return Long.parseLong(s.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("configuration " + key + " must be a whole number, was '" + s + "'");
            }
        }

        /** A tenant limit: a count of at least 0, or {@code none} (no limit). */
        long limit(String key, long dflt) {
            String s = lookup.apply(key);
            if (s != null && s.trim().equalsIgnoreCase("none")) {
                return Long.MAX_VALUE;
            }
            long n = num(key, dflt);
            if (n < 0) {
                throw new IllegalArgumentException("configuration " + key + " must be at least 0 or 'none', was " + n);
            }
            return n;
        }

        double dbl(String key, double dflt) {
            String s = lookup.apply(key);
            if (s == null || s.isBlank()) {
                return dflt;
            }
            try {
                return Double.parseDouble(s.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("configuration " + key + " must be a number, was '" + s + "'");
            }
        }
    }
}
