package dockercoins.shared;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.LoggerFactory;

/**
 * One-line plain-text answers: the banner, every client error (4xx with its reason, control characters escaped) and
 * a bug of ours (500, logged in full, said in two words), never a stack trace to the client.
 */
public final class PlainText {

    private static final String CONTENT_TYPE = "text/plain; charset=utf-8";

    private PlainText() {
    }

    /** A one-line plain-text answer, unless an answer has begun already (a refusal racing the real answer). */
    public static void reply(RoutingContext rc, int status, String line) {
        if (rc.response().ended() || rc.response().closed() || rc.response().headWritten()) {
            return;
        }
        rc.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, CONTENT_TYPE).end(escape(line) + "\n");
    }

    /** "RNG running on <hostname>", as the original answers GET /. */
    public static Handler<RoutingContext> banner(String service) {
        String text = service + " running on " + Hostname.get();
        return rc -> reply(rc, 200, text);
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

    /** Unknown paths and methods, bodies over a limit, and our own bugs, each answered in one line. */
    static void answerErrors(Router router, String service) {
        router.errorHandler(404, rc -> reply(rc, 404, "not found: " + rc.request().path()));
        router.errorHandler(405, rc -> reply(rc, 405,
            "method " + rc.request().method() + " not allowed on " + rc.request().path()));
        router.errorHandler(413, rc -> reply(rc, 413, "request body too large"));
        router.errorHandler(500, rc -> internalError(rc, service));
    }

    private static void internalError(RoutingContext rc, String service) {
        if (rc.response().closed() || rc.request().connection() == null) {
            return;  // the client left, mid-request: nothing to answer, and not our error
        }
        // Only a bug of ours lands here: log it in full, tell the client no more than that.
        LoggerFactory.getLogger(service).error("internal error on {} {}", rc.request().method(),
            escape(rc.request().path()), rc.failure());
        reply(rc, 500, "internal error");
    }
}
