package dockercoins.worker;

import dockercoins.shared.RedisKeys;
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

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The wallet in Redis: {@code HSET wallet <hex> <bytes>}, as in the original. While Redis fails, coins wait
 * here in the order found and are stored once it answers again, so that mining never waits for Redis.
 * Used from the worker's one event loop only.
 */
final class Wallet {

    private static final Logger LOG = LoggerFactory.getLogger("worker");
    /** About 20 MB: hours of mining at workshop speeds. Past it, a coin is dropped (its hash still counts). */
    private static final int MAX_WAITING = 100_000;
    /** Waiting coins are stored this many per round trip (pipelined, one HSET each). */
    private static final int BATCH = 100;

    /** A coin to store; once an attempt failed, a later "already there" may be that attempt having landed after all. */
    private static final class Coin {
        final String hex;
        final Buffer bytes;
        boolean triedBefore;

        Coin(String hex, Buffer bytes) {
            this.hex = hex;
            this.bytes = bytes;
        }
    }

    private final Vertx vertx;
    private final Redis redis;
    private final Outage outage;
    private final String call;
    private final Deque<Coin> waiting = new ArrayDeque<>();
    private final Backoff backoff = new Backoff();
    private long retryTimer = -1;
    private boolean storingWaiting;
    private long dropped;
    private Promise<Void> flushed;
    private long flushDeadline;

    Wallet(Vertx vertx, Redis redis, String redisAddress, Outage outage) {
        this.vertx = vertx;
        this.redis = redis;
        this.outage = outage;
        this.call = "HSET " + RedisKeys.WALLET + " at " + redisAddress;
    }

    /** Stores the coin, or keeps it for later if Redis fails; either way the loop carries on. */
    Future<Void> keep(String hex, Buffer bytes) {
        Coin coin = new Coin(hex, bytes);
        if (!waiting.isEmpty()) {
            // Redis failed a moment ago: join the queue rather than make the loop wait for a timeout.
            hold(coin);
            return Future.succeededFuture();
        }
        return store(List.of(coin)).recover(failure -> {
            hold(coin);
            retryLater(failure);
            return Future.succeededFuture();
        });
    }

    /** On stop: stores the waiting coins, retrying until none is left or {@code grace} has passed. */
    Future<Void> flush(Duration grace) {
        flushed = Promise.promise();
        flushDeadline = System.nanoTime() + grace.toNanos();
        if (retryTimer != -1) {
            vertx.cancelTimer(retryTimer);
            storeWaiting();
        } else if (!storingWaiting) {
            storeWaiting();
        }
        return flushed.future();
    }

    private Future<Void> store(List<Coin> coins) {
        List<Request> hsets = new ArrayList<>(coins.size());
        for (Coin coin : coins) {
            hsets.add(Request.cmd(Command.HSET).arg(RedisKeys.WALLET).arg(coin.hex).arg(coin.bytes));
        }
        return redis.batch(hsets)
            .timeout(Worker.REDIS_TIMEOUT_MS, TimeUnit.MILLISECONDS)
            .transform(stored -> {
                if (stored.failed()) {
                    coins.forEach(coin -> coin.triedBefore = true);
                    return Future.failedFuture(stored.cause());
                }
                outage.succeeded();
                List<Response> created = stored.result();
                for (int i = 0; i < coins.size(); i++) {
                    if (created.get(i).toInteger() == 0 && !coins.get(i).triedBefore) {
                        LOG.info("We already had that coin");
                    }
                }
                return Future.succeededFuture();
            });
    }

    private void hold(Coin coin) {
        if (waiting.size() < MAX_WAITING) {
            waiting.addLast(coin);
        } else if (dropped++ == 0) {
            LOG.error("{} coins are waiting for Redis already; dropping the new ones (their hashes still count)",
                MAX_WAITING);
        }
    }

    /** Stores the waiting coins, oldest first, until none is left (or, when stopping, time is up). */
    private void storeWaiting() {
        retryTimer = -1;
        if (waiting.isEmpty() || pastFlushDeadline(0)) {
            if (waiting.isEmpty()) {
                backoff.reset();
                dropped = 0;
            }
            finishFlush();
            return;
        }
        List<Coin> oldest = new ArrayList<>(BATCH);
        for (Coin coin : waiting) {
            if (oldest.size() == BATCH) {
                break;
            }
            oldest.add(coin);
        }
        storingWaiting = true;
        store(oldest).onComplete(stored -> {
            storingWaiting = false;
            if (stored.succeeded()) {
                oldest.forEach(coin -> waiting.pollFirst());
                storeWaiting();
            } else {
                retryLater(stored.cause());
            }
        });
    }

    private void retryLater(Throwable failure) {
        long retryInMs = backoff.next();
        outage.failed(call, failure, retryInMs);
        if (retryTimer != -1 || storingWaiting) {
            return;  // a retry is on its way already
        }
        if (pastFlushDeadline(retryInMs)) {
            finishFlush();
            return;
        }
        retryTimer = vertx.setTimer(retryInMs, fired -> storeWaiting());
    }

    private boolean pastFlushDeadline(long inMs) {
        return flushed != null && flushDeadline - System.nanoTime() < TimeUnit.MILLISECONDS.toNanos(inMs);
    }

    private void finishFlush() {
        if (flushed == null) {
            return;
        }
        if (!waiting.isEmpty()) {
            LOG.error("{} coin(s) could not be put in the wallet before the stop deadline", waiting.size());
        }
        flushed.tryComplete();
    }
}
