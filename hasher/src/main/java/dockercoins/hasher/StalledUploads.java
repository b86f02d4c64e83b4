package dockercoins.hasher;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The bodies still arriving, so that a stop does not wait on a stalled client: an upload still arriving
 * {@value #UPLOAD_GRACE_MS} ms into the stop has its connection closed. Shared by every event loop of hasher.
 */
final class StalledUploads {

    static final long UPLOAD_GRACE_MS = 2_000;

    private final Set<HttpServerRequest> arriving = ConcurrentHashMap.newKeySet();

    void started(HttpServerRequest upload) {
        arriving.add(upload);
    }

    /** Fully received, refused or broken: no longer arriving. */
    void ended(HttpServerRequest upload) {
        arriving.remove(upload);
    }

    /** When the stop begins: the uploads arriving now are cut if they still are after the grace. */
    void cutOnStop(Vertx vertx) {
        Set<HttpServerRequest> atStop = Set.copyOf(arriving);
        if (atStop.isEmpty()) {
            return;
        }
        vertx.setTimer(UPLOAD_GRACE_MS, late -> atStop.stream()
            .filter(arriving::contains)
            .forEach(stalled -> stalled.connection().close()));
    }
}
