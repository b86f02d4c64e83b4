package dockercoins.shared;

import io.vertx.core.http.HttpServerOptions;

/**
 * The HTTP server's own settings: HTTP/1.1 only, as the original (no h2c upgrade, whose streams and windows would
 * need bounds of their own), no compression, short request lines and headers, idle connections closed.
 */
final class ServerOptions {

    /** A connection that reads and writes nothing this long is closed, whatever it is in the middle of. */
    static final int IDLE_TIMEOUT_S = 60;
    /** Longest request line and headers: far above any real client's, far below what could cost memory. */
    static final int MAX_INITIAL_LINE = 4_096;
    static final int MAX_HEADERS = 8_192;

    private ServerOptions() {
    }

    static HttpServerOptions http11() {
        return new HttpServerOptions()
            .setCompressionSupported(false)
            .setHttp2ClearTextEnabled(false)
            .setIdleTimeout(IDLE_TIMEOUT_S)
            .setMaxInitialLineLength(MAX_INITIAL_LINE)
            .setMaxHeaderSize(MAX_HEADERS);
    }
}
