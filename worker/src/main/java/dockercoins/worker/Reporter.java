package dockercoins.worker;

import dockercoins.shared.RedisKeys;
import dockercoins.worker.CoinBuffer.Report;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
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
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/**
 * The reporter: sends what the coin buffer holds to Redis, one report at a time, every WORKER_REPORT_MS, and on stop
 * until the buffer is empty. A report is one call of report.lua, which adds the hashes to {@code hashes} and the
 * per-worker keys and puts the coins in the wallet in one atomic step, or applies nothing at all; it applies a
 * report's number once, so a report resent after a lost reply never counts twice. Used from the worker's one event
 * loop only.
 */
final class Reporter {

    private static final Logger LOG = LoggerFactory.getLogger("worker");
    private static final String SCRIPT = readScript();
    private static final String SCRIPT_SHA1 = sha1Hex(SCRIPT);
    /** Prefix of the key holding the number of this run's last applied report; it outlives the worker by a day. */
    private static final String LAST_REPORT_PREFIX = "worker_report:";
    private static final int LAST_REPORT_TTL_SECONDS = 86_400;
    /** A report gets this long to be acknowledged; then it is sent again (applied once all the same). */
    static final int REDIS_TIMEOUT_MS = 2000;

    private final Vertx vertx;
    private final Redis redis;
    private final CoinBuffer buffer;
    private final WorkerConfig config;
    private final RetrySchedule retries;
    private final String lastReportKey;
    private final Promise<Void> flushed = Promise.promise();
    private long timer = -1;
    private boolean stopping;

    Reporter(Vertx vertx, Redis redis, CoinBuffer buffer, WorkerConfig config, MeterRegistry registry) {
        this.vertx = vertx;
        this.redis = redis;
        this.buffer = buffer;
        this.config = config;
        this.retries = new RetrySchedule("redis", "the report script (INCRBY " + RedisKeys.HASHES + ", HSET "
            + RedisKeys.WALLET + ", …) at " + config.redisAddress(), registry);
        // Each run reports under a number of its own, so a restarted worker's reports are never taken for old ones.
        byte[] run = new byte[8];
        new SecureRandom().nextBytes(run);
        this.lastReportKey = LAST_REPORT_PREFIX + config.workerId() + ":" + HexFormat.of().formatHex(run);
    }

    void start() {
        reportIn(config.reportMs());
    }

    /** On stop: seals the buffer and reports until it is empty, or until {@code grace} has passed. */
    Future<Void> flush(Duration grace) {
        stopping = true;
        buffer.seal();
        if (vertx.cancelTimer(timer)) {
            reportIn(0);  // waiting for the next interval or a retry: report now; else the report in flight goes on
        }
        return flushed.future()
            .timeout(grace.toMillis(), TimeUnit.MILLISECONDS)
            .recover(late -> {
                flushed.tryComplete();
                LOG.error("{} counted hash(es) and {} coin(s) could not be reported to Redis before the stop deadline",
                    buffer.unreported(), buffer.coinsHeld());
                return Future.succeededFuture();
            })
            .onComplete(done -> LOG.info("worker {} counted {}", config.workerId(), buffer.tally()));
    }

    /** The one place that decides when the next report goes: after each report, applied or not. */
    private void reportIn(long delayMs) {
        if (stopping && buffer.isEmpty()) {
            flushed.tryComplete();
        }
        if (flushed.future().isComplete()) {
            return;  // all reported, or the stop's grace is over
        }
        // "At once" is 1 ms: a Vert.x timer takes 1 ms at least.
        timer = vertx.setTimer(Math.max(1, delayMs), fired -> {
            timer = -1;
            report().onSuccess(this::reportIn);
        });
    }

    /**
     * The interval, unless a whole report's worth of coins is still held, or the worker is stopping: then at once. At
     * full speed a worker finds more coins per interval than one report carries (about 1,400 a second at 22,000
     * hashes/s), and waiting the interval each time would pile them up until mining paused.
     */
    private long nextReportMs() {
        return stopping || buffer.holdsAFullReport() ? 0 : config.reportMs();
    }

    /** Sends the buffer's report; answers how long to wait before the next one, or before retrying this one. */
    private Future<Long> report() {
        Report report = buffer.report();
        return apply(report)
            .timeout(REDIS_TIMEOUT_MS, TimeUnit.MILLISECONDS)
            .map(replies -> {
                buffer.acknowledged(report);
                retries.succeeded();
                for (int i = 1; i < replies.size(); i++) {  // after the first, one per coin: 0 if the wallet had it
                    if (replies.get(i).toInteger() == 0) {
                        LOG.info("We already had that coin");
                    }
                }
                return nextReportMs();
            })
            .otherwise(retries::delayAfter);
    }

    /** Runs the script by its SHA1, loading it first if Redis does not have it. */
    private Future<Response> apply(Report report) {
        return redis.send(script(Command.EVALSHA, SCRIPT_SHA1, report))
            .recover(failure -> String.valueOf(failure.getMessage()).startsWith("NOSCRIPT")
                ? redis.send(script(Command.EVAL, SCRIPT, report))
                : Future.failedFuture(failure));
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
        try (InputStream script = Reporter.class.getResourceAsStream("report.lua")) {
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
