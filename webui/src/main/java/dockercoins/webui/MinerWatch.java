package dockercoins.webui;

import dockercoins.shared.RedisKeys;
import dockercoins.shared.RedisUrl;
import dockercoins.shared.Service;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import static dockercoins.webui.RedisAnswers.answer;
import static dockercoins.webui.RedisAnswers.pairs;
import static dockercoins.webui.RedisAnswers.whole;

/**
 * The poll: reads the miner's figures from Redis for every viewer at once, one pipelined MULTI/EXEC per poll
 * (so {@code hashes} and the per-worker counts are read at the same instant), never two polls at a time, and hands
 * each {@link MinerSnapshot} (good, or saying why not) to the webui; keeps the latest for /json. It only reads:
 * stale workers are left in Redis (the per-worker counts must keep adding up to {@code hashes}) and simply drop out
 * of view once they stop reporting.
 */
final class MinerWatch {

    /** Redis is read this often, whatever the number of viewers. */
    static final long POLL_EVERY_MS = 1_000;
    /** A worker is active while it reported within this long: five missed one-second reports. */
    static final long ACTIVE_MS = 5_000;
    /** A poll that takes longer makes Redis "unreachable" on the page; the poll itself is not repeated meanwhile. */
    static final long POLL_TIMEOUT_MS = 2_000;

    private static final Logger LOG = LoggerFactory.getLogger("webui");

    private final URI redisUrl;
    private final LongSupplier clock;
    private final MinerMeters meters;
    private final Speedometer workerSpeeds = new Speedometer();
    /** The speed of the hashes no per-worker figure explains: workers that write none, such as the original's. */
    private final Speedometer otherSpeed = new Speedometer();
    private Redis redis;
    private Consumer<MinerSnapshot> onSnapshot;
    private boolean pollInFlight;
    /** How far Redis's clock is ahead of this one, as the last poll's TIME said. */
    private long redisClockAheadMs;
    private volatile MinerSnapshot latest = MinerSnapshot.connecting(System.currentTimeMillis());

    MinerWatch(URI redisUrl, MeterRegistry registry) {
        this(redisUrl, registry, System::currentTimeMillis);
    }

    /** With this node's clock given: tests set one that is off from Redis's. */
    MinerWatch(URI redisUrl, MeterRegistry registry, LongSupplier clock) {
        this.redisUrl = redisUrl;
        this.meters = new MinerMeters(registry);
        this.clock = clock;
    }

    /** Where Redis is, without the password a REDIS_URL may hold: for logs and the start-up line. */
    String where() {
        return RedisUrl.withoutPassword(redisUrl);
    }

    void start(Vertx vertx, Consumer<MinerSnapshot> onSnapshot) {
        this.onSnapshot = onSnapshot;
        redis = RedisUrl.client(vertx, redisUrl);
    }

    Future<Void> stop() {
        return redis == null ? Future.succeededFuture() : redis.close();
    }

    MinerSnapshot latest() {
        return latest;
    }

    /**
     * Reads Redis once, unless the previous read is still under way; hands the result to the listener.
     * ZRANGEBYSCORE is deprecated since Redis 6.2 in favour of ZRANGE with a by-score option, which 5.0 lacks.
     */
    @SuppressWarnings("deprecation")
    void poll() {
        if (pollInFlight) {
            // A slow or frozen Redis gets no second batch on top of the first; viewers still hear every second.
            if (MinerSnapshot.UNREACHABLE.equals(latest.redis())) {
                publish(latest.failing(MinerSnapshot.UNREACHABLE, latest.redisSince(), System.currentTimeMillis(),
                    null));
            }
            return;
        }
        pollInFlight = true;
        long nowMs = clock.getAsLong();
        Future<List<Response>> batch = redis.batch(List.of(
            Request.cmd(Command.MULTI),
            Request.cmd(Command.GET).arg(RedisKeys.HASHES),
            Request.cmd(Command.HLEN).arg(RedisKeys.WALLET),
            // Not ZRANGE by score: Redis 5.0 must do (the workshop's Helm chapter runs 6.0).
            // worker_seen is Redis's clock (the workers' report script stamps it with TIME): the cut-off is too,
            // estimated from the last poll's TIME and made exact below, so a webui whose clock is off hides no worker.
            Request.cmd(Command.ZRANGEBYSCORE).arg(RedisKeys.WORKER_SEEN)
                .arg(nowMs + redisClockAheadMs - ACTIVE_MS - POLL_TIMEOUT_MS).arg("+inf").arg("WITHSCORES"),
            Request.cmd(Command.HGETALL).arg(RedisKeys.WORKER_HASHES),
            Request.cmd(Command.HGETALL).arg(RedisKeys.WORKER_VERSION),
            Request.cmd(Command.TIME),
            Request.cmd(Command.EXEC)));
        batch.onComplete(done -> pollInFlight = false);
        batch.timeout(POLL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
            .map(replies -> read(replies.get(replies.size() - 1), nowMs))
            .onComplete(read -> publish(read.succeeded()
                ? read.result()
                : failing(read.cause(), System.currentTimeMillis())));
    }

    private void publish(MinerSnapshot snapshot) {
        latest = snapshot;
        meters.show(snapshot);
        onSnapshot.accept(snapshot);
    }

    private MinerSnapshot read(Response exec, long nowMs) {
        long hashes = exec.get(0) == null ? 0 : whole(RedisKeys.HASHES, answer(RedisKeys.HASHES, exec.get(0)));
        long coins = whole(RedisKeys.WALLET, answer(RedisKeys.WALLET, exec.get(1)));
        Map<String, Response> seen = pairs(answer(RedisKeys.WORKER_SEEN, exec.get(2)));
        Map<String, Response> counts = pairs(answer(RedisKeys.WORKER_HASHES, exec.get(3)));
        Map<String, Response> versions = pairs(answer(RedisKeys.WORKER_VERSION, exec.get(4)));
        long redisNowMs = exec.get(5).get(0).toLong() * 1000 + exec.get(5).get(1).toLong() / 1000;
        redisClockAheadMs = redisNowMs - nowMs;
        seen.values().removeIf(seenMs -> Double.parseDouble(seenMs.toString()) < redisNowMs - ACTIVE_MS);
        List<MinerSnapshot.Worker> workers = new ArrayList<>();
        double sum = 0;
        boolean anySpeed = false;
        for (Map.Entry<String, Response> worker : seen.entrySet()) {
            Response count = counts.get(worker.getKey());
            long reported = count == null ? 0 : whole(RedisKeys.WORKER_HASHES + "[" + worker.getKey() + "]", count);
            long reportedAtMs = (long) Double.parseDouble(worker.getValue().toString());
            Response version = versions.get(worker.getKey());
            Double speed = workerSpeeds.read(worker.getKey(), reportedAtMs, reported);
            workers.add(new MinerSnapshot.Worker(worker.getKey(), version == null ? null : version.toString(),
                reported, speed));
            if (speed != null) {
                sum += speed;
                anySpeed = true;
            }
        }
        workerSpeeds.keepOnly(seen.keySet());
        workers.sort((a, b) -> a.id().compareTo(b.id()));
        // The speed is the rate of `hashes`, as the original's webui measured it, in two parts read at the same
        // instant: what the per-worker counts explain (each measured between its worker's own reports, a steady
        // figure), and the rest, moved by workers that write no per-worker figures (the original's, which only
        // INCRBY hashes). Every per-worker count, active or not, is part of `hashes`, so the rest is exact.
        long explained = 0;
        for (Map.Entry<String, Response> count : counts.entrySet()) {
            explained += whole(RedisKeys.WORKER_HASHES + "[" + count.getKey() + "]", count.getValue());
        }
        Double others = otherSpeed.readPolled(RedisKeys.HASHES, nowMs, hashes - explained);
        Double speed = others == null && !anySpeed ? null : sum + (others == null ? 0 : others);
        if (!latest.redisOk() && !MinerSnapshot.CONNECTING.equals(latest.redis())) {
            LOG.info("redis at {} answers with good data again after {} s {}", where(),
                (nowMs - latest.redisSince()) / 1000, latest.redis());
        }
        long since = latest.redisOk() ? latest.redisSince() : nowMs;
        return new MinerSnapshot(MinerSnapshot.OK, since, nowMs, coins, hashes, speed, List.copyOf(workers), others,
            null);
    }

    /** Redis did not answer (unreachable), or answered with what DockerCoins never writes (bad data). */
    private MinerSnapshot failing(Throwable cause, long atMs) {
        String state = cause instanceof RedisAnswers.BadData ? MinerSnapshot.BAD_DATA : MinerSnapshot.UNREACHABLE;
        String problem = cause instanceof RedisAnswers.BadData ? cause.getMessage() : null;
        if (state.equals(latest.redis()) && Objects.equals(problem, latest.problem())) {
            return latest.failing(state, latest.redisSince(), atMs, problem);
        }
        // Once per outage or per kind of bad data: the page says which; the log says why.
        if (problem != null) {
            LOG.warn("bad data in redis at {}: {}; the figures shown are the last good ones", where(), problem);
        } else {
            LOG.warn("redis unreachable at {} ({}): retrying every {} s", where(), Service.reason(cause),
                POLL_EVERY_MS / 1000);
        }
        return latest.failing(state, atMs, atMs, problem);
    }
}
