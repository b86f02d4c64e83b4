package dockercoins.hasher;

import dockercoins.shared.Env;
import dockercoins.shared.Service;
import dockercoins.shared.ServiceHttp;
import dockercoins.shared.SimulatedWork;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * hasher: {@code POST /} answers the SHA-256 of the body, in lowercase hex, after the simulated work. The body is
 * hashed as it streams in, whatever its content type: one chunk in memory per request, never the whole body.
 */
public final class Hasher extends VerticleBase {

    /** On stop, an upload still arriving after this long is cut: a stalled client must not hold the stop. */
    private static final long UPLOAD_GRACE_MS = 2_000;

    private final HasherConfig config;
    private final ServiceHttp http;
    private final Counter hashesServed;
    private final Set<HttpServerRequest> uploading;

    private Hasher(HasherConfig config, ServiceHttp http, Counter hashesServed, Set<HttpServerRequest> uploading) {
        this.config = config;
        this.http = http;
        this.hashesServed = hashesServed;
        this.uploading = uploading;
    }

    public static void main(String[] args) {
        Service.main("hasher", Hasher::deployment);
    }

    public static Service.Deployment deployment(Env env, ServiceHttp http) {
        HasherConfig config = HasherConfig.from(env);
        Counter hashesServed = Counter.builder("dockercoins.hasher.hashes")
            .description("SHA-256 digests served")
            .register(http.registry());
        Set<HttpServerRequest> uploading = ConcurrentHashMap.newKeySet();
        http.onStop(vertx -> cutStalledUploads(vertx, uploading));
        return new Service.Deployment(config.describe(), Runtime.getRuntime().availableProcessors(),
            () -> new Hasher(config, http, hashesServed, uploading));
    }

    @Override
    public Future<?> start() {
        Router router = http.router(vertx);
        ServiceHttp.get(router, "/").handler(http.banner("HASHER"));
        router.post("/").handler(this::hash);
        return http.listen(vertx, router);
    }

    private void hash(RoutingContext rc) {
        HttpServerRequest request = rc.request();
        String declared = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        long declaredBytes = declared == null ? 0 : ServiceHttp.wholeNumber(declared);
        if (declaredBytes < 0 || declaredBytes > config.maxBytes()) {
            tooLarge(rc);
            return;
        }
        MessageDigest digest = sha256();
        long[] received = {0};
        uploading.add(request);
        request.handler(chunk -> {
            if (rc.response().headWritten()) {
                return;  // refused already: the rest of the body is not hashed
            }
            received[0] += chunk.length();
            if (received[0] > config.maxBytes()) {
                tooLarge(rc);  // a chunked body that grew past the limit: refused as it arrives
                return;
            }
            digest.update(chunk.getBytes());
        });
        request.exceptionHandler(broken -> {
            uploading.remove(request);
            // A malformed body (a bad chunk size): said plainly, if the client is still there to hear it.
            rc.response().putHeader(HttpHeaders.CONNECTION, "close");
            ServiceHttp.reply(rc, 400, "malformed request body: " + broken.getMessage());
        });
        request.endHandler(done -> {
            uploading.remove(request);
            if (rc.response().ended()) {
                return;
            }
            String hex = HexFormat.of().formatHex(digest.digest());
            SimulatedWork.delay(vertx, config.delayMs()).onSuccess(delayed -> {
                hashesServed.increment();
                rc.response().putHeader(HttpHeaders.CONTENT_TYPE, "text/plain").end(hex);
            });
        });
        request.resume();  // the router holds a request's body until a handler is ready for it
    }

    private void tooLarge(RoutingContext rc) {
        uploading.remove(rc.request());
        if (rc.response().headWritten()) {
            return;
        }
        rc.response().putHeader(HttpHeaders.CONNECTION, "close");  // the rest of the body is not read
        ServiceHttp.reply(rc, 413, "request body is over HASHER_MAX_BYTES (" + config.maxBytes() + " bytes)");
    }

    private static void cutStalledUploads(Vertx vertx, Set<HttpServerRequest> uploading) {
        Set<HttpServerRequest> atStop = Set.copyOf(uploading);
        if (atStop.isEmpty()) {
            return;
        }
        vertx.setTimer(UPLOAD_GRACE_MS, late -> atStop.stream()
            .filter(uploading::contains)
            .forEach(stalled -> stalled.connection().close()));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
