package dockercoins.shared;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A service's HTTP edge, everything in front of its own routes: {@link #router} gives a router that already serves
 * /healthz, /readyz and /metrics, logs each request and turns work away once stopping; {@link #listen} serves it with
 * the connection bounds. One per service, shared by all its verticle instances. Each concern is a class of its own
 * (see package-info.java); this one only puts them in order.
 */
public final class HttpEdge {

    static final String HEALTHZ = "/healthz";
    static final String READYZ = "/readyz";
    static final String METRICS = "/metrics";

    private final String name;
    private final int port;
    private final String address;
    private final ServiceMetrics metrics;
    private final AccessLog accessLog;
    private final Draining draining;
    private final ConnectionCap cap;
    private final ConnectionDeadlines deadlines = new ConnectionDeadlines();
    private final AtomicInteger actualPort = new AtomicInteger(-1);

    HttpEdge(String name, String address, int port, boolean accessLog, ServiceMetrics metrics) {
        this.name = name;
        this.address = address;
        this.port = port;
        this.metrics = metrics;
        this.accessLog = accessLog ? new AccessLog(name) : null;
        this.draining = new Draining(name);
        this.cap = new ConnectionCap(name);
    }

    /** Where a service registers its own meters; /metrics serves them with Vert.x's and the JVM's. */
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
        return draining.stopping();
    }

    /** Runs when the graceful stop begins, before the work in flight is waited for (e.g. to turn a queue away). */
    public void onStop(Consumer<Vertx> action) {
        draining.onStop(action);
    }

    /** A router that already serves the shared endpoints; the service adds its own routes after these. */
    public Router router(Vertx vertx) {
        Router router = Router.router(vertx);
        router.route().order(-2).handler(deadlines::requestArrived);
        if (accessLog != null) {
            router.route().handler(accessLog::log);
        }
        get(router, HEALTHZ).handler(rc -> PlainText.reply(rc, 200, "ok"));
        get(router, READYZ).handler(draining::readiness);
        get(router, METRICS).handler(metrics::serve);
        router.route().handler(draining::admitWork);
        PlainText.answerErrors(router, name);
        return router;
    }

    /**
     * A route for GET and HEAD alike: httping and many probes send HEAD, and every service answers it wherever it
     * answers GET. The server sends a HEAD answer's headers only.
     */
    public static Route get(Router router, String path) {
        return router.route(path).method(HttpMethod.GET).method(HttpMethod.HEAD);
    }

    /** Serves the router on PORT (LISTEN_ADDRESS), within the server options and connection bounds. */
    public Future<HttpServer> listen(Vertx vertx, Router router) {
        return vertx.createHttpServer(ServerOptions.http11())
            .connectionHandler(connection -> connected(vertx, connection))
            // A client's broken request (a bad chunk size, leaving mid-body) is not our error: one line, no trace.
            .exceptionHandler(failure -> LoggerFactory.getLogger(name).debug("client error: {}",
                PlainText.escape(String.valueOf(failure.getMessage()))))
            .requestHandler(router)
            .listen(port, address)
            .onSuccess(server -> actualPort.set(server.actualPort()));
    }

    private void connected(Vertx vertx, HttpConnection connection) {
        if (cap.admit(vertx, connection)) {
            deadlines.watch(vertx, connection, cap::closed);
        }
    }

    /** Readiness goes 503 and new work is turned away; resolves once the work in flight is done (or after grace). */
    Future<Void> drain(Vertx vertx, Duration grace) {
        return draining.drain(vertx, grace);
    }
}
