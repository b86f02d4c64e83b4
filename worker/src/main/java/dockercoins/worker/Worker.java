package dockercoins.worker;

import dockercoins.shared.Env;
import dockercoins.shared.HttpEdge;
import dockercoins.shared.RedisUrl;
import dockercoins.shared.Service;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.ext.web.Router;
import io.vertx.redis.client.Redis;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * worker: mines DockerCoins as the original's worker does: WORKER_CONCURRENCY loops, each doing {@code work_once()}
 * for ever: sleep, get 32 random bytes from rng, have hasher hash them, keep a coin when the hex digest starts with 0,
 * count the hash; the counts and coins go to Redis every WORKER_REPORT_MS. Its own HTTP serves only /metrics, /healthz
 * and /readyz. This file is the loop; the rest lives in RngAndHasher (the HTTP calls: timeouts, answers checked,
 * connection lifetime), CoinBuffer (what is counted and not yet in Redis), Reporter (the reports, each applied once by
 * report.lua), RetrySchedule (the backoff after a failure, and its log lines), Pauses (the sleeps, cut short on stop),
 * Liveness (/healthz: stuck or not), WorkerConfig (the environment) and WalletAudit ({@code worker.jar audit}).
 */
public final class Worker extends VerticleBase {

    private static final Logger LOG = LoggerFactory.getLogger("worker");
    /** On stop, loops in flight get this long to finish, then counts and coins this long to reach Redis: 15 s of 30. */
    private static final Duration LOOPS_GRACE = Duration.ofSeconds(5);
    private static final Duration FLUSH_GRACE = Duration.ofSeconds(10);

    private final WorkerConfig config;
    private final HttpEdge http;
    private Redis redis;
    private RngAndHasher rngAndHasher;
    private RetrySchedule rngRetries;
    private RetrySchedule hasherRetries;
    private CoinBuffer coins;
    private Reporter reporter;
    private final List<Future<Void>> loops = new ArrayList<>();
    private Pauses pauses;
    private boolean stopping;
    private final Liveness liveness;

    private Worker(WorkerConfig config, HttpEdge http) {
        this.config = config;
        this.http = http;
        // /healthz runs on this verticle's event loop, the one that sets stopping.
        this.liveness = new Liveness(config, () -> stopping);
    }

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("audit")) {
            WalletAudit.main(args);
        }
        Service.main("worker", Worker::deployment);
    }

    public static Service.Deployment deployment(Env env, HttpEdge http) {
        WorkerConfig config = WorkerConfig.from(env);
        return Service.Deployment.single(config.describe(), () -> new Worker(config, http));
    }

    @Override
    public Future<?> start() {
        // Nothing here connects: the worker starts whatever is up, and its loops retry until rng, hasher and Redis are.
        redis = RedisUrl.client(vertx, config.redisUrl());
        rngAndHasher = new RngAndHasher(vertx, config);
        rngRetries = new RetrySchedule("rng", "GET " + config.randomBytesUrl(), http.registry());
        hasherRetries = new RetrySchedule("hasher", "POST " + config.hashUrl(), http.registry());
        pauses = new Pauses(vertx);
        coins = new CoinBuffer(http.registry());
        reporter = new Reporter(vertx, redis, coins, config, http.registry());
        Router router = http.router(vertx);
        // Before the shared /healthz (which says only that the process answers): a worker whose loops are stuck
        // answers too, and only a restart helps it.
        HttpEdge.get(router, "/healthz").order(-1).handler(liveness::handle);
        return http.listen(vertx, router).onSuccess(listening -> {
            reporter.start();
            for (int i = 0; i < config.concurrency(); i++) {
                Promise<Void> ended = Promise.promise();
                loops.add(ended.future());
                nextTurn(ended, config.delayMs());
            }
        });
    }

    /** The one place that decides a loop's next turn: after {@code pauseMs}, unless the worker is stopping. */
    private void nextTurn(Promise<Void> ended, long pauseMs) {
        long began = System.nanoTime();
        pauses.of(pauseMs).onComplete(paused -> {
            liveness.progressed();
            if (stopping) {
                ended.complete();
            } else if (!coins.canHoldMore()) {
                nextTurn(ended, config.reportMs());  // Redis has been away long: hold no more coins than we can
            } else {
                // Never fails: a failed call answers its retry delay instead of the sleep.
                workOnce(began).onSuccess(nextPauseMs -> {
                    liveness.progressed();
                    nextTurn(ended, nextPauseMs);
                });
            }
        });
    }

    /** One turn, as the original's {@code work_once()}; answers how long to sleep before the next one. */
    private Future<Long> workOnce(long began) {
        return rngAndHasher.randomBytes().compose(bytes -> rngAndHasher.hash(bytes)
                .map(hex -> {
                    if (hex.startsWith("0")) {
                        coins.keep(hex, bytes);  // a coin
                    }
                    coins.countHash(System.nanoTime() - began);
                    rngRetries.succeeded();
                    hasherRetries.succeeded();
                    return (long) config.delayMs();
                })
                .otherwise(hasherRetries::delayAfter))
            .otherwise(rngRetries::delayAfter);
    }

    @Override
    public Future<?> stop() {
        return stopMining(LOOPS_GRACE)
            .compose(idle -> reporter.flush(FLUSH_GRACE))
            // Closed here, not left to Vert.x's own close: a worker undeployed from a Vert.x that goes on (the
            // launcher, a test) would otherwise keep its Redis connections and their timers.
            .eventually(redis::close);
    }

    /** No loop starts another turn; completes once the turns in flight are done, or after {@code grace}. */
    private Future<Void> stopMining(Duration grace) {
        stopping = true;
        pauses.cutShort();
        return Future.join(loops).<Void>mapEmpty()
            .timeout(grace.toMillis(), TimeUnit.MILLISECONDS)
            .recover(late -> {
                LOG.warn("mining loops still busy after {} ms; their hashes will not be counted", grace.toMillis());
                return Future.succeededFuture();
            });
    }
}
