package dockercoins.hasher;

import dockercoins.shared.Env;
import dockercoins.shared.Service;
import dockercoins.shared.ServiceHttp;
import dockercoins.shared.SimulatedWork;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** hasher: {@code POST /} answers the SHA-256 of the body, in lowercase hex, after the simulated work. */
public final class Hasher extends VerticleBase {

    private final HasherConfig config;
    private final ServiceHttp http;
    private final Counter hashesServed;

    private Hasher(HasherConfig config, ServiceHttp http, Counter hashesServed) {
        this.config = config;
        this.http = http;
        this.hashesServed = hashesServed;
    }

    public static void main(String[] args) {
        Service.main("hasher", Hasher::deployment);
    }

    public static Service.Deployment deployment(Env env, ServiceHttp http) {
        HasherConfig config = HasherConfig.from(env);
        Counter hashesServed = Counter.builder("dockercoins.hasher.hashes")
            .description("SHA-256 digests served")
            .register(http.registry());
        return new Service.Deployment(config.describe(), Runtime.getRuntime().availableProcessors(),
            () -> new Hasher(config, http, hashesServed));
    }

    @Override
    public Future<?> start() {
        Router router = http.router(vertx);
        ServiceHttp.get(router, "/").handler(http.banner("HASHER"));
        router.post("/")
            // No file uploads: a body is only ever hashed, and the root filesystem may be read-only.
            .handler(BodyHandler.create(false).setBodyLimit(config.maxBytes()))
            .handler(this::hash)
            .failureHandler(this::bodyTooLarge);
        return http.listen(vertx, router);
    }

    private void hash(RoutingContext rc) {
        Buffer body = rc.body().buffer();
        byte[] bytes = body == null ? new byte[0] : body.getBytes();
        SimulatedWork.compute(vertx, bytes.length, () -> sha256Hex(bytes))
            .compose(hex -> SimulatedWork.delay(vertx, config.delayMs()).map(hex))
            .onSuccess(hex -> {
                hashesServed.increment();
                rc.response().putHeader(HttpHeaders.CONTENT_TYPE, "text/plain").end(hex);
            })
            .onFailure(rc::fail);
    }

    private void bodyTooLarge(RoutingContext rc) {
        if (rc.statusCode() == 413) {
            ServiceHttp.reply(rc, 413, "request body is over HASHER_MAX_BYTES (" + config.maxBytes() + " bytes)");
        } else {
            rc.next();
        }
    }

    static String sha256Hex(byte[] bytes) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
