package dockercoins.shared;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP side every service shares: /metrics, /healthz, /readyz, the access log,
 * plain-text errors, and draining on shutdown (new work gets 503, work in flight finishes).
 * One instance per service; every verticle instance of that service uses it.
 */
public final class ServiceHttp {

    private static final String HEALTHZ = "/healthz";
    private static final String READYZ = "/readyz";
    private static final String METRICS = "/metrics";
    /** Probes and scrapes come every few seconds: logging them would bury the workshop's traffic. */
    private static final Set<String> QUIET_PATHS = Set.of(HEALTHZ, READYZ, METRICS);
    private static final String TEXT = "text/plain; charset=utf-8";

    private final String name;
    private final int port;
    private final ServiceMetrics metrics;
    private final Logger accessLog;
    private final AtomicInteger workInFlight = new AtomicInteger();
    private final AtomicInteger actualPort = new AtomicInteger(-1);
    private volatile boolean stopping;

    ServiceHttp(String name, int port, boolean accessLog, ServiceMetrics metrics) {
        this.name = name;
        this.port = port;
        this.metrics = metrics;
        this.accessLog = accessLog ? LoggerFactory.getLogger(name + ".access") : null;
    }

    public String name() {
        return name;
    }

    public MeterRegistry registry() {
        return metrics.registry();
    }

    /** The port really listened on (differs from PORT when PORT=0); -1 before listening. */
    public int actualPort() {
        return actualPort.get();
    }

    /**
     * True from the moment shutdown begins. A response that never ends by itself (the webui's event
     * stream) checks it and ends, so that draining the work in flight does not wait for it.
     */
    public boolean stopping() {
        return stopping;
    }

    /** A router that already serves the shared endpoints; the service adds its own routes after these. */
    public Router router(Vertx vertx) {
        Router router = Router.router(vertx);
        if (accessLog != null) {
            router.route().handler(this::logAccess);
        }
        get(router, HEALTHZ).handler(rc -> reply(rc, 200, "ok"));
        get(router, READYZ).handler(rc -> reply(rc, stopping ? 503 : 200, stopping ? "shutting down" : "ready"));
        get(router, METRICS).handler(this::serveMetrics);
        router.route().handler(this::admitWork);
        router.errorHandler(404, rc -> reply(rc, 404, "not found: " + rc.request().path()));
        router.errorHandler(405, rc -> reply(rc, 405,
            "method " + rc.request().method() + " not allowed on " + rc.request().path()));
        router.errorHandler(500, this::internalError);
        return router;
    }

    /**
     * A route for GET and HEAD alike: httping and many probes send HEAD, and every service answers it wherever it
     * answers GET. The server sends a HEAD answer's headers only.
     */
    public static Route get(Router router, String path) {
        return router.route(path).method(HttpMethod.GET).method(HttpMethod.HEAD);
    }

    /** "RNG running on <hostname>", as the original answers GET /. */
    public Handler<RoutingContext> banner(String service) {
        String text = service + " running on " + Hostname.get();
        return rc -> reply(rc, 200, text);
    }

    public Future<HttpServer> listen(Vertx vertx, Router router) {
        return vertx.createHttpServer(new HttpServerOptions().setCompressionSupported(false))
            .requestHandler(router)
            .listen(port)
            .onSuccess(server -> actualPort.set(server.actualPort()));
    }

    /** A one-line plain-text answer; every client error goes through here. */
    public static void reply(RoutingContext rc, int status, String line) {
        if (rc.response().ended() || rc.response().closed()) {
            return;
        }
        rc.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, TEXT).end(line + "\n");
    }

    /** Readiness goes 503 and new work is turned away; resolves once the work in flight is done (or after grace). */
    Future<Void> drain(Vertx vertx, Duration grace) {
        stopping = true;
        Promise<Void> drained = Promise.promise();
        long deadline = System.nanoTime() + grace.toNanos();
        checkDrained(vertx, drained, deadline);
        return drained.future();
    }

    private void checkDrained(Vertx vertx, Promise<Void> drained, long deadline) {
        if (workInFlight.get() == 0) {
            drained.complete();
        } else if (System.nanoTime() > deadline) {
            LoggerFactory.getLogger(name).warn("{} requests still in flight after the grace period; closing anyway",
                workInFlight.get());
            drained.complete();
        } else {
            vertx.setTimer(20, t -> checkDrained(vertx, drained, deadline));
        }
    }

    private void admitWork(RoutingContext rc) {
        if (stopping) {
            rc.response().putHeader(HttpHeaders.CONNECTION, "close");
            reply(rc, 503, name + " is shutting down");
            return;
        }
        workInFlight.incrementAndGet();
        rc.addEndHandler(done -> workInFlight.decrementAndGet());
        rc.next();
    }

    private void serveMetrics(RoutingContext rc) {
        rc.response()
            .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
            .end(metrics.scrape());
    }

    private void logAccess(RoutingContext rc) {
        if (QUIET_PATHS.contains(rc.request().path())) {
            rc.next();
            return;
        }
        long started = System.nanoTime();
        rc.addEndHandler(done -> accessLog.info("{} \"{} {}\" {} {} {}ms",
            rc.request().remoteAddress() == null ? "-" : rc.request().remoteAddress().hostAddress(),
            rc.request().method(), rc.request().uri(), rc.response().getStatusCode(),
            rc.response().bytesWritten(), (System.nanoTime() - started) / 1_000_000));
        rc.next();
    }

    private void internalError(RoutingContext rc) {
        // Only a bug of ours lands here: log it in full, tell the client no more than that.
        LoggerFactory.getLogger(name).error("internal error on {} {}", rc.request().method(), rc.request().path(),
            rc.failure());
        reply(rc, 500, "internal error");
    }
}
