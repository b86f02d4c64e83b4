import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The limit of this machine for DockerCoins' traffic: a bare Vert.x server and client doing nothing but the two
 * exchanges of one mining loop (GET 32 bytes, POST 32 bytes answered with 64), with no metrics, logging, hashing,
 * checking or Redis. bench/run.sh runs it in the pipeline's process layout, with the same flags:
 * <pre>
 *   java -cp rng/target/rng.jar bench/Limit.java serve PORT          (twice: as rng and as hasher)
 *   java -cp rng/target/rng.jar bench/Limit.java mine RNG_PORT HASHER_PORT LOOPS
 * </pre>
 * The server deploys one verticle per core, as rng and hasher do; the client is one event loop, as the worker is,
 * and prints its running total of loops once a second.
 */
public final class Limit {

    private static final Buffer RANDOM = Buffer.buffer(new byte[32]);
    private static final Buffer DIGEST = Buffer.buffer("0".repeat(64));

    public static void main(String[] args) {
        Vertx vertx = Vertx.vertx();
        if (args[0].equals("serve")) {
            int port = Integer.parseInt(args[1]);
            vertx.deployVerticle(() -> new VerticleBase() {
                @Override
                public Future<?> start() {
                    return vertx.createHttpServer()
                        .requestHandler(request -> request.body().onSuccess(body ->
                            request.response().end(request.method() == HttpMethod.POST ? DIGEST : RANDOM)))
                        .listen(port);
                }
            }, new DeploymentOptions().setInstances(Runtime.getRuntime().availableProcessors()));
        } else {
            int rng = Integer.parseInt(args[1]);
            int hasher = Integer.parseInt(args[2]);
            int loops = Integer.parseInt(args[3]);
            AtomicLong done = new AtomicLong();
            vertx.deployVerticle(new VerticleBase() {
                private HttpClient client;

                @Override
                public Future<?> start() {
                    client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
                        new PoolOptions().setHttp1MaxSize(loops));
                    for (int i = 0; i < loops; i++) {
                        loop();
                    }
                    return Future.succeededFuture();
                }

                private void loop() {
                    client.request(HttpMethod.GET, rng, "127.0.0.1", "/32")
                        .compose(request -> request.send().compose(HttpClientResponse::body))
                        .compose(bytes -> client.request(HttpMethod.POST, hasher, "127.0.0.1", "/")
                            .compose(request -> request.send(bytes).compose(HttpClientResponse::body)))
                        .onComplete(hash -> {
                            if (hash.succeeded()) {
                                done.incrementAndGet();
                            }
                            loop();
                        });
                }
            });
            vertx.setPeriodic(1000, tick -> System.out.println(done.get()));
        }
    }
}
