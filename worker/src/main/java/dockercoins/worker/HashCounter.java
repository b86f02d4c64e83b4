package dockercoins.worker;

import dockercoins.shared.RedisKeys;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Counts this worker's hashes and keeps the coins it finds, and reports both to Redis every WORKER_REPORT_MS in one
 * atomic step: a Lua script (report.lua) that adds the hashes to {@code hashes} and the per-worker keys and puts the
 * coins in the wallet, or applies nothing at all. Reports are numbered per run; the script applies a number once, so
 * a report resent after a lost reply never counts twice. Whatever Redis did not acknowledge stays here and is sent
 * again, however long Redis is away. Used from the worker's one event loop only.
 */
final class HashCounter {

    private static final Logger LOG = LoggerFactory.getLogger("worker");
    private static final String SCRIPT = readScript();
    private static final String SCRIPT_SHA1 = sha1Hex(SCRIPT);
    /** Prefix of the key holding the number of this run's last applied report; it outlives the worker by a day. */
    private static final String LAST_REPORT_PREFIX = "worker_report:";
    private static final int LAST_REPORT_TTL_SECONDS = 86_400;
    /** Coins per report, so that one report stays one small round trip; the rest go in the next ones. */
    static final int COINS_PER_REPORT = 1_000;
    /** About 20 MB of coins held while Redis is away; past it the mining loops wait instead of losing coins. */
    static final int MOST_COINS_HELD = 100_000;
    /** A report gets this long to be acknowledged; then it is sent again (applied once all the same). */
    static final int REDIS_TIMEOUT_MS = 2000;

    private record Coin(String hex, Buffer bytes) {
    }

    /** A report stays the same, number and content, until Redis has acknowledged it. */
    private record Report(long number, long hashes, List<Coin> coins) {
    }

    private final Vertx vertx;
    private final Redis redis;
    private final WorkerConfig config;
    private final Outage outage;
    private final Counter hashes;
    private final String lastReportKey;
    private final String call;
    private final Backoff backoff = new Backoff();
    private final ArrayDeque<Coin> coins = new ArrayDeque<>();
    /** Counted, not yet acknowledged by Redis; includes the report being sent. */
    private volatile long unreported;
    private Report pending;
    private Future<Void> sending;
    private long reportsMade;
    private long reportTimer = -1;
    private boolean sealed;

    HashCounter(Vertx vertx, Redis redis, WorkerConfig config, Outage outage, MeterRegistry registry) {
        this.vertx = vertx;
        this.redis = redis;
        this.config = config;
        this.outage = outage;
        this.hashes = Counter.builder("dockercoins.worker.hashes")
            .description("Mining loops completed: hashes counted by this worker")
            .register(registry);
        Gauge.builder("dockercoins.worker.unreported.hashes", this, counter -> counter.unreported)
            .description("Hashes counted but not yet acknowledged by Redis")
            .strongReference(true)
            .register(registry);
        byte[] run = new byte[8];
        new SecureRandom().nextBytes(run);
        this.lastReportKey = LAST_REPORT_PREFIX + config.workerId() + ":" + HexFormat.of().formatHex(run);
        this.call = "the report script (INCRBY " + RedisKeys.HASHES + ", HSET " + RedisKeys.WALLET + ", …) at "
            + config.redisAddress();
    }

    void start() {
        reportIn(config.reportMs());
    }

    /** One more hash done, maybe a coin. After {@link #flush} has begun nothing is counted: it could not be reported. */
    void count(String hex, Buffer bytes) {
        if (sealed) {
            return;
        }
        unreported++;
        hashes.increment();
        if (hex.startsWith("0")) {
            coins.addLast(new Coin(hex, bytes));
        }
    }

    /** False while so many coins wait for Redis that mining should pause rather than hold more. */
    boolean canHoldMore() {
        return coins.size() < MOST_COINS_HELD;
    }

    /** On stop: counts no more, and reports until every hash and coin is in Redis or {@code grace} has passed. */
    Future<Void> flush(Duration grace) {
        sealed = true;
        vertx.cancelTimer(reportTimer);
        Promise<Void> flushed = Promise.promise();
        flushUntil(System.nanoTime() + grace.toNanos(), flushed);
        // The final tally, so whoever stopped the worker can hold Redis to it.
        return flushed.future().onComplete(done -> LOG.info(
            "worker {} counted {} hashes in all, {} of them not in Redis", config.workerId(), (long) hashes.count(),
            unreported));
    }

    private void reportIn(long delayMs) {
        reportTimer = vertx.setTimer(delayMs, fired -> report().onComplete(reported -> {
            if (!sealed) {  // once sealed, the flush on stop carries on from here
                reportIn(reported.succeeded() ? nextReportMs() : retryDelay(reported.cause()));
            }
        }));
    }

    /**
     * The interval, unless a whole report's worth of coins is still held: then at once. At full speed a worker finds
     * more coins per interval than one report carries (about 1,400 a second at 22,000 hashes/s), and waiting the
     * interval each time would pile them up until mining paused at {@value #MOST_COINS_HELD}.
     */
    private long nextReportMs() {
        return coins.size() >= COINS_PER_REPORT ? 1 : config.reportMs();
    }

    private void flushUntil(long deadline, Promise<Void> flushed) {
        if (unreported == 0 && coins.isEmpty()) {
            flushed.complete();
            return;
        }
        report().onComplete(reported -> {
            if (reported.succeeded()) {
                flushUntil(deadline, flushed);
                return;
            }
            long retryInMs = retryDelay(reported.cause());
            if (deadline - System.nanoTime() < TimeUnit.MILLISECONDS.toNanos(retryInMs)) {
                LOG.error("{} counted hash(es) and {} coin(s) could not be reported to Redis before the stop deadline",
                    unreported, coins.size());
                flushed.complete();
            } else {
                vertx.setTimer(retryInMs, again -> flushUntil(deadline, flushed));
            }
        });
    }

    private long retryDelay(Throwable failure) {
        long retryInMs = backoff.next();
        outage.failed(call, failure, retryInMs);
        return retryInMs;
    }

    /** Sends the pending report, or makes one of what is counted so far; completes once Redis acknowledged it. */
    private Future<Void> report() {
        if (sending != null) {
            return sending;  // the periodic report and the flush on stop share one send at a time
        }
        if (pending == null) {
            List<Coin> found = new ArrayList<>(Math.min(coins.size(), COINS_PER_REPORT));
            for (Coin coin : coins) {
                if (found.size() == COINS_PER_REPORT) {
                    break;
                }
                found.add(coin);
            }
            pending = new Report(++reportsMade, unreported, List.copyOf(found));
            LOG.info("{} units of work done, updating hash counter", pending.hashes());
        }
        Report report = pending;
        // Marked in progress before the send: a send that fails at once (a write on a connection closed while the
        // process was paused) completes within apply(), and its failed future must not stay "the send in progress"
        // for ever, which stopped every later report and made the stop lose everything counted since.
        Promise<Void> sent = Promise.promise();
        sending = sent.future();
        apply(report)
            .timeout(REDIS_TIMEOUT_MS, TimeUnit.MILLISECONDS)
            .<Void>map(created -> {
                // Applied now, or by an earlier copy of this report whose reply was lost: either way it is in Redis.
                unreported -= report.hashes();
                report.coins().forEach(coin -> coins.pollFirst());
                for (int i = 0; i < created.size(); i++) {
                    if (created.get(i).toInteger() == 0) {
                        LOG.info("We already had that coin");
                    }
                }
                pending = null;
                backoff.reset();
                outage.succeeded();
                return null;
            })
            .onComplete(answer -> {
                sending = null;
                sent.handle(answer);
            });
        return sent.future();
    }

    /** Runs the script by its SHA1, loading it first if Redis does not have it; the per-coin replies, if applied. */
    private Future<List<Response>> apply(Report report) {
        return redis.send(script(Command.EVALSHA, SCRIPT_SHA1, report))
            .recover(failure -> String.valueOf(failure.getMessage()).startsWith("NOSCRIPT")
                ? redis.send(script(Command.EVAL, SCRIPT, report))
                : Future.failedFuture(failure))
            .map(reply -> {
                List<Response> created = new ArrayList<>();
                for (int i = 1; i < reply.size(); i++) {
                    created.add(reply.get(i));
                }
                return created;
            });
    }

    private Request script(Command command, String script, Report report) {
        Request request = Request.cmd(command).arg(script).arg(6)
            .arg(RedisKeys.HASHES).arg(RedisKeys.WORKER_HASHES).arg(RedisKeys.WORKER_SEEN)
            .arg(RedisKeys.WORKER_VERSION).arg(RedisKeys.WALLET).arg(lastReportKey)
            .arg(config.workerId()).arg(report.number()).arg(report.hashes()).arg(config.version())
            .arg(LAST_REPORT_TTL_SECONDS);
        report.coins().forEach(coin -> request.arg(coin.hex()).arg(coin.bytes()));
        return request;
    }

    private static String readScript() {
        try (InputStream script = HashCounter.class.getResourceAsStream("report.lua")) {
            return new String(script.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha1Hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
                .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
