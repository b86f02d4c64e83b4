package dockercoins.worker;

import dockercoins.shared.RedisKeys;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Counts this worker's hashes and reports them to Redis every WORKER_REPORT_MS: {@code INCRBY hashes n} and the
 * per-worker keys, in one MULTI/EXEC. A counted hash leaves the unreported total only once Redis acknowledged it;
 * until then it is reported again, however long Redis is away. Used from the worker's one event loop only.
 */
final class HashCounter {

    private static final Logger LOG = LoggerFactory.getLogger("worker");

    /**
     * Reports are numbered per run of the worker, and the MULTI/EXEC that applies one also stores its number. Before
     * applying, the worker WATCHes and reads that number: a report sent again after its answer was lost (Redis applied
     * it, then the reply timed out) is recognised and not counted twice, and if a late copy lands between the read
     * and EXEC, WATCH makes that EXEC do nothing.
     */
    /** Prefix of the key holding the number of this run's last applied report. */
    private static final String LAST_REPORT_PREFIX = "worker_report:";
    /** The last-report key outlives the worker by a day: only a late copy of one of its reports could need it. */
    private static final int LAST_REPORT_TTL_SECONDS = 86_400;

    private record Report(long number, long hashes) {
    }

    private final Vertx vertx;
    private final Redis redis;
    private final WorkerConfig config;
    private final Outage outage;
    private final Counter hashes;
    private final String lastReportKey;
    private final String call;
    private final Backoff backoff = new Backoff();
    /** Counted, not yet acknowledged by Redis; includes the report being sent. */
    private volatile long unreported;
    /** The report being sent or retried: its number and size stay fixed until Redis acknowledges it. */
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
        this.call = "MULTI/EXEC (INCRBY " + RedisKeys.HASHES + ", HINCRBY " + RedisKeys.WORKER_HASHES + ", ZADD "
            + RedisKeys.WORKER_SEEN + ") at " + config.redisAddress();
    }

    void start() {
        reportIn(config.reportMs());
    }

    /** One more hash done. After {@link #flush} has begun, nothing is counted any more: it could not be reported. */
    void count() {
        if (!sealed) {
            unreported++;
            hashes.increment();
        }
    }

    /** On stop: counts no more, and reports until every counted hash is in Redis or {@code grace} has passed. */
    Future<Void> flush(Duration grace) {
        sealed = true;
        vertx.cancelTimer(reportTimer);
        Promise<Void> flushed = Promise.promise();
        flushUntil(System.nanoTime() + grace.toNanos(), flushed);
        // The final tally, so whoever stopped the worker can hold Redis to it.
        return flushed.future().onComplete(done -> LOG.info("worker {} counted {} hashes in all, {} of them not in Redis",
            config.workerId(), (long) hashes.count(), unreported));
    }

    private void reportIn(long delayMs) {
        reportTimer = vertx.setTimer(delayMs, fired -> report().onComplete(reported -> {
            if (sealed) {
                return;  // the flush on stop carries on from here
            }
            if (reported.succeeded()) {
                reportIn(config.reportMs());
            } else {
                long retryInMs = backoff.next();
                outage.failed(call, reported.cause(), retryInMs);
                reportIn(retryInMs);
            }
        }));
    }

    private void flushUntil(long deadline, Promise<Void> flushed) {
        if (unreported == 0) {
            flushed.complete();
            return;
        }
        report().onComplete(reported -> {
            if (reported.succeeded()) {
                flushUntil(deadline, flushed);
                return;
            }
            long retryInMs = backoff.next();
            outage.failed(call, reported.cause(), retryInMs);
            if (deadline - System.nanoTime() < TimeUnit.MILLISECONDS.toNanos(retryInMs)) {
                LOG.error("{} counted hash(es) could not be reported to Redis before the stop deadline", unreported);
                flushed.complete();
            } else {
                vertx.setTimer(retryInMs, again -> flushUntil(deadline, flushed));
            }
        });
    }

    /**
     * Sends the pending report, or makes one of everything counted so far; completes once Redis acknowledged it.
     * One send at a time: the periodic report and the flush on stop share it.
     */
    private Future<Void> report() {
        if (sending != null) {
            return sending;
        }
        if (pending == null) {
            pending = new Report(++reportsMade, unreported);
            LOG.info("{} units of work done, updating hash counter", pending.hashes());
        }
        Report report = pending;
        Promise<Void> acknowledged = Promise.promise();
        sending = acknowledged.future();
        apply(report)
            .timeout(Worker.REDIS_TIMEOUT_MS, TimeUnit.MILLISECONDS)
            .onComplete(answer -> {
                sending = null;
                if (answer.succeeded()) {
                    // Applied now or by an earlier copy of this report: either way these hashes are in Redis.
                    unreported -= report.hashes();
                    pending = null;
                    backoff.reset();
                    outage.succeeded();
                    acknowledged.complete();
                } else {
                    acknowledged.fail(answer.cause());
                }
            });
        return sending;
    }

    /** WATCH the report number, skip if Redis has it already, else MULTI/EXEC the counts with the number. */
    private Future<Void> apply(Report report) {
        return redis.connect().compose(connection -> connection.send(Request.cmd(Command.WATCH).arg(lastReportKey))
            .compose(watching -> connection.send(Request.cmd(Command.GET).arg(lastReportKey)))
            .compose(last -> {
                if (last != null && last.toLong() >= report.number()) {
                    return connection.send(Request.cmd(Command.UNWATCH)).<Void>mapEmpty();
                }
                return connection.batch(List.of(
                        Request.cmd(Command.MULTI),
                        Request.cmd(Command.INCRBY).arg(RedisKeys.HASHES).arg(report.hashes()),
                        Request.cmd(Command.HINCRBY).arg(RedisKeys.WORKER_HASHES).arg(config.workerId())
                            .arg(report.hashes()),
                        Request.cmd(Command.ZADD).arg(RedisKeys.WORKER_SEEN).arg(System.currentTimeMillis())
                            .arg(config.workerId()),
                        Request.cmd(Command.SET).arg(lastReportKey).arg(report.number())
                            .arg("EX").arg(LAST_REPORT_TTL_SECONDS),
                        Request.cmd(Command.EXEC)))
                    .compose(replies -> replies.get(replies.size() - 1) == null
                        ? Future.failedFuture("EXEC aborted: an earlier copy of report " + report.number()
                            + " landed meanwhile")
                        : Future.<Void>succeededFuture());
            })
            .onComplete(done -> {
                if (done.failed()) {
                    // The connection may still be inside WATCH or MULTI (say, a reply timed out): RESET clears
                    // that before the pool hands the connection to anyone else. Redis runs it in order.
                    connection.send(Request.cmd(Command.RESET));
                }
                connection.close();
            }));
    }
}
