package io.ichiba.broker;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.AdvancedNetworkConfig;
import com.hazelcast.config.ServerSocketEndpointConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.ichiba.broker.admission.AdmissionLoop;
import io.ichiba.broker.admission.ChangeWatch;
import io.ichiba.broker.engine.EngineMeters;
import io.ichiba.broker.handlers.BindingsFile;
import io.ichiba.broker.handlers.HandlerDispatcher;
import io.ichiba.broker.http.Api;
import io.ichiba.broker.http.ApiContext;
import io.ichiba.broker.http.ApiRouter;
import io.ichiba.broker.http.Authenticator;
import io.ichiba.broker.http.Idempotency;
import io.ichiba.ledger.Auditor;
import io.ichiba.ledger.Handlers;
import io.ichiba.ledger.Jobs;
import io.ichiba.ledger.LeaseReaper;
import io.ichiba.ledger.Ledger;
import io.ichiba.ledger.engine.EngineStore;
import io.ichiba.ledger.hazelcast.HazelcastEngine;
import io.ichiba.ledger.store.Store;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One broker process: an embedded Hazelcast member, clustered Vert.x over it, the ledger on the engine's store,
 * the admission loop, the lease reaper, the auditor, the metrics, and the HTTP API.
 *
 * <pre>
 *   HTTP ─► Vert.x router (openapi.yaml) ─► worker pool ─► Ledger ─► EngineStore ─► the engine (one thread on the
 *                                                                        ▲            owner of "ichiba.engine";
 *   AdmissionLoop (the engine's member) ── a pass = one command ─────────┤            other members send it their
 *   timers on the engine's thread: leases, nodes, market, purges ───────┘            calls) ─► HazelcastJournal
 * </pre>
 */
public final class Broker {
    private static final Logger LOG = LoggerFactory.getLogger(Broker.class);

    private final BrokerConfig config;
    private final HazelcastInstance hz;
    private final Vertx vertx;
    private final Store store;
    private final Ledger ledger;
    private final AdmissionLoop loop;
    private final Background background;
    private final HttpServer server;
    private final WorkerExecutor worker;
    private final ExecutorService jobFollower;
    private final HandlerDispatcher dispatcher;

    private Broker(BrokerConfig config, HazelcastInstance hz, Vertx vertx, Store store, Ledger ledger,
                   AdmissionLoop loop, Background background, HttpServer server, WorkerExecutor worker,
                   ExecutorService jobFollower, HandlerDispatcher dispatcher) {
        this.config = config;
        this.hz = hz;
        this.vertx = vertx;
        this.store = store;
        this.ledger = ledger;
        this.loop = loop;
        this.background = background;
        this.server = server;
        this.worker = worker;
        this.jobFollower = jobFollower;
        this.dispatcher = dispatcher;
    }

    /**
     * Builds the Hazelcast configuration: TCP join on the given members, never multicast, no phoning home; one
     * server socket, for members only (advanced networking without a client endpoint: a Hazelcast client cannot
     * connect, whatever it knows), on the member interface; Java deserialization limited to the allow-list
     * ({@link HazelcastEngine#configure}).
     */
    public static Config hazelcastConfig(BrokerConfig c) {
        Config hc = ConfigUtil.loadConfig();
        hc.setClusterName(c.clusterName());
        hc.setInstanceName("ichiba-" + c.hzPort() + "-" + UUID.randomUUID().toString().substring(0, 8));
        hc.setProperty("hazelcast.phone.home.enabled", "false");
        hc.setProperty("hazelcast.logging.type", "slf4j");
        hc.setProperty("hazelcast.shutdownhook.enabled", "false");
        hc.setProperty("hazelcast.socket.bind.any", "false");
        hc.setProperty("hazelcast.wait.seconds.before.join", "0");
        hc.setProperty("hazelcast.max.no.heartbeat.seconds", "15");
        AdvancedNetworkConfig net = hc.getAdvancedNetworkConfig().setEnabled(true);
        ServerSocketEndpointConfig members = new ServerSocketEndpointConfig();
        members.setPort(c.hzPort()).setPortAutoIncrement(false);
        members.getInterfaces().setEnabled(true).addInterface(c.hzHost());
        net.setMemberEndpointConfig(members);
        JoinConfig join = net.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).setMembers(c.hzMembers());
        hc.getMemberAttributeConfig().setAttribute("__vertx.nodeId", UUID.randomUUID().toString());
        // Vert.x's own registrations (event-bus consumers, nodes) get asynchronous backups. The member fails a write
        // whose synchronous backup did not answer in time, as the journal needs; for these registrations that failed
        // joins and event-bus consumers on a busy machine (in CI), and Vert.x writes them again as members change.
        hc.getMultiMapConfig("__vertx.subs").setBackupCount(0).setAsyncBackupCount(1);
        hc.getMapConfig("__vertx.haInfo").setBackupCount(0).setAsyncBackupCount(1);
        hc.getMapConfig("__vertx.nodeInfo").setBackupCount(0).setAsyncBackupCount(1);
        return HazelcastEngine.protect(HazelcastEngine.configure(hc), c.minClusterSize(), c.hzMembers().size());
    }

    /** Starts a broker and returns once it serves HTTP. */
    public static Broker start(BrokerConfig config) throws Exception {
        HazelcastInstance hz = Hazelcast.newHazelcastInstance(hazelcastConfig(config));
        try {
            return start(config, hz);
        } catch (Exception e) {
            hz.getLifecycleService().terminate();
            throw e;
        }
    }

    static final int JOIN_ATTEMPTS = 4;

    /**
     * Starts clustered Vert.x over the broker's member, again (up to {@code attempts} times in all) when the start
     * failed only because a write's outcome was unknown. The member fails such writes instead of calling them done
     * ({@code hazelcast.operation.fail.on.indeterminate.state}, for the engine's journal), and Vert.x's own write of
     * its node's address during the join is one of them: its backup's ack can miss while partitions migrate, as when
     * members join together on a slow machine. That write is a put of the same value, so it is safe to repeat.
     */
    static Vertx joinVertx(java.util.function.Supplier<io.vertx.core.Future<Vertx>> start, int attempts)
            throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                return start.get().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                if (attempt >= attempts || !indeterminate(e)) {
                    throw e;
                }
                LOG.warn("joining the cluster's event bus failed with an outcome unknown (attempt {} of {}); "
                        + "trying again: {}", attempt, attempts, e.getCause().toString());
            }
        }
    }

    /**
     * The journal's database: PostgreSQL at {@code db.url}, else the embedded one in {@code data.dir}, else none (the
     * state lives in the members' memory, said once).
     */
    private static io.ichiba.ledger.jdbc.DurableStore durableStore(BrokerConfig.Durability d, Clock clock) {
        if (d.remote()) {
            LOG.info("the journal is kept in PostgreSQL at {}", d.dbUrl().replaceAll("\\?.*", "")); // no credentials
            return io.ichiba.ledger.jdbc.DurableStore.remote(d.dbUrl(), d.dbUser(), d.dbPassword(), clock);
        }
        if (d.embedded()) {
            java.nio.file.Path dir = java.nio.file.Path.of(d.dataDir()).toAbsolutePath();
            LOG.info("the journal is kept in {} (ICHIBA_DATA_DIR): state survives a restart", dir);
            return io.ichiba.ledger.jdbc.DurableStore.embedded(dir, clock);
        }
        LOG.warn("the journal is kept in the members' memory only (no ICHIBA_DB_URL{}): when every member stops, the "
                + "state is gone", d.dataDir().equals("none") ? ", ICHIBA_DATA_DIR=none" : " in a cluster");
        return null;
    }

    private static boolean indeterminate(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof com.hazelcast.core.IndeterminateOperationStateException) {
                return true;
            }
        }
        return false;
    }

    private static Broker start(BrokerConfig config, HazelcastInstance hz) throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        BrokerMetrics.configureForPrometheus(registry);
        VertxOptions options = new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions()
                .setEnabled(true).setJvmMetricsEnabled(true)
                .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)));
        options.getEventBusOptions().setHost(config.hzHost()).setClusterPublicHost(config.hzHost());
        Vertx vertx = joinVertx(() -> Vertx.builder().with(options).withClusterManager(new HazelcastClusterManager(hz))
                .withMetrics(new MicrometerMetricsFactory(registry)).buildClustered(), JOIN_ATTEMPTS);
        // every message the members send each other on the event bus is signed under the cluster's name
        io.ichiba.broker.engine.SignedCodec.register(vertx, config.clusterName());

        if (java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() <= 1) {
            LOG.warn("the JDK's common pool has one thread: Hazelcast starts a thread for every asynchronous "
                    + "completion; run with -D{}=2", Main.COMMON_POOL);
        }
        Clock clock = Clock.systemUTC();
        EngineMeters engineMeters = new EngineMeters(registry);
        io.ichiba.ledger.jdbc.DurableStore durable = durableStore(config.durability(), clock);
        EngineStore store = HazelcastEngine.store(hz, engineMeters, durable == null ? j -> j
                : j -> new io.ichiba.ledger.jdbc.DurableJournal(j, durable, config.durability().snapshotBatches(),
                config.durability().snapshotSeconds() * 1000, new io.ichiba.broker.engine.JournalMeters(registry,
                config.durability().remote() ? "postgresql" : "embedded"), System::nanoTime));
        engineMeters.bind(store.engine());
        Ledger ledger = new Ledger(store, clock, config.ledger(), config.market(), config.reservations());
        try {
            ledger.accounts().openSystemAccounts();
        } catch (io.ichiba.ledger.engine.EngineUnavailableException notYet) {
            // too few members to write yet: the engine's member opens them when it starts (AdmissionLoop)
            LOG.info("the system accounts open once the engine runs: {}", notYet.getMessage());
        }
        BrokerMetrics metrics = new BrokerMetrics(registry, ledger);
        AdmissionLoop loop = new AdmissionLoop(hz, ledger, metrics, 250, store.engine()::active,
                store.engine()::epoch);
        WorkerExecutor worker = vertx.createSharedWorkerExecutor("ichiba-ledger", config.workerThreads());
        ChangeWatch watch = new ChangeWatch(vertx);
        // the engine's member tells every member's watch over the event bus; the state maps' events are not needed
        java.util.function.Consumer<String> changed = new io.ichiba.broker.admission.ChangeFeed(vertx, watch)::changed;
        store.claims().listenLocal(c -> changed.accept(c.id()));
        Jobs jobs = new Jobs(ledger);
        ExecutorService jobFollower = followJobs(store, jobs, changed);
        // the engine publishes the events of each batch it journals
        engineMeters.onEvents(e -> {
            metrics.eventAppended(e);
            metrics.events().eventsRelayed(1);
        });
        loop.start();
        io.ichiba.broker.handlers.WebhookTargets webhooks = io.ichiba.broker.handlers.WebhookTargets.allowing(
                config.security().webhookAllow());
        HandlerDispatcher dispatcher = new HandlerDispatcher(vertx, new Handlers(ledger), worker, loop::owner,
                metrics.events()::handlerAttempt, webhooks);
        Background background = scheduleBackground(config, ledger, metrics, loop, jobs);

        OpenAPIContract contract = io.ichiba.broker.http.Contract.load(vertx)
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        Idempotency idempotency = new Idempotency(store, worker, clock);
        // operations of the HTTP edge reach the engine's member over the event bus (closed with Vert.x)
        io.ichiba.broker.engine.Forwarder forwarder = io.ichiba.broker.engine.Forwarder.start(vertx, hz, store,
                registry).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        io.ichiba.broker.BrokerConfig.Security security = config.security();
        java.util.Set<String> publicPaths = new java.util.TreeSet<>(ApiRouter.publicPaths(contract));
        if (!security.publicMetrics()) {
            publicPaths.remove("/metrics"); // the operator's token only
        }
        Authenticator auth = new Authenticator(publicPaths, config.operatorToken(), store, worker);
        io.ichiba.broker.http.CallerLimits limits = new io.ichiba.broker.http.CallerLimits(security.rateLimit(),
                security.rateBurst(), security.streamsPerToken(), security.waitsPerToken(), limit ->
                io.micrometer.core.instrument.Counter.builder("ichiba.http.limited").tag("limit", limit)
                        .description("requests refused 429 by a per-token limit of the HTTP edge (rate, streams, "
                                + "waits)").register(registry).increment());
        io.ichiba.broker.http.TokenRevocations revocations = io.ichiba.broker.http.TokenRevocations.start(vertx, hz,
                auth).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        ApiContext ctx = new ApiContext(vertx, ledger, worker, watch, loop::nudge, config.grantWaitMillis(),
                idempotency, jobs, forwarder, webhooks, revocations, limits);
        Router router = ApiRouter.create(vertx, contract,
                Api.operations(ctx, metrics, () -> hz.getLifecycleService().isRunning(),
                        () -> hz.getCluster().getLocalMember().getAddress().toString(),
                        () -> hz.getCluster().getMembers().size(), security.publicMetrics()),
                Map.of("metrics", security.publicMetrics() ? PrometheusScrapingHandler.create(registry)
                        : ApiRouter.operatorOnly(PrometheusScrapingHandler.create(registry))),
                auth, idempotency, limits);
        io.ichiba.broker.http.HeaderDeadline headers = new io.ichiba.broker.http.HeaderDeadline(vertx,
                TimeUnit.SECONDS.toMillis(security.headerTimeoutSeconds()));
        HttpServerOptions http = new HttpServerOptions().setHost(config.httpHost()).setPort(config.httpPort())
                .setCompressionSupported(true)
                .setIdleTimeout(security.idleTimeoutSeconds()).setIdleTimeoutUnit(TimeUnit.SECONDS);
        if (security.tls()) {
            http.setSsl(true).setKeyCertOptions(new io.vertx.core.net.PemKeyCertOptions()
                    .setCertPath(security.tlsCert()).setKeyPath(security.tlsKey()));
        }
        HttpServer server = vertx.createHttpServer(http)
                .invalidRequestHandler(io.ichiba.broker.http.ApiRouter::invalidRequest)
                .connectionHandler(headers)
                .requestHandler(headers.arrived(router)).listen().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        LOG.info("broker serving {}={}:{} member={} members={}", security.tls() ? "https" : "http", config.httpHost(),
                server.actualPort(), hz.getCluster().getLocalMember().getAddress(), hz.getCluster().getMembers().size());
        return new Broker(config, hz, vertx, store, ledger, loop, background, server, worker, jobFollower, dispatcher);
    }

    /**
     * Wakes long-polls on job changes, and makes each job follow its claim's changes on the member that owns
     * both (they share a key), off the Hazelcast event thread.
     */
    private static ExecutorService followJobs(Store store, Jobs jobs, java.util.function.Consumer<String> changed) {
        java.util.function.Consumer<io.ichiba.ledger.job.Job> wake = j -> {
            changed.accept(j.id()); // a job's claim has its id: waits on either wake on both
            changed.accept("job:" + j.id());
            if (j.node() != null) {
                changed.accept("node-jobs:" + j.node());
            }
        };
        store.jobs().listenLocal(wake); // told to every member by the change feed
        ExecutorService follower = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "ichiba-jobs");
            t.setDaemon(true);
            return t;
        });
        store.claims().listenLocal(c -> follower.execute(() -> guard("job follower", () -> jobs.follow(c))));
        return follower;
    }

    /** The broker's background work: the ledger's timers (on the engine) and the member's own threads. */
    private record Background(ScheduledExecutorService threads, List<io.ichiba.ledger.store.Timer> timers)
            implements AutoCloseable {
        @Override
        public void close() {
            timers.forEach(io.ichiba.ledger.store.Timer::close);
            threads.shutdownNow();
        }
    }

    /**
     * Schedules the background work. The ledger's timers run where its state is kept ({@link Store#every}: on the
     * engine's thread, by its clock, as commands of its batches, moving with the engine): node loss and lease expiry
     * (every reaper interval), loans due to end and the books' sweep (4 times less often), purges and job
     * reconciliation (20 times less often), the spot prices (every 5 s). On the member's own threads, what is not a
     * deadline: the metrics, and on the member that runs the admission loop the handlers file and the audit.
     */
    private static Background scheduleBackground(BrokerConfig config, Ledger ledger, BrokerMetrics metrics,
                                                 AdmissionLoop loop, Jobs jobs) {
        Store store = ledger.store();
        LeaseReaper reaper = new LeaseReaper(ledger, metrics.reaperTally());
        long reaperMillis = config.reaperIntervalMillis();
        List<io.ichiba.ledger.store.Timer> timers = new java.util.ArrayList<>();
        timers.add(store.every("leases", Duration.ofMillis(reaperMillis), () -> {
            reaper.sweepNodes();
            reaper.sweepLeases();
        }));
        timers.add(store.every("purges", Duration.ofMillis(20 * reaperMillis), () -> {
            reaper.purge();
            new io.ichiba.ledger.Handlers(ledger).purge();
            jobs.reconcile();
            // the engine keeps the first answers of keyed requests as the maps did: for a day
            io.ichiba.ledger.IdempotencyRecord.purge(ledger.store().idempotency(),
                    ledger.clock().millis() - HazelcastEngine.IDEMPOTENCY_TTL_SECONDS * 1000L);
        }));
        timers.add(store.every("market", Duration.ofMillis(4 * reaperMillis), () -> {
            ledger.exchange().sweepLoans();
            ledger.exchange().sweepBooks();
        }));
        timers.add(store.every("spot-prices", Duration.ofSeconds(5), () -> ledger.exchange().updateSpot()));
        ScheduledExecutorService background = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "ichiba-background");
            t.setDaemon(true);
            return t;
        });
        background.scheduleWithFixedDelay(() -> guard("metrics", metrics::refresh), 0, 2, TimeUnit.SECONDS);
        if (!config.handlersFile().isBlank()) {
            BindingsFile file = new BindingsFile(java.nio.file.Path.of(config.handlersFile()), new Handlers(ledger));
            background.scheduleWithFixedDelay(() -> guard("handlers file", () -> {
                if (loop.owner()) {
                    file.reload();
                }
            }), 0, 2, TimeUnit.SECONDS);
        }
        if (config.auditIntervalSeconds() > 0) {
            Auditor auditor = new Auditor(ledger);
            background.scheduleWithFixedDelay(() -> guard("auditor", () -> {
                if (loop.owner()) {
                    Auditor.Report r = auditor.audit();
                    metrics.claims().audited(r);
                    r.drift().forEach(d -> LOG.warn("audit drift subject={} recorded={} live={} detail={}",
                            d.subject(), d.recorded(), d.live(), d.detail()));
                }
            }), config.auditIntervalSeconds(), config.auditIntervalSeconds(), TimeUnit.SECONDS);
        }
        return new Background(background, List.copyOf(timers));
    }

    private static void guard(String what, Runnable task) {
        try {
            task.run();
        } catch (com.hazelcast.core.HazelcastInstanceNotActiveException e) {
            // shutting down
        } catch (RuntimeException e) {
            LOG.warn("{} failed, will retry: {}", what, e.toString());
        }
    }

    /** Returns the HTTP port actually bound. */
    public int httpPort() {
        return server.actualPort();
    }

    /** Returns the embedded Hazelcast member. */
    public HazelcastInstance hazelcast() {
        return hz;
    }

    /** Returns the ledger. */
    public Ledger ledger() {
        return ledger;
    }

    /** Returns the Vert.x instance. */
    public Vertx vertx() {
        return vertx;
    }

    /** Returns whether the admission loop runs on this broker's member now. */
    public boolean runsAdmission() {
        return loop.owner();
    }

    /** Returns the configuration. */
    public BrokerConfig config() {
        return config;
    }

    /** Stops serving, leaves the cluster gracefully (its partitions migrate to the others) and shuts down. */
    public void stop() {
        loop.close();
        background.close();
        jobFollower.shutdownNow();
        dispatcher.close();
        try {
            server.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            worker.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
            vertx.close().onComplete(ar -> closed.countDown());
            closed.await(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("stopping Vert.x: {}", e.toString());
        }
        store.close();
        hz.shutdown();
    }

    /** Simulates a crash for tests: the member vanishes without migrating anything, as with kill -9. */
    public void crash() {
        loop.close();
        background.close();
        jobFollower.shutdownNow();
        dispatcher.close();
        hz.getLifecycleService().terminate();
        store.close();
        vertx.close();
    }
}
