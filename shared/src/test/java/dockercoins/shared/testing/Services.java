package dockercoins.shared.testing;

import dockercoins.shared.Env;
import dockercoins.shared.FailedStart;
import dockercoins.shared.Service;
import dockercoins.shared.Service.RunningService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Starts a real service (its own Vert.x, real HTTP) for a test, on a free port unless PORT is given. */
public final class Services {

    private Services() {
    }

    public static RunningService start(String name, Service.Factory factory, Map<String, String> env) {
        Map<String, String> vars = new HashMap<>();
        vars.put("PORT", "0");
        vars.put("ACCESS_LOG", "false");
        vars.putAll(env);
        try {
            return Service.start(name, Env.of(vars), factory)
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("could not start " + name + ": " + e, e);
        }
    }

    /** A client with room for many concurrent requests (the default pool holds 5 connections per host). */
    public static WebClient httpClient(Vertx vertx) {
        return WebClient.create(vertx, new WebClientOptions(), new PoolOptions().setHttp1MaxSize(200));
    }

    /** Waits for a future from a test thread, bounded. */
    public static <T> T await(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    /** The failure message of a start that must fail. */
    public static String startFailure(String name, Service.Factory factory, Map<String, String> env) {
        Map<String, String> vars = new HashMap<>(Map.of("PORT", "0"));
        vars.putAll(env);
        try {
            RunningService started = Service.start(name, Env.of(vars), factory)
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            started.stopAndWait();
            throw new AssertionError(name + " started although it should not have, with " + env);
        } catch (java.util.concurrent.ExecutionException e) {
            return FailedStart.explain(e.getCause());
        } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
            throw new AssertionError(e);
        }
    }
}
