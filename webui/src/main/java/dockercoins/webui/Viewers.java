package dockercoins.webui;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Every open dashboard, each holding one server-sent event stream, all fed by the one Redis poll:
 * a hundred viewers cost Redis what one costs. Used from the webui's event loop only.
 */
final class Viewers {

    /** How long a page waits before reconnecting after it lost its stream (EventSource's own retry). */
    private static final int RECONNECT_MS = 2_000;
    /** A page that has had no event for this long says the webui is not answering: five missed polls. */
    private static final long SILENT_AFTER_MS = 5 * MinerWatch.POLL_EVERY_MS;
    static final String CONTENT_TYPE = "text/event-stream; charset=utf-8";

    private final Set<HttpServerResponse> streams = new LinkedHashSet<>();

    /**
     * Opens a stream; its first event is {@code first} (the latest figures and the speed history) with the page's
     * timings, so that the page repeats none of the webui's figures.
     */
    void add(HttpServerResponse stream, JsonObject first) {
        first.put("page", new JsonObject()
            .put("historySeconds", SpeedHistory.POINTS * MinerWatch.POLL_EVERY_MS / 1000)
            .put("silentAfterMs", SILENT_AFTER_MS)
            .put("reconnectMs", RECONNECT_MS));
        stream.setChunked(true)
            .putHeader(HttpHeaders.CONTENT_TYPE, CONTENT_TYPE)
            // Proxies that buffer responses (nginx) would hold the events back.
            .putHeader("X-Accel-Buffering", "no");
        streams.add(stream);
        stream.closeHandler(closed -> streams.remove(stream));
        stream.write("retry: " + RECONNECT_MS + "\n\n" + event(first));
    }

    /** The same event to every stream; a viewer too slow to take it misses it rather than piling it up here. */
    void send(JsonObject snapshot) {
        String event = event(snapshot);
        for (HttpServerResponse stream : streams) {
            if (!stream.writeQueueFull()) {
                stream.write(event);
            }
        }
    }

    /** Ends every stream; each page reconnects by itself (to another replica, or to this one restarted). */
    void endAll() {
        for (HttpServerResponse stream : new ArrayList<>(streams)) {
            if (!stream.ended() && !stream.closed()) {
                stream.end();
            }
        }
        streams.clear();
    }

    private static String event(JsonObject data) {
        return "data: " + data.encode() + "\n\n";
    }
}
