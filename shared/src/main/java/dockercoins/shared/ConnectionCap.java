package dockercoins.shared;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** At most {@value #MAX_CONNECTIONS} connections open at once: past that, new ones are closed as they come. */
final class ConnectionCap {

    static final int MAX_CONNECTIONS = 2_000;
    /** A flood is said once, then again at most every this long. */
    private static final long LOG_EVERY_MS = 10_000;

    private final String service;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong refusedSinceLogged = new AtomicLong();

    ConnectionCap(String service) {
        this.service = service;
    }

    /** True if the connection may stay (it is counted until it closes); false if it was closed for the cap. */
    boolean admit(Vertx vertx, HttpConnection connection) {
        if (open.incrementAndGet() > MAX_CONNECTIONS) {
            open.decrementAndGet();
            if (refusedSinceLogged.getAndIncrement() == 0) {
                LoggerFactory.getLogger(service).warn("{} connections open, the most allowed: closing new ones until "
                    + "some close", MAX_CONNECTIONS);
                vertx.setTimer(LOG_EVERY_MS, t -> refusedSinceLogged.set(0));
            }
            connection.close();
            return false;
        }
        return true;
    }

    /** A counted connection closed. */
    void closed() {
        open.decrementAndGet();
    }
}
