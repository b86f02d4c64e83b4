package dockercoins.deploy;

import dockercoins.hasher.Hasher;
import dockercoins.rng.Rng;
import dockercoins.shared.*;
import dockercoins.shared.Service.RunningService;
import dockercoins.webui.Webui;
import dockercoins.worker.Worker;

import java.io.*;
import java.net.*;
import java.net.http.*;
import java.time.Duration;
import java.util.*;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;

import static org.junit.jupiter.api.Assertions.*;

/** A service started in-process with a deployment file's environment: which variables it reads, what it serves. */
record InProcess(Env env, RunningService running) implements AutoCloseable {

    private static final Map<String, Service.Factory> FACTORIES = Map.of(
        "rng", Rng::deployment, "hasher", Hasher::deployment, "worker", Worker::deployment, "webui", Webui::deployment);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** With a deployment's variables, but on a free port, and URLs to a closed local port (names stay as written). */
    static InProcess start(String service, Map<String, String> deploymentEnv) {
        Map<String, String> vars = new HashMap<>();
        deploymentEnv.forEach((name, value) -> vars.put(name, value.matches("https?://.*") ? "http://127.0.0.1:1"
            : value.matches("rediss?://.*") ? "redis://127.0.0.1:1" : value));
        vars.put("PORT", "0");
        vars.put("ACCESS_LOG", "false");
        Env env = Env.of(vars);
        try {
            return new InProcess(env, Service.start(service, env, FACTORIES.get(service))
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
        } catch (Exception e) {
            throw new AssertionError(service + " does not start with " + deploymentEnv + ": " + e, e);
        }
    }

    /**
     * A deployment's variables for a service, held against the code: only ones of the configuration table, each URL
     * naming its service (scheme, host, port), all read, probes' and metrics' paths served. Returns how many URLs.
     */
    static int assertRunsWith(String where, String service, Map<String, String> env, ToIntFunction<String> port) {
        assertTrue(Contract.VARIABLES.containsAll(env.keySet()), where + " sets " + env.keySet());
        Set<String> urls = new TreeSet<>(env.keySet());
        urls.removeIf(variable -> !variable.endsWith("_URL"));
        for (String variable : urls) {
            URI uri = URI.create(env.get(variable));
            String target = variable.replace("_URL", "").toLowerCase();
            String what = where + " " + variable + " " + uri;
            assertEquals(target, uri.getHost(), what + " names the " + target + " service");
            assertEquals(port.applyAsInt(target), uri.getPort() == -1 ? 80 : uri.getPort(), what + ": port");
            assertEquals(target.equals("redis") ? "redis" : "http", uri.getScheme(), what + ": scheme");
        }
        try (InProcess running = start(service, env)) {
            Set<String> unread = new TreeSet<>(env.keySet());
            unread.removeAll(running.env.namesRead());
            assertTrue(unread.isEmpty(), where + ": " + service + " does not read " + unread);
            assertEquals(200, running.get(Contract.READINESS_PATH).statusCode(), where + ": " + service + " ready");
            assertEquals(200, running.get(Contract.LIVENESS_PATH).statusCode(), where + ": " + service + " live");
            assertTrue(running.get(Contract.METRICS_PATH).body().contains("# TYPE "), where + ": " + service);
        }
        return urls.size();
    }

    /** GET on the service's port (or any other), answered or not. */
    HttpResponse<String> get(String path) {
        return get(running.port(), path);
    }

    static HttpResponse<String> get(int port, String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + path + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        running.stopAndWait();
    }
}
