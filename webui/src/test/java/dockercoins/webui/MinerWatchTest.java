package dockercoins.webui;

import dockercoins.localredis.LocalRedis;
import dockercoins.shared.RedisKeys;
import dockercoins.shared.RedisUrl;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** The poll itself, with this node's clock set off from Redis's. */
@ExtendWith(VertxExtension.class)
class MinerWatchTest {

    private LocalRedis redis;

    @BeforeEach
    void startRedis() throws IOException {
        redis = LocalRedis.start(0, LocalRedis.REDIS_5_COMMANDS_ONLY);
    }

    @AfterEach
    void stopRedis() {
        redis.close();
    }

    /**
     * Workers stamp worker_seen with Redis's clock (TIME in their report script). A webui whose own clock is a minute
     * off either way shows a worker that has just reported, and not one gone 10 s ago: it judges "reported within
     * 5 s" on Redis's clock.
     */
    @Test
    void aWebuiWhoseClockIsAMinuteOffStillShowsAWorkerThatJustReported(Vertx vertx) throws Exception {
        Redis client = RedisUrl.client(vertx, URI.create(redis.url()));
        for (long skewMs : new long[] {60_000, -60_000}) {
            // As report.lua does it: "miner" reports now, "gone" reported last 10 s ago, both by Redis's clock.
            client.send(Request.cmd(Command.EVAL)
                .arg("local t = redis.call('TIME'); local now = t[1] * 1000 + math.floor(t[2] / 1000);"
                    + " redis.call('ZADD', KEYS[1], now, 'miner', now - 10000, 'gone');"
                    + " return redis.call('HINCRBY', KEYS[2], 'miner', 10)")
                .arg(2).arg(RedisKeys.WORKER_SEEN).arg(RedisKeys.WORKER_HASHES))
                .await(10, TimeUnit.SECONDS);
            MinerWatch watch = new MinerWatch(URI.create(redis.url()), new SimpleMeterRegistry(),
                () -> System.currentTimeMillis() + skewMs);
            BlockingQueue<MinerSnapshot> snapshots = new LinkedBlockingQueue<>();
            vertx.runOnContext(go -> watch.start(vertx, snapshots::add));
            MinerSnapshot snapshot = null;
            // The first poll learns how far Redis's clock is; the second must show the worker.
            for (int poll = 0; poll < 2; poll++) {
                vertx.runOnContext(go -> watch.poll());
                snapshot = snapshots.poll(10, TimeUnit.SECONDS);
                assertNotNull(snapshot, "a poll within 10 s");
            }
            assertEquals(List.of("miner"), snapshot.workers().stream().map(MinerSnapshot.Worker::id).toList(),
                "the active workers, this webui's clock " + skewMs / 1000 + " s off Redis's");
            watch.stop().await(10, TimeUnit.SECONDS);
        }
        client.close();
    }
}
