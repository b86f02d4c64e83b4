package dockercoins.shared;

import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;

/**
 * One line per request on stdout (the workshop watches them with {@code kubectl logs -f}): client, request line,
 * the status actually sent, bytes and milliseconds. ACCESS_LOG=false turns it off.
 */
final class AccessLog {

    /** Probes and scrapes come every few seconds: logging them would bury the workshop's traffic. */
    private static final Set<String> QUIET_PATHS = Set.of(HttpEdge.HEALTHZ, HttpEdge.READYZ, HttpEdge.METRICS);

    private final Logger log;

    AccessLog(String service) {
        this.log = LoggerFactory.getLogger(service + ".access");
    }

    void log(RoutingContext rc) {
        if (QUIET_PATHS.contains(rc.request().path())) {
            rc.next();
            return;
        }
        long started = System.nanoTime();
        // The status actually sent: "-" when the connection ended before any answer (the client left, a timeout).
        rc.addEndHandler(done -> log.info("{} \"{} {}\" {} {} {}ms",
            rc.request().remoteAddress() == null ? "-" : rc.request().remoteAddress().hostAddress(),
            rc.request().method(), PlainText.escape(rc.request().uri()),
            rc.response().headWritten() ? String.valueOf(rc.response().getStatusCode()) : "-",
            rc.response().bytesWritten(), (System.nanoTime() - started) / 1_000_000));
        rc.next();
    }
}
