package dockercoins.rng;

import dockercoins.shared.Env;
import dockercoins.shared.HttpEdge;
import dockercoins.shared.PlainText;
import dockercoins.shared.Service;
import dockercoins.shared.SimulatedWork;
import dockercoins.shared.WholeNumber;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * rng: {@code GET /{n}} answers n random bytes after a simulated delay, as the original's rng.py. Read this first:
 * route → wait for a slot → delay → bytes. The rest of rng is {@link Slots} (RNG_CONCURRENCY's queue) and
 * {@link RandomBytes} (the bytes, written as the client takes them). What every service shares (/healthz, /readyz,
 * /metrics, the access log, the connection bounds, the graceful stop) comes with {@link HttpEdge#router}: see
 * shared's package-info.java.
 */
public final class Rng extends VerticleBase {

    private final int delayMs;
    private final int maxBytes;
    private final HttpEdge http;
    private final Slots slots;
    private final Counter bytesServed;

    private Rng(int delayMs, int maxBytes, HttpEdge http, Slots slots, Counter bytesServed) {
        this.delayMs = delayMs;
        this.maxBytes = maxBytes;
        this.http = http;
        this.slots = slots;
        this.bytesServed = bytesServed;
    }

    public static void main(String[] args) {
        Service.main("rng", Rng::deployment);
    }

    /** Once per process, from the environment: the settings, and the slots and counter all event loops share. */
    public static Service.Deployment deployment(Env env, HttpEdge http) {
        int delayMs = env.millis("RNG_DELAY_MS", 100);
        int maxBytes = env.count("RNG_MAX_BYTES", 1_048_576, 0, Integer.MAX_VALUE - 1024);
        int concurrency = env.count("RNG_CONCURRENCY", 0, 0, 1_000_000);
        Slots slots = new Slots(concurrency);
        http.onStop(vertx -> slots.freeAll());
        Counter bytesServed = Counter.builder("dockercoins.rng.bytes")
            .description("Random bytes served")
            .register(http.registry());
        Gauge.builder("dockercoins.rng.waiting.requests", slots, Slots::waiting)
            .description("Requests waiting for a place under RNG_CONCURRENCY")
            .register(http.registry());
        String settings = "delay " + delayMs + " ms, at most " + maxBytes + " bytes, "
            + (concurrency == 0 ? "unlimited concurrency" : concurrency + " request(s) at once, the rest queued");
        return Service.Deployment.onEveryCore(settings, () -> new Rng(delayMs, maxBytes, http, slots, bytesServed));
    }

    @Override
    public Future<?> start() {
        Router router = http.router(vertx);
        Handler<RoutingContext> banner = PlainText.banner("RNG");
        // The banner waits for a slot like /{n} (without the delay), so `httping rng` shows RNG_CONCURRENCY's queue
        // as the workshop teaches; /healthz, /readyz and /metrics never wait.
        HttpEdge.get(router, "/").handler(rc -> inTurn(rc, banner));
        HttpEdge.get(router, "/:n").handler(this::randomBytes);
        return http.listen(vertx, router);
    }

    /** The route: n is a whole number of bytes, at most RNG_MAX_BYTES (leading zeros mean nothing: /032 is /32). */
    private void randomBytes(RoutingContext rc) {
        String n = rc.pathParam("n");
        long count = WholeNumber.parse(n);
        if (count < 0) {
            PlainText.reply(rc, 404, "not found: /" + n + " (ask for /{n} with n a whole number of bytes, 0 to "
                + maxBytes + ")");
        } else if (count > maxBytes) {
            PlainText.reply(rc, 400, "n=" + n + " is over RNG_MAX_BYTES (" + maxBytes + ")");
        } else {
            inTurn(rc, served -> afterTheDelay(served, (int) count));
        }
    }

    /** Waits for a slot (at once with RNG_CONCURRENCY=0), serves, and frees the slot when the answer ends. */
    private void inTurn(RoutingContext rc, Handler<RoutingContext> serve) {
        // Served from a task of its own even when a slot is free: a queued request must run on its own event loop
        // anyway, and answering after Netty's read batch measured faster too (53,000 against 46,000 req/s under wrk
        // when served inline).
        Context context = vertx.getOrCreateContext();
        slots.whenFree(() -> context.runOnContext(go -> {
            if (http.stopping()) {
                slots.free();  // queued when the stop began: answered at once, not after the others
                rc.response().putHeader(HttpHeaders.CONNECTION, "close");
                PlainText.reply(rc, 503, "rng is shutting down");
            } else if (rc.response().closed()) {
                slots.free();  // the client gave up while queued: its slot goes to the next one
            } else {
                rc.addEndHandler(done -> slots.free());
                serve.handle(rc);
            }
        }));
    }

    /** The delay (a timer, never a sleeping thread), then the bytes; HEAD gets GET's headers and no bytes made. */
    private void afterTheDelay(RoutingContext rc, int count) {
        SimulatedWork.delay(vertx, delayMs)
            .onSuccess(delayed -> {
                rc.response()
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/octet-stream")
                    .putHeader(HttpHeaders.CONTENT_LENGTH, String.valueOf(count));
                if (rc.request().method() == HttpMethod.HEAD) {
                    rc.response().end();
                    return;
                }
                bytesServed.increment(count);
                RandomBytes.write(rc.response(), count);
            })
            .onFailure(rc::fail);
    }
}
