package dockercoins.shared;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The time a client may take (README, "Limits"): a connection must deliver each request's headers within
 * {@value #REQUEST_HEADERS_S} s of connecting or of its previous answer, and a request's body within
 * {@value #REQUEST_BODY_S} s; a late one is closed (a late body first gets a 408).
 */
public final class ConnectionDeadlines {

    public static final int REQUEST_HEADERS_S = 10;
    public static final int REQUEST_BODY_S = 10;
    /**
     * How often each event loop checks its connections against those bounds: a bound is enforced within a second
     * of passing. One check a second costs less than the two timers per request it replaced (BENCHMARKS.md).
     */
    private static final int CHECK_EVERY_MS = 1_000;
    private static final long HEADERS_NS = TimeUnit.SECONDS.toNanos(REQUEST_HEADERS_S);
    private static final long BODY_NS = TimeUnit.SECONDS.toNanos(REQUEST_BODY_S);

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
     * The open connections of each event-loop thread, and what each owes; each map is used by its own thread only.
     * By thread, not by context: every request runs on a context of its own, on its connection's thread.
     */
    private final Map<Thread, Map<HttpConnection, Owed>> connectionsByLoop = new ConcurrentHashMap<>();

    /** A new connection owes its first request's headers; {@code onClose} runs when it closes. */
    void watch(Vertx vertx, HttpConnection connection, Runnable onClose) {
        Map<HttpConnection, Owed> onThisLoop = connectionsByLoop.computeIfAbsent(Thread.currentThread(), loop -> {
            Map<HttpConnection, Owed> opened = new HashMap<>();
            vertx.setPeriodic(CHECK_EVERY_MS, check -> closeOverdue(opened));
            return opened;
        });
        onThisLoop.put(connection, new Owed(System.nanoTime() + HEADERS_NS));
        connection.closeHandler(closed -> {
            onClose.run();
            onThisLoop.remove(connection);
        });
    }

    /**
     * A route handler, first of all: a request's headers are in, so its connection no longer owes headers, and owes
     * the body within its own bound. Once answered, the connection owes the next request's headers again.
     */
    void requestArrived(RoutingContext rc) {
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
                PlainText.reply(reading, 408, "request body not received within " + REQUEST_BODY_S + " s");
            }
            // Otherwise no request within the bound: an idle keep-alive, or headers sent too slowly.
            late.getKey().close();
        }
    }
}
