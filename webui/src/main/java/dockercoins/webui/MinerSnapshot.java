package dockercoins.webui;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the dashboard shows at one instant: the original's {@code coins}, {@code hashes} and {@code now},
 * plus the speed and its breakdown (by worker, by version, and the workers without per-worker figures) and
 * whether Redis answered. When Redis does not answer, the figures are the last ones read (null if none yet)
 * and the speed is null: unknown, not zero.
 *
 * @param redis      "ok", "unreachable", "bad-data" (Redis answers, with values DockerCoins never writes), or
 *                   "connecting" before the first poll has finished
 * @param redisSince epoch milliseconds since which {@code redis} has been what it is
 * @param nowMs      epoch milliseconds of the poll, so that hashes/now pairs give the true speed
 * @param speed      the rate of {@code hashes}: the active workers' own speeds plus {@code otherSpeed}
 * @param otherSpeed the part of the speed no per-worker figure explains: workers that write none (the original's,
 *                   which only INCRBY hashes); null until known
 * @param problem    for bad data: which key, what it holds and what was expected; else null
 */
record MinerSnapshot(String redis, long redisSince, long nowMs, Long coins, Long hashes, Double speed,
                     List<Worker> workers, Double otherSpeed, String problem) {

    static final String OK = "ok";
    static final String UNREACHABLE = "unreachable";
    static final String BAD_DATA = "bad-data";
    static final String CONNECTING = "connecting";

    /**
     * One active worker: its id (the pod name), the version it runs (null for a worker that does not say), the
     * hashes it has reported, its own speed (null until known).
     */
    record Worker(String id, String version, long hashes, Double speed) {
    }

    static MinerSnapshot connecting(long nowMs) {
        return new MinerSnapshot(CONNECTING, nowMs, nowMs, null, null, null, List.of(), null, null);
    }

    boolean redisOk() {
        return OK.equals(redis);
    }

    /** The same figures, Redis {@code state} (unreachable or bad data) since {@code sinceMs}. */
    MinerSnapshot failing(String state, long sinceMs, long atMs, String why) {
        return new MinerSnapshot(state, sinceMs, atMs, coins, hashes, null, workers, null, why);
    }

    /** The body of {@code GET /json} and of each server-sent event. */
    JsonObject toJson() {
        JsonArray active = new JsonArray();
        for (Worker worker : workers) {
            active.add(new JsonObject()
                .put("id", worker.id())
                .put("version", worker.version())
                .put("hashes", worker.hashes())
                .put("speed", rounded(worker.speed())));
        }
        return new JsonObject()
            .put("coins", coins)
            .put("hashes", hashes)
            .put("now", seconds(nowMs))
            .put("speed", rounded(speed))
            .put("workers", active)
            .put("versions", versions())
            .put("otherWorkers", new JsonObject().put("speed", rounded(otherSpeed)))
            .put("redis", redis)
            .put("redisSince", seconds(redisSince))
            .put("redisProblem", problem);
    }

    /**
     * The speed of each version the active workers run, in order of version: a canary beside the stable workers, or
     * old and new during a rolling update. A version's speed is null while none of its workers has one yet.
     */
    private JsonArray versions() {
        Map<String, List<Worker>> byVersion = new TreeMap<>(Comparator.nullsLast(Comparator.naturalOrder()));
        for (Worker worker : workers) {
            byVersion.computeIfAbsent(worker.version(), version -> new ArrayList<>()).add(worker);
        }
        JsonArray versions = new JsonArray();
        byVersion.forEach((version, running) -> {
            Double speed = null;
            for (Worker worker : running) {
                if (worker.speed() != null) {
                    speed = (speed == null ? 0 : speed) + worker.speed();
                }
            }
            versions.add(new JsonObject().put("version", version).put("workers", running.size())
                .put("speed", rounded(speed)));
        });
        return versions;
    }

    /** Epoch seconds with milliseconds, written out plainly (a double would print as 1.7E9). */
    static BigDecimal seconds(long epochMs) {
        return BigDecimal.valueOf(epochMs, 3);
    }

    static Double rounded(Double speed) {
        return speed == null ? null : Math.round(speed * 100) / 100.0;
    }
}
