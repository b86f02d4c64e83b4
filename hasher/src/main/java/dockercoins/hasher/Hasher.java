package dockercoins.hasher;

import dockercoins.shared.Env;
import dockercoins.shared.HttpEdge;
import dockercoins.shared.PlainText;
import dockercoins.shared.Service;
import dockercoins.shared.SimulatedWork;
import dockercoins.shared.WholeNumber;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * hasher: {@code POST /} answers the SHA-256 of the body, in lowercase hex, after a simulated delay, as the original's
 * hasher.rb. Read this first: body → digest → delay → answer. The body is hashed as it streams in, whatever its
 * content type: one chunk in memory per request, never the whole body. The rest of hasher is {@link StalledUploads}
 * (a stop does not wait on a stalled upload); what every service shares (/healthz, /readyz, /metrics, the access log,
 * the connection bounds, the graceful stop) comes with {@link HttpEdge#router}: see shared's package-info.java.
 */
public final class Hasher extends VerticleBase {

    private final int delayMs;
    private final int maxBytes;
    private final HttpEdge http;
    private final Counter hashesServed;
    private final StalledUploads uploads;

    private Hasher(int delayMs, int maxBytes, HttpEdge http, Counter hashesServed, StalledUploads uploads) {
        this.delayMs = delayMs;
        this.maxBytes = maxBytes;
        this.http = http;
        this.hashesServed = hashesServed;
        this.uploads = uploads;
    }

    public static void main(String[] args) {
        Service.main("hasher", Hasher::deployment);
    }

    /** Once per process, from the environment: the settings, and the counter and uploads all event loops share. */
    public static Service.Deployment deployment(Env env, HttpEdge http) {
        int delayMs = env.millis("HASHER_DELAY_MS", 100);
        int maxBytes = env.count("HASHER_MAX_BYTES", 1_048_576, 0, Integer.MAX_VALUE - 1024);
        Counter hashesServed = Counter.builder("dockercoins.hasher.hashes")
            .description("SHA-256 digests served")
            .register(http.registry());
        StalledUploads uploads = new StalledUploads();
        http.onStop(uploads::cutOnStop);
        return Service.Deployment.onEveryCore("delay " + delayMs + " ms, bodies up to " + maxBytes + " bytes",
            () -> new Hasher(delayMs, maxBytes, http, hashesServed, uploads));
    }

    @Override
    public Future<?> start() {
        Router router = http.router(vertx);
        HttpEdge.get(router, "/").handler(PlainText.banner("HASHER"));
        router.post("/").handler(this::hash);
        return http.listen(vertx, router);
    }

    private void hash(RoutingContext rc) {
        HttpServerRequest request = rc.request();
        String declared = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        long declaredBytes = declared == null ? 0 : WholeNumber.parse(declared);
        if (declaredBytes < 0 || declaredBytes > maxBytes) {
            tooLarge(rc);
            return;
        }
        MessageDigest digest = sha256();
        long[] received = {0};
        uploads.started(request);
        request.handler(chunk -> {
            if (rc.response().headWritten()) {
                return;  // refused already: the rest of the body is not hashed
            }
            received[0] += chunk.length();
            if (received[0] > maxBytes) {
                tooLarge(rc);  // a chunked body that grew past the limit: refused as it arrives
                return;
            }
            digest.update(chunk.getBytes());
        });
        request.exceptionHandler(broken -> {
            uploads.ended(request);
            // A malformed body (a bad chunk size): said plainly, if the client is still there to hear it.
            rc.response().putHeader(HttpHeaders.CONNECTION, "close");
            PlainText.reply(rc, 400, "malformed request body: " + broken.getMessage());
        });
        request.endHandler(done -> {
            uploads.ended(request);
            if (rc.response().ended()) {
                return;
            }
            String hex = HexFormat.of().formatHex(digest.digest());
            SimulatedWork.delay(vertx, delayMs).onSuccess(delayed -> {
                hashesServed.increment();
                rc.response().putHeader(HttpHeaders.CONTENT_TYPE, "text/plain").end(hex);
            });
        });
        request.resume();  // the router holds a request's body until a handler is ready for it
    }

    private void tooLarge(RoutingContext rc) {
        uploads.ended(rc.request());
        if (rc.response().headWritten()) {
            return;
        }
        rc.response().putHeader(HttpHeaders.CONNECTION, "close");  // the rest of the body is not read
        PlainText.reply(rc, 413, "request body is over HASHER_MAX_BYTES (" + maxBytes + " bytes)");
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
