package dockercoins.worker;

import dockercoins.hasher.Hasher;
import dockercoins.localredis.LocalRedis;
import dockercoins.rng.Rng;
import dockercoins.shared.RedisKeys;
import dockercoins.shared.RedisUrl;
import dockercoins.shared.Service.RunningService;
import dockercoins.shared.testing.ChildProcess;
import dockercoins.shared.testing.Promtool;
import dockercoins.shared.testing.Services;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.BindException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The worker's promises (README and worker/README.md), against a real Redis, rng and hasher. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class WorkerTest {

    /** Fast mining for tests that need many hashes: about 1 in 16 is a coin. */
    private static final Map<String, String> FAST = Map.of(
        "WORKER_ID", "miner", "WORKER_DELAY_MS", "2", "WORKER_CONCURRENCY", "2", "WORKER_REPORT_MS", "200");

    private LocalRedis localRedis;
    private Redis redis;
    private final List<RunningService> started = new ArrayList<>();

    /** Every test runs on a Redis without the commands added after 5.0: the oldest Redis DockerCoins supports. */
    @BeforeEach
    void startRedis(Vertx vertx) throws IOException {
        localRedis = LocalRedis.start(0, LocalRedis.REDIS_5_COMMANDS_ONLY);
        redis = RedisUrl.client(vertx, URI.create(localRedis.url()));
    }

    @AfterEach
    void stopEverything() {
        // Workers first (they flush), then what they use.
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).stopAndWait();
        }
        localRedis.close();
    }

    @Test
    void everyWalletCoinIsTheSha256OfItsBytesAndStartsWithZero() throws Exception {
        RunningService worker = startWorker(fastRngAndHasher(), FAST);
        eventually(Duration.ofSeconds(60), "20 coins in the wallet", () -> walletSize() >= 20);
        Tally counted = stop(worker);

        Response wallet = redis(Request.cmd(Command.HGETALL).arg(RedisKeys.WALLET));
        assertEquals(walletSize(), wallet.getKeys().size());
        for (String hex : wallet.getKeys()) {
            byte[] bytes = wallet.get(hex).toBuffer().getBytes();
            assertEquals(32, bytes.length, "the random bytes of coin " + hex);
            assertEquals(sha256Hex(bytes), hex, "a wallet field is the SHA-256 of its value");
            assertTrue(hex.startsWith("0"), "a coin starts with 0: " + hex);
        }
        assertEquals(counted.coins(), walletSize(), "every coin found is in the wallet");
    }

    @Test
    void perWorkerCountsAddUpToHashes() throws Exception {
        Map<String, String> services = fastRngAndHasher();
        RunningService alice = startWorker(services, with(FAST, "WORKER_ID", "worker-a"));
        RunningService bob = startWorker(services, with(FAST, "WORKER_ID", "worker-b"));
        long began = System.currentTimeMillis();
        eventually(Duration.ofSeconds(30), "both workers reported", () -> workerHashes().size() == 2);

        // Read while both keep reporting: hashes and the per-worker figures are updated in one step.
        for (int i = 0; i < 10; i++) {
            Response snapshot = redis.batch(List.of(Request.cmd(Command.MULTI),
                    Request.cmd(Command.GET).arg(RedisKeys.HASHES),
                    Request.cmd(Command.HVALS).arg(RedisKeys.WORKER_HASHES),
                    Request.cmd(Command.EXEC)))
                .await(10, TimeUnit.SECONDS).get(3);
            long perWorker = 0;
            for (Response value : snapshot.get(1)) {
                perWorker += value.toLong();
            }
            assertEquals(snapshot.get(0).toLong(), perWorker, "hashes = the sum of worker_hashes");
            Thread.sleep(150);
        }

        long alicesHashes = stop(alice).hashes();
        long bobsHashes = stop(bob).hashes();
        assertEquals(Map.of("worker-a", alicesHashes, "worker-b", bobsHashes), workerHashes());
        assertEquals(alicesHashes + bobsHashes, hashesInRedis());
        for (String id : List.of("worker-a", "worker-b")) {
            long seen = redis(Request.cmd(Command.ZSCORE).arg(RedisKeys.WORKER_SEEN).arg(id)).toLong();
            assertTrue(seen >= began && seen <= System.currentTimeMillis(), id + " last seen at " + seen);
        }
    }

    @Test
    void concurrencyEightDoesSeveralTimesTheLoopsOfOne() throws Exception {
        // The workshop's delays: 0.1 s sleep, 0.1 s rng, 0.1 s hasher.
        Map<String, String> services = rngAndHasher(Map.of());
        RunningService one = startWorker(services, Map.of("WORKER_ID", "one"));
        RunningService eight = startWorker(services, Map.of("WORKER_ID", "eight", "WORKER_CONCURRENCY", "8"));
        eventually(Duration.ofSeconds(30), "12 loops by the worker with one loop",
            () -> hashesCounted(one) >= 12);
        double loopsOfOne = hashesCounted(one);
        double loopsOfEight = hashesCounted(eight);
        assertTrue(loopsOfEight >= 3 * loopsOfOne,
            "WORKER_CONCURRENCY=8 did " + loopsOfEight + " loops while 1 did " + loopsOfOne);
    }

    @Test
    void aScaledUpRngGetsWorkWithoutRestartingTheWorker(Vertx vertx) throws Exception {
        // kube-proxy balances connections, not requests: a worker must open new ones now and then,
        // or `kubectl scale deploy/rng` would leave the new pods idle until the workers restart.
        Map<String, String> services = new HashMap<>(fastRngAndHasher());
        try (RoundRobinProxy rngService = new RoundRobinProxy(vertx, URI.create(services.get("RNG_URL")).getPort())) {
            services.put("RNG_URL", "http://127.0.0.1:" + rngService.port());
            RunningService worker = startWorker(services, FAST);
            eventually(Duration.ofSeconds(30), "mining through the first rng", () -> hashesCounted(worker) >= 20);

            RunningService secondRng = Services.start("rng", Rng::deployment, Map.of("RNG_DELAY_MS", "0"));
            started.add(0, secondRng);
            rngService.addBackend(secondRng.port());
            eventually(Duration.ofSeconds(30), "the second rng serving the worker too",
                () -> count(secondRng, "dockercoins.rng.bytes") > 0);
            assertEquals(0, count(worker, "dockercoins.worker.errors", "stage", "rng"), "renewing a connection fails no request");
        }
    }

    @Test
    void aPodThatLeavesTheServiceGetsNoRequestsAfterAConnectionLifetime(Vertx vertx) throws Exception {
        // The DaemonSet chapter moves rng pods off the Service's label and says "the stream stops immediately".
        Map<String, String> services = new HashMap<>(fastRngAndHasher());
        int leavingPort = URI.create(services.get("RNG_URL")).getPort();
        RunningService leaving = started.stream().filter(service -> service.port() == leavingPort).findFirst()
            .orElseThrow();
        RunningService staying = Services.start("rng", Rng::deployment, Map.of("RNG_DELAY_MS", "0"));
        started.add(0, staying);
        try (RoundRobinProxy rngService = new RoundRobinProxy(vertx, leavingPort)) {
            rngService.addBackend(staying.port());
            services.put("RNG_URL", "http://127.0.0.1:" + rngService.port());
            RunningService worker = startWorker(services, FAST);
            eventually(Duration.ofSeconds(30), "both rng pods serving the worker",
                () -> count(leaving, "dockercoins.rng.bytes") > 0 && count(staying, "dockercoins.rng.bytes") > 0);

            rngService.removeBackend(leavingPort);
            // The longest connection lifetime, and a turn in flight.
            long boundMs = RngAndHasher.longestLifetimeMs(Integer.parseInt(FAST.get("WORKER_CONCURRENCY"))) + 500;
            Thread.sleep(boundMs);
            double servedAfterLeaving = count(leaving, "dockercoins.rng.bytes");
            double stayingBefore = count(staying, "dockercoins.rng.bytes");
            Thread.sleep(2_000);
            assertEquals(servedAfterLeaving, count(leaving, "dockercoins.rng.bytes"),
                "the pod that left the Service still served the worker more than " + boundMs + " ms later");
            assertTrue(count(staying, "dockercoins.rng.bytes") > stayingBefore, "the worker mines on");
            assertEquals(0, count(worker, "dockercoins.worker.errors", "stage", "rng"),
                "renewing a connection fails no request");
        }
    }

    /**
     * Renewing connections has a cost. A loop waiting 0.1 s for rng makes at most 10 requests a second, so a connection
     * renewed every second carried at most 11 or 12, and 1,000 loops at the workshop's delays lost much of their
     * throughput to opening connections (worker/README.md). Each connection must carry seconds of requests.
     */
    @Test
    void eachConnectionToRngCarriesSecondsOfRequests(Vertx vertx) throws Exception {
        // rng's delay keeps each of the 4 loops on a connection of its own; the worker's own sleep, 0, adds nothing.
        Map<String, String> services = new HashMap<>(rngAndHasher(Map.of("RNG_DELAY_MS", "100", "HASHER_DELAY_MS", "0")));
        int rngPort = URI.create(services.get("RNG_URL")).getPort();
        RunningService rng = started.stream().filter(service -> service.port() == rngPort).findFirst().orElseThrow();
        try (RoundRobinProxy rngService = new RoundRobinProxy(vertx, rngPort)) {
            services.put("RNG_URL", "http://127.0.0.1:" + rngService.port());
            startWorker(services, Map.of("WORKER_ID", "miner", "WORKER_DELAY_MS", "0", "WORKER_CONCURRENCY", "4"));
            Thread.sleep(15_000);
            double requests = count(rng, "dockercoins.rng.bytes") / 32;
            int connections = rngService.connections();
            assertTrue(requests >= 4 * 15 * 5, "the loops made " + requests + " requests, as in 15 s at half speed");
            assertTrue(requests / connections >= 14, requests + " requests to rng on " + connections + " connections");
        }
    }

    @Test
    void livenessHoldsWhileRngHasherAndRedisAreDown(Vertx vertx) throws Exception {
        // A restart would not bring them back: the worker's liveness must not fail for them.
        localRedis.stop();
        RunningService worker = startWorker(Map.of(
            "RNG_URL", "http://127.0.0.1:" + freePortForLater(),
            "HASHER_URL", "http://127.0.0.1:" + freePortForLater(),
            "REDIS_URL", localRedis.url()), Map.of("WORKER_REPORT_MS", "200"));
        WebClient web = WebClient.create(vertx);
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(stuckAfterMs(0, 200) + 3_000);
        while (System.nanoTime() < until) {
            HttpResponse<Buffer> health = web.get(worker.port(), "127.0.0.1", "/healthz").send()
                .await(10, TimeUnit.SECONDS);
            assertEquals(200, health.statusCode(), health.bodyAsString());
            Thread.sleep(500);
        }
        assertTrue(count(worker, "dockercoins.worker.errors", "stage", "rng") > 10, "rng was tried, and failed");
    }

    @Test
    void aStuckWorkerFailsItsLivenessWhileRngAndHasherAnswer(Vertx vertx) throws Exception {
        // A hasher that answers GET / at once, but answers the worker's POST with a body that never ends: the
        // worker's loops wait for ever, as stuck loops do, while every probe of rng and hasher passes.
        HttpServer hasher = vertx.createHttpServer().requestHandler(request -> {
            if (request.method() == io.vertx.core.http.HttpMethod.GET) {
                request.response().end("HASHER running on test\n");
                return;
            }
            request.response().setChunked(true).write("0");
            long trickle = vertx.setPeriodic(500, tick -> request.response().write("0"));
            request.connection().closeHandler(closed -> vertx.cancelTimer(trickle));
        }).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
        Map<String, String> services = new HashMap<>(fastRngAndHasher());
        services.put("HASHER_URL", "http://127.0.0.1:" + hasher.actualPort());
        RunningService worker = startWorker(services, with(FAST, "WORKER_DELAY_MS", "0"));
        WebClient web = WebClient.create(vertx);
        long startedAt = System.nanoTime();
        HttpResponse<Buffer> health = web.get(worker.port(), "127.0.0.1", "/healthz").send().await(10, TimeUnit.SECONDS);
        assertEquals(200, health.statusCode(), "not stuck yet");
        eventually(Duration.ofMillis(stuckAfterMs(0, 200) + 10_000), "the liveness failing",
            () -> healthStatus(web, worker) == 503);
        long tookMs = (System.nanoTime() - startedAt) / 1_000_000;
        assertTrue(tookMs >= stuckAfterMs(0, 200) - 1_000, "called stuck after " + tookMs + " ms only");
        assertEquals(200, web.get(hasher.actualPort(), "127.0.0.1", "/").send().await(10, TimeUnit.SECONDS)
            .statusCode(), "hasher answers");
        assertTrue(web.get(worker.port(), "127.0.0.1", "/healthz").send().await(10, TimeUnit.SECONDS).bodyAsString()
            .startsWith("stuck: no mining loop has finished a turn for "));
        hasher.close();
    }

    private static int healthStatus(WebClient web, RunningService worker) {
        try {
            return web.get(worker.port(), "127.0.0.1", "/healthz").send().await(10, TimeUnit.SECONDS).statusCode();
        } catch (Exception e) {
            throw new AssertionError("/healthz did not answer: " + e, e);
        }
    }

    /** As the worker computes it: the longest a turn can take, timeouts included, plus a margin. */
    private static long stuckAfterMs(long delayMs, long reportMs) {
        return delayMs + reportMs + 2 * (2_000 + 5_000) + 5_000;
    }

    @Test
    void redisOutageLosesNoCountedHash() throws Exception {
        RunningService worker = startWorker(fastRngAndHasher(), FAST);
        eventually(Duration.ofSeconds(30), "hashes in Redis", () -> hashesInRedis() >= 20);

        localRedis.stop();
        double countedBeforeOutage = hashesCounted(worker);
        Thread.sleep(1000);  // several report intervals
        eventually(Duration.ofSeconds(30), "mining on while Redis is down, and retrying it",
            () -> hashesCounted(worker) >= countedBeforeOutage + 50
                && redisErrors(worker) >= 5);
        assertTrue(unreported(worker) > 0, "hashes counted during the outage wait to be reported");

        localRedis.start();
        eventually(Duration.ofSeconds(30), "the backlog reported once Redis is back",
            () -> hashesInRedis() > countedBeforeOutage + 50);
        assertEverythingReported(worker);
    }

    @Test
    void frozenRedisLosesNoCountedHashAndCountsNoneTwice() throws Exception {
        RunningService worker = startWorker(fastRngAndHasher(), FAST);
        eventually(Duration.ofSeconds(30), "hashes in Redis", () -> hashesInRedis() >= 20);

        // Frozen for longer than a Redis command may take: reports time out while their first copies wait inside
        // Redis, and are sent again; once thawed, Redis receives those reports twice and must apply each once.
        localRedis.freeze();
        double countedBeforeFreeze = hashesCounted(worker);
        // Frozen for at least two Redis timeouts, so that a report is sent again while its first copy waits;
        // then the outcome is waited for rather than assumed, so that a slow machine passes too.
        Thread.sleep(Reporter.REDIS_TIMEOUT_MS * 2L + 500);
        eventually(Duration.ofSeconds(30), "mining on while Redis is frozen, and timed-out reports retried",
            () -> hashesCounted(worker) > countedBeforeFreeze && redisErrors(worker) >= 2);
        localRedis.thaw();

        eventually(Duration.ofSeconds(30), "the backlog reported once Redis is thawed",
            () -> hashesInRedis() > countedBeforeFreeze);
        assertEverythingReported(worker);
    }

    /** `hashes` set by hand to a non-integer: each report fails whole and is retried; once repaired, nothing is lost. */
    @Test
    void aNonIntegerHashesRefusesReportsWholeAndOnceRepairedEveryHashAndCoinArrives() throws Exception {
        RunningService worker = startWorker(fastRngAndHasher(), FAST);
        eventually(Duration.ofSeconds(30), "hashes in Redis", () -> hashesInRedis() >= 20);
        String saved = spoilHashes("12.5");
        Map<String, Long> perWorker = workerHashes();
        long coins = walletSize();
        double errors = redisErrors(worker);
        eventually(Duration.ofSeconds(30), "reports refused, each counted as a Redis error",
            () -> redisErrors(worker) >= errors + 3);
        assertEquals(perWorker, workerHashes(), "a refused report adds nothing to worker_hashes");
        assertEquals(coins, walletSize(), "a refused report puts no coin in the wallet");
        assertTrue(unreported(worker) > 0, "the refused hashes wait in the worker");
        redis(Request.cmd(Command.SET).arg(RedisKeys.HASHES).arg(saved));
        assertEverythingReported(worker);
    }

    /**
     * A per-worker count that INCRBY takes but HINCRBY refuses (past 64 bits once the report is added, or with a
     * leading zero): before, `hashes` was written, the script then failed, and every resend counted it again.
     */
    @Test
    void aPerWorkerCountThatCannotTakeTheReportRefusesItWholeAndOnceRepairedEveryHashArrives() throws Exception {
        RunningService worker = startWorker(fastRngAndHasher(), FAST);
        eventually(Duration.ofSeconds(30), "hashes in Redis", () -> hashesInRedis() >= 20);
        for (String spoiled : List.of(String.valueOf(Long.MAX_VALUE - 5), "007")) {
            Response saved = redis(Request.cmd(Command.EVAL)
                .arg("local old = redis.call('HGET', KEYS[1], ARGV[1]); redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]);"
                    + " return old")
                .arg(1).arg(RedisKeys.WORKER_HASHES).arg("miner").arg(spoiled));
            long hashes = hashesInRedis();
            long coins = walletSize();
            double errors = redisErrors(worker);
            eventually(Duration.ofSeconds(30), "reports refused while worker_hashes[miner] is " + spoiled,
                () -> redisErrors(worker) >= errors + 3);
            assertEquals(hashes, hashesInRedis(), "a refused report adds nothing to hashes");
            assertEquals(coins, walletSize(), "a refused report puts no coin in the wallet");
            redis(Request.cmd(Command.HSET).arg(RedisKeys.WORKER_HASHES).arg("miner").arg(saved.toString()));
            eventually(Duration.ofSeconds(30), "reports applied again", () -> hashesInRedis() > hashes);
        }
        assertEverythingReported(worker);
    }

    /**
     * worker_seen is stamped with Redis's clock (TIME inside the report script), the one clock all nodes share: a
     * worker whose own clock is off by minutes still shows as reporting now. The script is run here as a worker
     * runs it, so the stamp cannot come from this machine's clock, which the worker would share.
     */
    @Test
    void workerSeenIsStampedWithRedisClockWhateverTheWorkersClock() throws Exception {
        String script;
        try (var in = Reporter.class.getResourceAsStream("report.lua")) {
            script = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        Response applied = redis(Request.cmd(Command.EVAL).arg(script).arg(6)
            .arg(RedisKeys.HASHES).arg(RedisKeys.WORKER_HASHES).arg(RedisKeys.WORKER_SEEN)
            .arg(RedisKeys.WORKER_VERSION).arg(RedisKeys.WALLET).arg("worker_report:skewed:1")
            .arg("skewed").arg(1).arg(10).arg("1.0").arg(60));
        assertEquals(1, applied.get(0).toInteger(), "the report applied");
        Response time = redis(Request.cmd(Command.TIME));
        long redisNowMs = time.get(0).toLong() * 1000 + time.get(1).toLong() / 1000;
        long seenMs = (long) Double.parseDouble(redis(Request.cmd(Command.ZSCORE).arg(RedisKeys.WORKER_SEEN)
            .arg("skewed")).toString());
        assertTrue(Math.abs(redisNowMs - seenMs) < 1000,
            "worker_seen " + seenMs + " is Redis's time " + redisNowMs + ", within a second");
        assertEquals(Map.of("skewed", 10L), workerHashes());
    }

    /** REDIS_URL's password and database hold on every pooled connection, through refused reports too. */
    @Test
    void aPasswordAndDatabaseOneHoldOnEveryConnectionThroughRefusedReports(Vertx vertx) throws Exception {
        localRedis.close();
        localRedis = LocalRedis.start(0, "--requirepass", "s3cret");
        String database1 = "redis://:s3cret@127.0.0.1:" + localRedis.port() + "/1";
        redis = RedisUrl.client(vertx, URI.create(database1));
        RunningService worker = startWorker(with(fastRngAndHasher(), "REDIS_URL", database1), FAST);
        eventually(Duration.ofSeconds(30), "hashes in database 1", () -> hashesInRedis() >= 20);
        String saved = spoilHashes("not a number");
        double errors = redisErrors(worker);
        eventually(Duration.ofSeconds(30), "reports refused", () -> redisErrors(worker) >= errors + 3);
        redis(Request.cmd(Command.SET).arg(RedisKeys.HASHES).arg(saved));
        assertEverythingReported(worker);
        Redis database0 = RedisUrl.client(vertx, URI.create("redis://:s3cret@127.0.0.1:" + localRedis.port() + "/0"));
        assertEquals(0, database0.send(Request.cmd(Command.DBSIZE)).await(10, TimeUnit.SECONDS).toLong(),
            "nothing was written to database 0");
    }

    /** Options added to old commands after 5.0 cannot be renamed away like new commands: the sources are read. */
    @Test
    void noCommandOrOptionNewerThanRedis5InTheCode() throws IOException {
        Pattern newer = Pattern.compile("\\b(BYSCORE|BYLEX|Command\\.(ZRANGE|RESET|HELLO|GETDEL|GETEX|COPY|LMOVE|LPOS))\\b");
        for (String sources : List.of("src/main", "../webui/src/main", "../shared/src/main")) {
            try (Stream<Path> files = Files.walk(Path.of(sources))) {
                for (Path file : files.filter(f -> f.toString().matches(".*\\.(java|lua)")).toList()) {
                    Matcher found = newer.matcher(Files.readString(file));
                    assertFalse(found.find(), file + " uses " + (found.hitEnd() ? "" : found.group()) + ", newer than 5.0");
                }
            }
        }
    }

    /** Sets `hashes` to a value DockerCoins never writes, in one step; answers the value it replaced. */
    private String spoilHashes(String value) throws Exception {
        return redis(Request.cmd(Command.EVAL)
            .arg("local old = redis.call('GET', KEYS[1]); redis.call('SET', KEYS[1], ARGV[1]); return old")
            .arg(1).arg(RedisKeys.HASHES).arg(value)).toString();
    }

    @Test
    void stopWithALongReportIntervalStillFlushesEveryHash() throws Exception {
        RunningService worker = startWorker(fastRngAndHasher(), with(FAST, "WORKER_REPORT_MS", "3600000"));
        eventually(Duration.ofSeconds(30), "20 hashes counted", () -> hashesCounted(worker) >= 20);
        assertEquals(0, hashesInRedis(), "nothing reported before the first hour is over");
        assertEquals(stop(worker).hashes(), hashesInRedis());
    }

    /**
     * A worker process paused (SIGSTOP: a paused VM, a throttled container, a laptop asleep) while Redis closes its
     * connection, then resumed, twice: each time its reports land again within seconds, and its stop flushes every
     * hash. Before the fix a send that failed at once on the closed connection was kept as "the send in progress"
     * forever: no report ever landed again and the stop lost everything counted since.
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aWorkerPausedTwiceReportsAgainAfterEachPauseAndItsStopFlushesEveryHash() throws Exception {
        Map<String, String> env = new HashMap<>(fastRngAndHasher());
        env.putAll(Map.of("PORT", "0", "ACCESS_LOG", "false", "WORKER_ID", "paused",
            "WORKER_DELAY_MS", "0", "WORKER_CONCURRENCY", "32"));
        try (ChildProcess worker = ChildProcess.java(Worker.class.getName(), env)) {
            worker.awaitLine(line -> line.contains("worker ready"), Duration.ofSeconds(30));
            eventually(Duration.ofSeconds(30), "hashes in Redis", () -> hashesInRedisOrZero() >= 100);
            for (int pause = 1; pause <= 2; pause++) {
                worker.signal("STOP");
                Thread.sleep(3000);
                // While the worker sleeps, its Redis connection goes, as Redis' own timeout, a proxy or a NAT may
                // close it: the resumed worker finds it closed when it writes its next report.
                redis(Request.cmd(Command.CLIENT).arg("KILL").arg("TYPE").arg("normal").arg("SKIPME").arg("yes"));
                Thread.sleep(1000);
                long beforeResume = hashesInRedisOrZero();
                worker.signal("CONT");
                try {
                    eventually(Duration.ofSeconds(15), "reports landing again after pause " + pause,
                        () -> hashesInRedisOrZero() > beforeResume + 100);
                } catch (AssertionError stuck) {
                    throw new AssertionError(stuck.getMessage() + "; the worker said:\n" + worker.output(), stuck);
                }
            }
            assertEquals(0, worker.terminate(Duration.ofSeconds(30)), worker.output());
            Matcher tally = Pattern.compile("worker paused counted (\\d+) hashes in all, (\\d+) of them not in Redis")
                .matcher(worker.output());
            assertTrue(tally.find(), worker.output());
            assertEquals("0", tally.group(2), "hashes not in Redis after the stop");
            assertEquals(Long.parseLong(tally.group(1)), hashesInRedis(), "Redis hashes = the hashes the worker counted");
        }
    }

    /** A test's own Redis connections are closed too when it makes Redis drop the worker's: then read again. */
    private long hashesInRedisOrZero() {
        try {
            return hashesInRedis();
        } catch (AssertionError connectionClosed) {
            return 0;
        }
    }

    /** A hasher that answers 200 with anything but 64 lowercase hex digits counts no hash: a hasher error, retried. */
    @Test
    void aHasherAnsweringSomethingElseThanAHexSha256CountsNoHash(Vertx vertx) throws Exception {
        Map<String, String> services = new HashMap<>(fastRngAndHasher());
        List<String> answers = List.of("0".repeat(63), "0".repeat(65), "0".repeat(63) + "g", "0".repeat(63) + "A",
            "0".repeat(63) + "\n", "");
        int[] next = {0};
        HttpServer badHasher = vertx.createHttpServer()
            .requestHandler(request -> request.response().end(answers.get(next[0]++ % answers.size())))
            .listen(0).await(10, TimeUnit.SECONDS);
        services.put("HASHER_URL", "http://127.0.0.1:" + badHasher.actualPort());
        RunningService worker = startWorker(services, FAST);
        eventually(Duration.ofSeconds(30), "each wrong answer refused", () -> count(worker, "dockercoins.worker.errors",
            "stage", "hasher") >= answers.size());
        assertEquals(0, hashesCounted(worker), "a hash counted from a wrong answer");
        badHasher.close();
    }

    /**
     * At full speed a worker finds more coins per report interval than one report carries: the rest must go at once,
     * not one report per interval, or coins pile up (in memory) until mining pauses.
     */
    @Test
    void coinsBeyondOneReportGoWithoutWaitingForTheNextInterval(Vertx vertx) throws Exception {
        int reportMs = 3000;
        int held = 4 * CoinBuffer.COINS_PER_REPORT;  // at one report per interval: 3 intervals after the first
        WorkerConfig config = new WorkerConfig(URI.create("http://rng"), URI.create("http://hasher"),
            URI.create(localRedis.url()), 0, 1, reportMs, "miner", "test");
        MeterRegistry registry = new SimpleMeterRegistry();
        CoinBuffer coins = new CoinBuffer(registry);
        Reporter reporter = new Reporter(vertx, redis, coins, config, registry);
        vertx.getOrCreateContext().runOnContext(onLoop -> {
            for (int i = 0; i < held; i++) {
                coins.keep(String.format("0%063x", i), Buffer.buffer(new byte[32]));
                coins.countHash(0);
            }
            reporter.start();
        });
        eventually(Duration.ofSeconds(30), "the first report", () -> walletSize() > 0);
        long first = System.nanoTime();
        eventually(Duration.ofSeconds(30), "every coin in the wallet", () -> walletSize() == held);
        long tookMs = (System.nanoTime() - first) / 1_000_000;
        assertTrue(tookMs < reportMs, "the last of " + held + " coins arrived " + tookMs + " ms after the first");
        assertEquals(held, hashesInRedis(), "each coin is a counted hash too");
    }

    @Test
    void stopEndsWellWithinTheGracePeriodEvenWhenRedisNeverAnswers() throws Exception {
        RunningService worker = startWorker(fastRngAndHasher(), FAST);
        eventually(Duration.ofSeconds(30), "20 hashes counted", () -> hashesCounted(worker) >= 20);
        localRedis.freeze();
        long began = System.nanoTime();
        worker.stop().await(30, TimeUnit.SECONDS);
        long tookMs = (System.nanoTime() - began) / 1_000_000;
        assertTrue(tookMs < 20_000, "the stop took " + tookMs + " ms; Kubernetes kills after 30 s");
    }

    @Test
    void workerStartedBeforeRngMinesWithinThreeSecondsOfRngAppearing(Vertx vertx) throws Exception {
        // Kubernetes starts pods in any order: here the worker comes first, before rng, hasher and Redis.
        int rngPort = freePortForLater();
        int hasherPort = freePortForLater();
        localRedis.stop();
        RunningService worker = startWorker(Map.of(
            "RNG_URL", "http://127.0.0.1:" + rngPort,
            "HASHER_URL", "http://127.0.0.1:" + hasherPort,
            "REDIS_URL", localRedis.url()), Map.of());
        HttpResponse<Buffer> ready = WebClient.create(vertx).get(worker.port(), "127.0.0.1", "/readyz").send()
            .await(10, TimeUnit.SECONDS);
        assertEquals(200, ready.statusCode(), "ready with neither rng, hasher nor Redis up");
        // Enough failures for the retries to have backed off to their longest delay.
        eventually(Duration.ofSeconds(30), "rng retried",
            () -> count(worker, "dockercoins.worker.errors", "stage", "rng") >= 8);

        localRedis.start();
        // No simulated work in rng and hasher: the 3 s are the worker's reconnecting, not their 100 ms delays.
        started.add(0, Services.start("hasher", Hasher::deployment,
            Map.of("PORT", String.valueOf(hasherPort), "HASHER_DELAY_MS", "0")));
        assertEquals(0, hashesCounted(worker));
        started.add(0, Services.start("rng", Rng::deployment,
            Map.of("PORT", String.valueOf(rngPort), "RNG_DELAY_MS", "0")));
        long rngAppeared = System.nanoTime();
        eventually(Duration.ofSeconds(30), "a hash", () -> hashesCounted(worker) >= 1);
        long tookMs = (System.nanoTime() - rngAppeared) / 1_000_000;
        assertTrue(tookMs < 3000, "mining began " + tookMs + " ms after rng appeared");
    }

    @Test
    void badEnvValuesFailStartUpWithOneLine() {
        // Each bad value and the start of the one line that must say what was expected instead.
        Map<String, String> expected = Map.of(
            "WORKER_CONCURRENCY=0", "a whole number from 1 to 10000",
            "WORKER_CONCURRENCY=10001", "a whole number from 1 to 10000",
            "WORKER_DELAY_MS=-5", "a whole number of milliseconds, 0 or more",
            "WORKER_REPORT_MS=0", "a whole number of milliseconds, 1 or more",
            "WORKER_REPORT_MS=soon", "a whole number of milliseconds, 1 or more",
            "RNG_URL=rng:80", "an absolute URL with a host, starting with ",
            "HASHER_URL=ftp://hasher", "an absolute URL with a host, starting with ",
            "REDIS_URL=http://redis", "an absolute URL with a host, starting with ");
        expected.forEach((setting, what) -> {
            String[] nameAndValue = setting.split("=", 2);
            String failure = Services.startFailure("worker", Worker::deployment,
                Map.of(nameAndValue[0], nameAndValue[1]));
            String line = nameAndValue[0] + "=\"" + nameAndValue[1] + "\" is invalid: expected " + what;
            assertTrue(failure.startsWith(line), failure);
            assertTrue(!failure.contains("\n"), failure);
        });
    }

    @Test
    void metricsPassPromtool(Vertx vertx) throws Exception {
        RunningService worker = startWorker(fastRngAndHasher(), FAST);
        eventually(Duration.ofSeconds(30), "a few loops", () -> hashesCounted(worker) >= 5);
        WebClient web = WebClient.create(vertx);
        String metrics = web.get(worker.port(), "127.0.0.1", "/metrics").send().await(10, TimeUnit.SECONDS)
            .bodyAsString();
        for (String line : List.of("dockercoins_worker_hashes_total ", "dockercoins_worker_coins_total ",
            "dockercoins_worker_errors_total{stage=\"rng\"} ", "dockercoins_worker_errors_total{stage=\"hasher\"} ",
            "dockercoins_worker_errors_total{stage=\"redis\"} ", "dockercoins_worker_unreported_hashes ",
            "dockercoins_worker_loop_duration_seconds_bucket{le=\"0.1\"} ",
            "dockercoins_worker_loop_duration_seconds_count ")) {
            assertTrue(metrics.contains("\n" + line), "no " + line + "in\n" + metrics);
        }
        assertEquals(404, web.get(worker.port(), "127.0.0.1", "/").send().await(10, TimeUnit.SECONDS).statusCode(),
            "the worker serves only /metrics, /healthz and /readyz");
        Promtool.checkMetrics(metrics);
    }

    // --- helpers ---

    /** rng and hasher with no simulated delay: the worker's own sleep sets the pace. */
    private Map<String, String> fastRngAndHasher() {
        return rngAndHasher(Map.of("RNG_DELAY_MS", "0", "HASHER_DELAY_MS", "0"));
    }

    /** Starts rng and hasher; answers the variables that point a worker at them and at Redis. */
    private Map<String, String> rngAndHasher(Map<String, String> delays) {
        RunningService rng = Services.start("rng", Rng::deployment, delays);
        RunningService hasher = Services.start("hasher", Hasher::deployment, delays);
        started.add(0, rng);
        started.add(0, hasher);
        return Map.of(
            "RNG_URL", "http://127.0.0.1:" + rng.port(),
            "HASHER_URL", "http://127.0.0.1:" + hasher.port(),
            "REDIS_URL", localRedis.url());
    }

    private RunningService startWorker(Map<String, String> services, Map<String, String> settings) {
        Map<String, String> env = new HashMap<>(services);
        env.putAll(settings);
        RunningService worker = Services.start("worker", Worker::deployment, env);
        started.add(worker);
        return worker;
    }

    private static Map<String, String> with(Map<String, String> settings, String name, String value) {
        Map<String, String> more = new HashMap<>(settings);
        more.put(name, value);
        return more;
    }

    /** What a worker counted in all, hashes and coins. */
    private record Tally(long hashes, long coins) {
    }

    /** Stops the worker (it flushes) and answers what it counted, loops finishing during the stop included. */
    private static Tally stop(RunningService worker) throws Exception {
        // Held before the stop closes the registry; the counters keep their values.
        Counter hashes = worker.metrics().registry().get("dockercoins.worker.hashes").counter();
        Counter coins = worker.metrics().registry().get("dockercoins.worker.coins").counter();
        worker.stop().await(30, TimeUnit.SECONDS);
        return new Tally((long) hashes.count(), (long) coins.count());
    }

    /** After the stop, Redis holds exactly what the worker counted, its coins included. */
    private void assertEverythingReported(RunningService worker) throws Exception {
        Tally counted = stop(worker);
        assertTrue(counted.hashes() > 0);
        assertEquals(counted.hashes(), hashesInRedis(), "Redis hashes = the hashes the worker counted");
        assertEquals(Map.of("miner", counted.hashes()), workerHashes(), "worker_hashes agrees");
        assertEquals(counted.coins(), walletSize(), "every coin found is in the wallet");
    }

    private static double hashesCounted(RunningService worker) {
        return count(worker, "dockercoins.worker.hashes");
    }

    private static double redisErrors(RunningService worker) {
        return count(worker, "dockercoins.worker.errors", "stage", "redis");
    }

    private static double count(RunningService service, String name, String... tags) {
        MeterRegistry registry = service.metrics().registry();
        return registry.get(name).tags(tags).counter().count();
    }

    private static double unreported(RunningService worker) {
        return worker.metrics().registry().get("dockercoins.worker.unreported.hashes").gauge().value();
    }

    private Response redis(Request request) throws Exception {
        return redis.send(request).await(10, TimeUnit.SECONDS);
    }

    private long hashesInRedis() {
        try {
            Response hashes = redis(Request.cmd(Command.GET).arg(RedisKeys.HASHES));
            return hashes == null ? 0 : hashes.toLong();
        } catch (Exception e) {
            throw new AssertionError("cannot read " + RedisKeys.HASHES + ": " + e, e);
        }
    }

    private long walletSize() {
        try {
            return redis(Request.cmd(Command.HLEN).arg(RedisKeys.WALLET)).toLong();
        } catch (Exception e) {
            throw new AssertionError("cannot read " + RedisKeys.WALLET + ": " + e, e);
        }
    }

    private Map<String, Long> workerHashes() {
        try {
            Response all = redis(Request.cmd(Command.HGETALL).arg(RedisKeys.WORKER_HASHES));
            Map<String, Long> perWorker = new HashMap<>();
            for (String id : all.getKeys()) {
                perWorker.put(id, all.get(id).toLong());
            }
            return perWorker;
        } catch (Exception e) {
            throw new AssertionError("cannot read " + RedisKeys.WORKER_HASHES + ": " + e, e);
        }
    }

    private static void eventually(Duration within, String what, BooleanSupplier condition)
        throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("not within " + within.toSeconds() + " s: " + what);
            }
            Thread.sleep(50);
        }
    }

    private static String sha256Hex(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    /**
     * A free port for a service started later, below Linux's ephemeral range (32768 and up): there, neither
     * a process asking for port 0 nor the worker's own connection attempts (a TCP self-connect) can take it first.
     */
    private static int freePortForLater() throws IOException {
        for (int attempt = 0; attempt < 100; attempt++) {
            int port = ThreadLocalRandom.current().nextInt(20_000, 32_000);
            try (ServerSocket socket = new ServerSocket(port)) {
                return socket.getLocalPort();
            } catch (BindException taken) {
                // try another
            }
        }
        throw new IOException("no free port between 20000 and 32000");
    }
}
