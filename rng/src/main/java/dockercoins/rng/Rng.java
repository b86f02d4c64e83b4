package dockercoins.rng;

import dockercoins.shared.Env;
import dockercoins.shared.Service;
import dockercoins.shared.ServiceHttp;
import dockercoins.shared.SimulatedWork;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;


/** rng: {@code GET /{n}} answers n random bytes after the simulated work. */
public final class Rng extends VerticleBase {

    /** Random bytes are made and written this many at a time. */
    private static final int CHUNK_BYTES = 64 * 1024;

    private final RngConfig config;
    private final ServiceHttp http;
    private final ServingQueue queue;
    private final Counter bytesServed;

    private Rng(RngConfig config, ServiceHttp http, ServingQueue queue, Counter bytesServed) {
        this.config = config;
        this.http = http;
        this.queue = queue;
        this.bytesServed = bytesServed;
    }

    public static void main(String[] args) {
        Service.main("rng", Rng::deployment);
    }

    public static Service.Deployment deployment(Env env, ServiceHttp http) {
        RngConfig config = RngConfig.from(env);
        ServingQueue queue = new ServingQueue(config.concurrency());
        http.onStop(vertx -> queue.releaseAll());
        Counter bytesServed = Counter.builder("dockercoins.rng.bytes")
            .description("Random bytes served")
            .register(http.registry());
        Gauge.builder("dockercoins.rng.waiting.requests", queue, ServingQueue::waiting)
            .description("Requests waiting for a place under RNG_CONCURRENCY")
            .register(http.registry());
        // One instance per core: the queue and counter are shared, so they stay per service.
        return new Service.Deployment(config.describe(), Runtime.getRuntime().availableProcessors(),
            () -> new Rng(config, http, queue, bytesServed));
    }

    @Override
    public Future<?> start() {
        Router router = http.router(vertx);
        Handler<RoutingContext> banner = http.banner("RNG");
        // The banner waits its turn like /{n} (without the delay), so `httping rng` shows RNG_CONCURRENCY's queue
        // as the workshop teaches; /healthz, /readyz and /metrics never wait.
        ServiceHttp.get(router, "/").handler(rc -> whenServing(rc, banner));
        ServiceHttp.get(router, "/:n").handler(this::randomBytes);
        return http.listen(vertx, router);
    }

    private void randomBytes(RoutingContext rc) {
        String n = rc.pathParam("n");
        long count = ServiceHttp.wholeNumber(n);  // leading zeros mean nothing: /032 is /32
        if (count < 0) {
            ServiceHttp.reply(rc, 404, "not found: /" + n + " (ask for /{n} with n a whole number of bytes, 0 to "
                + config.maxBytes() + ")");
            return;
        }
        if (count > config.maxBytes()) {
            ServiceHttp.reply(rc, 400, "n=" + n + " is over RNG_MAX_BYTES (" + config.maxBytes() + ")");
            return;
        }
        whenServing(rc, served -> serve(served, (int) count));
    }

    /** Runs {@code serve} once RNG_CONCURRENCY lets this request in; its place is given back when it ends. */
    private void whenServing(RoutingContext rc, Handler<RoutingContext> serve) {
        // Served from a task of its own even when a place is free: a queued request must run on its own event
        // loop anyway, and answering after Netty's read batch measured faster too (53,000 against 46,000 req/s
        // under wrk when served inline).
        Context context = vertx.getOrCreateContext();
        queue.enter(() -> context.runOnContext(go -> {
            if (http.stopping()) {
                queue.leave();  // queued when the stop began: answered at once, not after the others
                rc.response().putHeader(HttpHeaders.CONNECTION, "close");
                ServiceHttp.reply(rc, 503, "rng is shutting down");
                return;
            }
            if (rc.response().closed()) {
                queue.leave();  // the client gave up while queued: its place goes to the next one
                return;
            }
            rc.addEndHandler(done -> queue.leave());
            serve.handle(rc);
        }));
    }

    private void serve(RoutingContext rc, int count) {
        SimulatedWork.delay(vertx, config.delayMs())
            .onSuccess(delayed -> {
                HttpServerResponse response = rc.response()
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/octet-stream")
                    .putHeader(HttpHeaders.CONTENT_LENGTH, String.valueOf(count));
                if (rc.request().method() == HttpMethod.HEAD) {
                    response.end();  // the headers GET would send; bytes made for HEAD would never be sent
                    return;
                }
                bytesServed.increment(count);
                writeRandomBytes(response, count);
            })
            .onFailure(rc::fail);
    }

    /**
     * Writes {@code remaining} random bytes a chunk at a time, each made only once the client has taken the ones
     * before: a slow reader holds one chunk of memory, not its whole answer.
     */
    private static void writeRandomBytes(HttpServerResponse response, int remaining) {
        int left = remaining;
        while (left > 0 && !response.writeQueueFull() && !response.closed()) {
            int chunk = Math.min(CHUNK_BYTES, left);
            response.write(RandomBytes.next(chunk));
            left -= chunk;
        }
        if (response.closed()) {
            return;
        }
        if (left == 0) {
            response.end();
        } else {
            int rest = left;
            response.drainHandler(drained -> writeRandomBytes(response, rest));
        }
    }
}
