package dockercoins.worker;

import dockercoins.shared.Env;
import dockercoins.shared.HttpEdge;
import dockercoins.shared.PlainText;
import dockercoins.shared.RedisUrl;
import dockercoins.shared.Service;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.redis.client.Redis;

import java.time.Duration;

/**
 * worker: mines DockerCoins. Loops get random bytes from rng, have hasher hash them, keep the coins (hashes
 * starting with 0) in the Redis wallet, and count their hashes in Redis. Its own HTTP serves only
 * /metrics, /healthz and /readyz.
 */
public final class Worker extends VerticleBase {

    /** On stop, loops in flight get this long to finish, then counts and coins this long to reach Redis: 15 s of 30. */
    private static final Duration LOOPS_GRACE = Duration.ofSeconds(5);
    private static final Duration FLUSH_GRACE = Duration.ofSeconds(10);

    private final WorkerConfig config;
    private final HttpEdge http;
    private Redis redis;
    private MiningLoop mining;
    private HashCounter counter;

    private Worker(WorkerConfig config, HttpEdge http) {
        this.config = config;
        this.http = http;
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
        counter = new HashCounter(vertx, redis, config, new Outage("redis", http.registry()), http.registry());
        mining = new MiningLoop(vertx, config, counter, http.registry());
        Router router = http.router(vertx);
        // Before the shared /healthz (which says only that the process answers): a worker whose loops are stuck
        // answers too, and only a restart helps it.
        HttpEdge.get(router, "/healthz").order(-1).handler(this::liveness);
        return http.listen(vertx, router).onSuccess(listening -> {
            counter.start();
            mining.start();
        });
    }

    /** Fails when no loop has got anywhere for longer than a turn can take; never because rng, hasher or Redis are down. */
    private void liveness(RoutingContext rc) {
        long stuckForMs = mining.stuckForMs();
        if (stuckForMs == 0) {
            PlainText.reply(rc, 200, "ok");
            return;
        }
        PlainText.reply(rc, 503, "stuck: no mining loop has finished a turn for " + stuckForMs / 1000 + " s");
    }

    @Override
    public Future<?> stop() {
        return mining.stop(LOOPS_GRACE)
            .compose(idle -> counter.flush(FLUSH_GRACE))
            // Closed here, not left to Vert.x's own close: a worker undeployed from a Vert.x that goes on (the
            // launcher, a test) would otherwise keep its Redis connections and their timers.
            .eventually(redis::close);
    }
}
