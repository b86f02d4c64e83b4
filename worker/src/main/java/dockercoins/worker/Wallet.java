package dockercoins.worker;

import dockercoins.shared.RedisKeys;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
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
        return store(coin).recover(failure -> {
            coin.triedBefore = true;
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

    private Future<Void> store(Coin coin) {
        return redis.send(Request.cmd(Command.HSET).arg(RedisKeys.WALLET).arg(coin.hex).arg(coin.bytes))
            .timeout(Worker.REDIS_TIMEOUT_MS, TimeUnit.MILLISECONDS)
            .map(created -> {
                outage.succeeded();
                if (created.toInteger() == 0 && !coin.triedBefore) {
                    LOG.info("We already had that coin");
                }
                return null;
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

    /** Stores the waiting coins, oldest first, one at a time, until none is left. */
    private void storeWaiting() {
        retryTimer = -1;
        Coin oldest = waiting.peekFirst();
        if (oldest == null) {
            backoff.reset();
            dropped = 0;
            if (flushed != null) {
                flushed.tryComplete();
            }
            return;
        }
        storingWaiting = true;
        store(oldest).onComplete(stored -> {
            storingWaiting = false;
            if (stored.succeeded()) {
                waiting.pollFirst();
                storeWaiting();
            } else {
                oldest.triedBefore = true;
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
        if (flushed != null && flushDeadline - System.nanoTime() < TimeUnit.MILLISECONDS.toNanos(retryInMs)) {
            LOG.error("{} coin(s) could not be put in the wallet before the stop deadline", waiting.size());
            flushed.tryComplete();
            return;
        }
        retryTimer = vertx.setTimer(retryInMs, fired -> storeWaiting());
    }
}
