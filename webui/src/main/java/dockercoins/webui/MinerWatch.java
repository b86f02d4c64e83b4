package dockercoins.webui;

import dockercoins.shared.RedisKeys;
import dockercoins.shared.RedisUrl;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClientOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Reads the miner's figures from Redis for every viewer at once: one pipelined MULTI/EXEC per poll
 * (so {@code hashes} and the per-worker counts are read at the same instant), never two polls at a time.
 * Keeps the latest {@link MinerSnapshot} and the speed of the last {@value #HISTORY_POINTS} polls.
 * It only reads: stale workers are left in Redis (the per-worker counts must keep adding up to
 * {@code hashes}) and simply drop out of view once they stop reporting.
 */
final class MinerWatch {

    /** A worker is active while it reported within this long: five missed one-second reports. */
    static final long ACTIVE_MS = 5_000;
    /** One point per poll, as many as the original's chart kept. */
    static final int HISTORY_POINTS = 250;
    /** A poll that takes longer makes Redis "unreachable" on the page; the poll itself is not repeated meanwhile. */
    static final long POLL_TIMEOUT_MS = 2_000;
    /** A connection that reads nothing for this long is closed, which ends a poll stuck on a frozen Redis. */
    private static final int READ_IDLE_TIMEOUT_S = 3;
    private static final int CONNECT_TIMEOUT_MS = 2_000;

    private static final Logger LOG = LoggerFactory.getLogger("webui");

    private final URI redisUrl;
    private final MeterRegistry registry;
    private final Speedometer workerSpeeds = new Speedometer();
    private final Speedometer totalSpeed = new Speedometer();
    private final ArrayDeque<JsonArray> history = new ArrayDeque<>();
    private Redis redis;
    private Consumer<MinerSnapshot> onSnapshot;
    private boolean pollInFlight;
    private boolean metersRegistered;
    private volatile MinerSnapshot latest = MinerSnapshot.connecting(System.currentTimeMillis());

    MinerWatch(URI redisUrl, MeterRegistry registry) {
        this.redisUrl = redisUrl;
        this.registry = registry;
    }

    /** Where Redis is, without the password a REDIS_URL may hold: for logs and the start-up line. */
    String where() {
        return RedisUrl.withoutPassword(redisUrl);
    }

    void start(Vertx vertx, Consumer<MinerSnapshot> onSnapshot) {
        this.onSnapshot = onSnapshot;
        // Not the pooled client the worker uses: one connection is all one poll needs, and the read-idle
        // timeout drops a connection to a frozen or vanished Redis, where a poll would otherwise wait forever.
        redis = Redis.createClient(vertx, new RedisOptions()
            .setConnectionString(redisUrl.toString())
            .setNetClientOptions(new NetClientOptions()
                .setConnectTimeout(CONNECT_TIMEOUT_MS)
                .setReadIdleTimeout(READ_IDLE_TIMEOUT_S)
                .setTcpNoDelay(true))
            .setMaxPoolSize(1)
            .setMaxPoolWaiting(1));
    }

    Future<Void> stop() {
        return redis == null ? Future.succeededFuture() : redis.close();
    }

    MinerSnapshot latest() {
        return latest;
    }

    /** The latest snapshot with the speed history, [[now, speed], …] oldest first: a new page's first event. */
    JsonObject latestWithHistory() {
        return latest.toJson().put("history", new JsonArray(new ArrayList<>(history)));
    }

    /** Reads Redis once, unless the previous read is still under way; hands the result to the listener. */
    void poll() {
        if (pollInFlight) {
            // A slow or frozen Redis gets no second batch on top of the first; viewers still hear every second.
            if (MinerSnapshot.UNREACHABLE.equals(latest.redis())) {
                publish(latest.unreachable(latest.redisSince(), System.currentTimeMillis()));
            }
            return;
        }
        pollInFlight = true;
        long nowMs = System.currentTimeMillis();
        Future<List<Response>> batch = redis.batch(List.of(
            Request.cmd(Command.MULTI),
            Request.cmd(Command.GET).arg(RedisKeys.HASHES),
            Request.cmd(Command.HLEN).arg(RedisKeys.WALLET),
            Request.cmd(Command.ZRANGE).arg(RedisKeys.WORKER_SEEN).arg(nowMs - ACTIVE_MS).arg("+inf")
                .arg("BYSCORE").arg("WITHSCORES"),
            Request.cmd(Command.HGETALL).arg(RedisKeys.WORKER_HASHES),
            Request.cmd(Command.EXEC)));
        batch.onComplete(done -> pollInFlight = false);
        batch.timeout(POLL_TIMEOUT_MS, TimeUnit.MILLISECONDS)
            .map(replies -> read(replies.get(replies.size() - 1), nowMs))
            .onComplete(read -> publish(read.succeeded()
                ? read.result()
                : lost(read.cause(), System.currentTimeMillis())));
    }

    private void publish(MinerSnapshot snapshot) {
        latest = snapshot;
        if (snapshot.redisOk()) {
            registerMeters();
        }
        history.addLast(new JsonArray()
            .add(MinerSnapshot.seconds(snapshot.nowMs()))
            .add(MinerSnapshot.rounded(snapshot.speed())));
        while (history.size() > HISTORY_POINTS) {
            history.removeFirst();
        }
        onSnapshot.accept(snapshot);
    }

    private MinerSnapshot read(Response exec, long nowMs) {
        long hashes = exec.get(0) == null ? 0 : Long.parseLong(exec.get(0).toString());
        long coins = exec.get(1).toLong();
        Map<String, Response> seen = pairs(exec.get(2));
        Map<String, Response> counts = pairs(exec.get(3));
        List<MinerSnapshot.Worker> workers = new ArrayList<>();
        double sum = 0;
        boolean anySpeed = false;
        for (Map.Entry<String, Response> worker : seen.entrySet()) {
            Response count = counts.get(worker.getKey());
            long reported = count == null ? 0 : Long.parseLong(count.toString());
            long reportedAtMs = (long) Double.parseDouble(worker.getValue().toString());
            Double speed = workerSpeeds.read(worker.getKey(), reportedAtMs, reported);
            workers.add(new MinerSnapshot.Worker(worker.getKey(), reported, speed));
            if (speed != null) {
                sum += speed;
                anySpeed = true;
            }
        }
        workerSpeeds.keepOnly(seen.keySet());
        workers.sort((a, b) -> a.id().compareTo(b.id()));
        // Per-worker speeds add up to the total; workers that report no per-worker keys (the original's)
        // still move `hashes`, so without any per-worker figure the total is measured on it instead.
        Double totalFromHashes = totalSpeed.read(RedisKeys.HASHES, nowMs, hashes);
        Double speed = anySpeed ? Double.valueOf(sum) : totalFromHashes;
        if (!latest.redisOk() && !MinerSnapshot.CONNECTING.equals(latest.redis())) {
            LOG.info("redis reachable again at {} after {} s", where(), (nowMs - latest.redisSince()) / 1000);
        }
        long since = latest.redisOk() ? latest.redisSince() : nowMs;
        return new MinerSnapshot(MinerSnapshot.OK, since, nowMs, coins, hashes, speed, List.copyOf(workers));
    }

    private MinerSnapshot lost(Throwable cause, long atMs) {
        if (MinerSnapshot.UNREACHABLE.equals(latest.redis())) {
            return latest.unreachable(latest.redisSince(), atMs);
        }
        // Once per outage: the page says "unreachable"; the reason stays here, in the log.
        LOG.warn("redis unreachable at {} ({}): retrying every {} s", where(), reason(cause),
            Webui.POLL_EVERY_MS / 1000);
        return latest.unreachable(atMs, atMs);
    }

    /**
     * The meters appear with the first figures read: a counter that started at 0 and then jumped to
     * the real total would look, to Prometheus, like a burst of hashing.
     */
    private void registerMeters() {
        if (metersRegistered) {
            return;
        }
        metersRegistered = true;
        Gauge.builder("dockercoins.coins", this, watch -> watch.latest.coins())
            .description("Coins in the wallet (HLEN wallet), as last read from Redis")
            .register(registry);
        FunctionCounter.builder("dockercoins.hashes", this, watch -> watch.latest.hashes())
            .description("Hashes computed by all workers (GET hashes), as last read from Redis")
            .register(registry);
        Gauge.builder("dockercoins.workers.active", this, watch -> watch.latest.workers().size())
            .description("Workers that reported within the last " + ACTIVE_MS / 1000 + " s, as last read from Redis")
            .register(registry);
    }

    /** Field/value pairs, whichever way Redis sends them: a RESP3 map, RESP3 pairs, or a RESP2 flat list. */
    private static Map<String, Response> pairs(Response reply) {
        Map<String, Response> pairs = new LinkedHashMap<>();
        if (reply == null) {
            return pairs;
        }
        if (reply.isMap()) {
            for (String key : reply.getKeys()) {
                pairs.put(key, reply.get(key));
            }
            return pairs;
        }
        for (int i = 0; i < reply.size(); i++) {
            Response item = reply.get(i);
            if (item.type() == ResponseType.MULTI) {
                pairs.put(item.get(0).toString(), item.get(1));
            } else {
                pairs.put(item.toString(), reply.get(++i));
            }
        }
        return pairs;
    }

    private static String reason(Throwable cause) {
        return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    }
}
