package dockercoins.shared;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

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
    /**
     * The bounds every service holds whatever a client does (README, "Limits"): a connection must deliver each
     * request's headers within {@value #REQUEST_HEADERS_S} s of connecting or of its previous answer, and a
     * request's body within {@value #REQUEST_BODY_S} s; at most {@value #MAX_CONNECTIONS} connections are open at once.
     */
    public static final int REQUEST_HEADERS_S = 10;
    public static final int REQUEST_BODY_S = 10;
    public static final int MAX_CONNECTIONS = 2_000;
    /**
     * How often each event loop checks its connections against those bounds: a bound is enforced within a second
     * of passing. One check a second costs less than the two timers per request it replaced (BENCHMARKS.md).
     */
    private static final int CHECK_BOUNDS_MS = 1_000;
    private static final long HEADERS_NS = TimeUnit.SECONDS.toNanos(REQUEST_HEADERS_S);
    private static final long BODY_NS = TimeUnit.SECONDS.toNanos(REQUEST_BODY_S);
    /** A connection that reads and writes nothing this long is closed, whatever it is in the middle of. */
    private static final int IDLE_TIMEOUT_S = 60;
    /** Longest request line and headers: far above any real client's, far below what could cost memory. */
    private static final int MAX_INITIAL_LINE = 4_096;
    private static final int MAX_HEADERS = 8_192;

    private final String name;
    private final int port;
    private final String address;
    private final ServiceMetrics metrics;
    private final Logger accessLog;
    private final AtomicInteger workInFlight = new AtomicInteger();
    private final AtomicInteger actualPort = new AtomicInteger(-1);
    private final AtomicInteger connections = new AtomicInteger();
    /**
     * The open connections of each event-loop thread, and what each owes; each map is used by its own thread only.
     * By thread, not by context: every request runs on a context of its own, on its connection's thread.
     */
    private final Map<Thread, Map<HttpConnection, Owed>> connectionsByLoop = new ConcurrentHashMap<>();
    private final List<Consumer<Vertx>> onStop = new CopyOnWriteArrayList<>();
    private final AtomicLong refusedSinceLogged = new AtomicLong();
    private volatile boolean stopping;

    ServiceHttp(String name, String address, int port, boolean accessLog, ServiceMetrics metrics) {
        this.name = name;
        this.address = address;
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

    /** Runs when the graceful stop begins, before the work in flight is waited for (e.g. to turn a queue away). */
    public void onStop(Consumer<Vertx> action) {
        onStop.add(action);
    }

    /** A router that already serves the shared endpoints; the service adds its own routes after these. */
    public Router router(Vertx vertx) {
        Router router = Router.router(vertx);
        router.route().order(-2).handler(this::requestArrived);
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
        router.errorHandler(413, rc -> reply(rc, 413, "request body too large"));
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

    /** HTTP/1.1 only, as the original: no h2c upgrade, whose streams and windows would need bounds of their own. */
    public Future<HttpServer> listen(Vertx vertx, Router router) {
        return vertx.createHttpServer(new HttpServerOptions()
                .setCompressionSupported(false)
                .setHttp2ClearTextEnabled(false)
                .setIdleTimeout(IDLE_TIMEOUT_S)
                .setMaxInitialLineLength(MAX_INITIAL_LINE)
                .setMaxHeaderSize(MAX_HEADERS))
            .connectionHandler(connection -> connected(vertx, connection))
            // A client's broken request (a bad chunk size, leaving mid-body) is not our error: one line, no trace.
            .exceptionHandler(failure -> LoggerFactory.getLogger(name).debug("client error: {}",
                escape(String.valueOf(failure.getMessage()))))
            .requestHandler(router)
            .listen(port, address)
            .onSuccess(server -> actualPort.set(server.actualPort()));
    }

    /** A one-line plain-text answer; every client error goes through here, control characters escaped. */
    public static void reply(RoutingContext rc, int status, String line) {
        if (rc.response().ended() || rc.response().closed() || rc.response().headWritten()) {
            return;
        }
        rc.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, TEXT).end(escape(line) + "\n");
    }

    /** Control characters (ESC, CR, LF…) as \\xNN, so that no request can write into a log or a terminal. */
    public static String escape(String text) {
        StringBuilder escaped = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '\\') {
                if (escaped == null) {
                    escaped = new StringBuilder(text.length() + 8).append(text, 0, i);
                }
                escaped.append(c == '\\' ? "\\\\" : String.format("\\x%02x", (int) c));
            } else if (escaped != null) {
                escaped.append(c);
            }
        }
        return escaped == null ? text : escaped.toString();
    }

    /** What a connection owes, by when (System.nanoTime); 0 when nothing is awaited. */
    private static final class Owed {
        long headersBy;
        /** The request whose body is still coming, due by {@code bodyBy}. */
        RoutingContext reading;
        long bodyBy;

        Owed(long headersBy) {
            this.headersBy = headersBy;
        }
    }

    /**
     * A whole number of ASCII digits (leading zeros allowed), as a path segment or a Content-Length holds it: -1 when
     * it is not one, and any value past {@link Integer#MAX_VALUE} stops growing there, so no length overflows. Read
     * without a regular expression, which cost 0.13-0.19 µs a request against 0.007 (a loop of 5 million calls,
     * 2026-12-04).
     */
    public static long wholeNumber(String text) {
        if (text.isEmpty()) {
            return -1;
        }
        long value = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value > Integer.MAX_VALUE ? value : value * 10 + (c - '0');
        }
        return value;
    }

    /** Counts the connection against the cap, and gives it {@value #REQUEST_HEADERS_S} s to send a request. */
    private void connected(Vertx vertx, HttpConnection connection) {
        if (connections.incrementAndGet() > MAX_CONNECTIONS) {
            connections.decrementAndGet();
            if (refusedSinceLogged.getAndIncrement() == 0) {
                LoggerFactory.getLogger(name).warn("{} connections open, the most allowed: closing new ones until "
                    + "some close", MAX_CONNECTIONS);
                vertx.setTimer(10_000, t -> refusedSinceLogged.set(0));
            }
            connection.close();
            return;
        }
        Map<HttpConnection, Owed> onThisLoop = connectionsByLoop.computeIfAbsent(Thread.currentThread(), loop -> {
            Map<HttpConnection, Owed> opened = new HashMap<>();
            vertx.setPeriodic(CHECK_BOUNDS_MS, check -> closeOverdue(opened));
            return opened;
        });
        onThisLoop.put(connection, new Owed(System.nanoTime() + HEADERS_NS));
        connection.closeHandler(closed -> {
            connections.decrementAndGet();
            onThisLoop.remove(connection);
        });
    }

    private static void closeOverdue(Map<HttpConnection, Owed> onThisLoop) {
        long now = System.nanoTime();
        List<Map.Entry<HttpConnection, Owed>> overdue = new ArrayList<>();
        onThisLoop.entrySet().forEach(open -> {
            Owed owed = open.getValue();
            if (owed.headersBy != 0 && now - owed.headersBy > 0
                || owed.reading != null && now - owed.bodyBy > 0 && !owed.reading.request().isEnded()) {
                overdue.add(open);
            }
        });
        // Closed after the walk: a close may run the connection's close handler at once, which changes the map.
        for (Map.Entry<HttpConnection, Owed> late : overdue) {
            RoutingContext reading = late.getValue().reading;
            late.getValue().headersBy = 0;
            late.getValue().reading = null;
            if (reading != null) {
                reading.response().putHeader(HttpHeaders.CONNECTION, "close");
                reply(reading, 408, "request body not received within " + REQUEST_BODY_S + " s");
            }
            // Otherwise no request within the bound: an idle keep-alive, or headers sent too slowly.
            late.getKey().close();
        }
    }

    /**
     * A request's headers are in: its connection no longer owes headers, and owes the body within its own bound.
     * Once answered, the connection owes the next request's headers again.
     */
    private void requestArrived(RoutingContext rc) {
        HttpServerRequest request = rc.request();
        HttpConnection connection = request.connection();
        Map<HttpConnection, Owed> onThisLoop = connectionsByLoop.get(Thread.currentThread());
        Owed owed = connection == null || onThisLoop == null ? null : onThisLoop.get(connection);
        if (owed != null) {
            owed.headersBy = 0;
            if (!request.isEnded()) {
                owed.reading = rc;
                owed.bodyBy = System.nanoTime() + BODY_NS;
            }
            rc.addEndHandler(done -> {
                owed.reading = null;
                if (!rc.response().closed()) {
                    owed.headersBy = System.nanoTime() + HEADERS_NS;
                }
            });
        }
        rc.next();
    }

    /** Readiness goes 503 and new work is turned away; resolves once the work in flight is done (or after grace). */
    Future<Void> drain(Vertx vertx, Duration grace) {
        stopping = true;
        onStop.forEach(action -> action.accept(vertx));
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
        // The status actually sent: "-" when the connection ended before any answer (the client left, a timeout).
        rc.addEndHandler(done -> accessLog.info("{} \"{} {}\" {} {} {}ms",
            rc.request().remoteAddress() == null ? "-" : rc.request().remoteAddress().hostAddress(),
            rc.request().method(), escape(rc.request().uri()),
            rc.response().headWritten() ? String.valueOf(rc.response().getStatusCode()) : "-",
            rc.response().bytesWritten(), (System.nanoTime() - started) / 1_000_000));
        rc.next();
    }

    private void internalError(RoutingContext rc) {
        if (rc.response().closed() || rc.request().connection() == null) {
            return;  // the client left, mid-request: nothing to answer, and not our error
        }
        // Only a bug of ours lands here: log it in full, tell the client no more than that.
        LoggerFactory.getLogger(name).error("internal error on {} {}", rc.request().method(),
            escape(rc.request().path()), rc.failure());
        reply(rc, 500, "internal error");
    }
}
