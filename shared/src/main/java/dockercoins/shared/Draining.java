package dockercoins.shared;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Draining on stop: from the moment the stop begins /readyz answers 503 and new work gets a 503 that closes its
 * connection, while the requests in flight are counted down to zero (or to the grace period's end).
 */
final class Draining {

    /** How often the count of requests in flight is looked at while draining. */
    private static final long CHECK_EVERY_MS = 20;

    private final String service;
    private final AtomicInteger workInFlight = new AtomicInteger();
    private final List<Consumer<Vertx>> onStop = new CopyOnWriteArrayList<>();
    private volatile boolean stopping;

    Draining(String service) {
        this.service = service;
    }

    boolean stopping() {
        return stopping;
    }

    void onStop(Consumer<Vertx> action) {
        onStop.add(action);
    }

    /** /readyz: 200 until the stop begins, 503 from then on. */
    void readiness(RoutingContext rc) {
        PlainText.reply(rc, stopping ? 503 : 200, stopping ? "shutting down" : "ready");
    }

    /** A route handler before the service's own routes: counts the request in flight, or refuses it once stopping. */
    void admitWork(RoutingContext rc) {
        if (stopping) {
            rc.response().putHeader(HttpHeaders.CONNECTION, "close");
            PlainText.reply(rc, 503, service + " is shutting down");
            return;
        }
        workInFlight.incrementAndGet();
        rc.addEndHandler(done -> workInFlight.decrementAndGet());
        rc.next();
    }

    /** Begins the stop; resolves once the work in flight is done (or after {@code grace}). */
    Future<Void> drain(Vertx vertx, Duration grace) {
        stopping = true;
        onStop.forEach(action -> action.accept(vertx));
        Promise<Void> drained = Promise.promise();
        checkDrained(vertx, drained, System.nanoTime() + grace.toNanos());
        return drained.future();
    }

    private void checkDrained(Vertx vertx, Promise<Void> drained, long deadline) {
        if (workInFlight.get() == 0) {
            drained.complete();
        } else if (System.nanoTime() > deadline) {
            LoggerFactory.getLogger(service).warn("{} requests still in flight after the grace period; closing anyway",
                workInFlight.get());
            drained.complete();
        } else {
            vertx.setTimer(CHECK_EVERY_MS, t -> checkDrained(vertx, drained, deadline));
        }
    }
}
