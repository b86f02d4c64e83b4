package dockercoins.webui;

import dockercoins.shared.RedisKeys;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Stands in for a worker where the test needs one that can be added and removed at will: every second it
 * reports to Redis as a worker does (INCRBY hashes, HINCRBY worker_hashes, ZADD worker_seen, its version, coins in
 * the wallet, all in one MULTI/EXEC), about 3.3 hashes a second like the original's worker. Or, as
 * {@link #original}, it reports as the original's worker does: only {@code INCRBY hashes}, once a second.
 */
final class FakeWorker implements AutoCloseable {

    static final long REPORT_MS = 1_000;
    static final String VERSION = "1.0.0-fake";

    private final Redis redis;
    private final Vertx vertx;
    private final String id;
    private final long timer;
    /** Hashes per report of a worker that writes only {@code hashes}; 0 for one of ours. */
    private final long originalHashesPerReport;
    private long reports;
    private long hashes;
    /** The last report sent, which {@link #close()} waits for; guarded by this. */
    private Future<?> lastReport = Future.succeededFuture();
    private boolean closed;

    private FakeWorker(Vertx vertx, String redisUrl, String id, long originalHashesPerReport) {
        this.vertx = vertx;
        this.redis = Redis.createClient(vertx, redisUrl);
        this.id = id;
        this.originalHashesPerReport = originalHashesPerReport;
        this.timer = vertx.setPeriodic(0, REPORT_MS, tick -> report());
    }

    static FakeWorker start(Vertx vertx, String redisUrl, String id) {
        return new FakeWorker(vertx, redisUrl, id, 0);
    }

    /** The original's worker: {@code INCRBY hashes <n>} once a second, and no other key. */
    static FakeWorker original(Vertx vertx, String redisUrl, long hashesPerSecond) {
        return new FakeWorker(vertx, redisUrl, "original", hashesPerSecond);
    }

    String id() {
        return id;
    }

    private synchronized void report() {
        if (closed) {
            return;  // a tick that was already due when close() cancelled the timer
        }
        reports++;
        if (originalHashesPerReport > 0) {
            lastReport = redis.send(Request.cmd(Command.INCRBY).arg(RedisKeys.HASHES).arg(originalHashesPerReport));
            return;
        }
        // 3, 3, 4, 3, 3, 4…: ten hashes every three seconds.
        long done = reports * 10 / 3 - (reports - 1) * 10 / 3;
        List<Request> report = new ArrayList<>(List.of(
            Request.cmd(Command.MULTI),
            Request.cmd(Command.INCRBY).arg(RedisKeys.HASHES).arg(done),
            Request.cmd(Command.HINCRBY).arg(RedisKeys.WORKER_HASHES).arg(id).arg(done),
            Request.cmd(Command.ZADD).arg(RedisKeys.WORKER_SEEN).arg(System.currentTimeMillis()).arg(id),
            Request.cmd(Command.HSET).arg(RedisKeys.WORKER_VERSION).arg(id).arg(VERSION)));
        for (long hash = hashes + 1; hash <= hashes + done; hash++) {
            if (hash % 16 == 0) {  // one hex digest in 16 starts with "0": a coin
                report.add(Request.cmd(Command.HSET).arg(RedisKeys.WALLET)
                    .arg("0" + HexFormat.of().toHexDigits(id.hashCode()) + HexFormat.of().toHexDigits(hash))
                    .arg("random bytes"));
            }
        }
        report.add(Request.cmd(Command.EXEC));
        hashes += done;
        // A report lost while Redis is down is simply lost: the test does not count on it.
        lastReport = redis.batch(report);
    }

    /** Stops reporting; once this returns, the last report sent has landed in Redis (or failed), so Redis is final. */
    @Override
    public void close() {
        Future<?> inFlight;
        synchronized (this) {
            closed = true;
            vertx.cancelTimer(timer);
            inFlight = lastReport;
        }
        try {
            inFlight.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException lost) {
            // Redis was down or frozen: the report is lost, as above.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        redis.close();
    }
}
