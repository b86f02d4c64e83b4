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

/**
 * The promises of docs/http.md, docs/configuration.md and docs/containers.md that the deployment files keep,
 * written down once for the tests, and the services started in-process with a deployment's environment, to ask
 * the code what it reads and serves.
 */
final class Contract {

    /** The services written in Java, in the order of the original's diagram. */
    static final List<String> SERVICES = List.of("rng", "hasher", "worker", "webui");
    static final List<String> APP = List.of("rng", "hasher", "worker", "webui", "redis");
    static final Set<String> MONITORING = Set.of("prometheus", "grafana");
    static final int REDIS_PORT = 6379;

    /** Every service listens on port 80 in its container (the images set PORT=80). */
    static final int PORT = 80;
    static final String METRICS_PATH = "/metrics";
    static final String LIVENESS_PATH = "/healthz";
    static final String READINESS_PATH = "/readyz";

    /** compose.yaml: host port (on every address, or where PUBLISH_ON says) → container port; worker and redis publish nothing. */
    static final Map<String, Integer> COMPOSE_HOST_PORTS = Map.of("webui", 8000, "rng", 8001, "hasher", 8002);
    /** Kubernetes Services: name → type; worker has none. */
    static final Map<String, String> SERVICE_TYPES =
        Map.of("rng", "ClusterIP", "hasher", "ClusterIP", "webui", "NodePort", "redis", "ClusterIP");
    /** Service.stopAndWait takes GRACE, then 5 s more; and 5 s of margin, so that SIGKILL never races the exit. */
    static final Duration STOP = Service.GRACE.plusSeconds(5 + 5);
    /** Where the release workflow publishes the images, and the manifests and compose.yaml name them. */
    static final String IMAGE_REPOSITORY = "ghcr.io/dockercoins-vertx/";

    /** The configuration table: every variable any service reads. */
    static final Set<String> VARIABLES = Set.of("PORT", "RNG_DELAY_MS", "RNG_MAX_BYTES", "RNG_CONCURRENCY",
        "HASHER_DELAY_MS", "HASHER_MAX_BYTES", "RNG_URL", "HASHER_URL", "REDIS_URL", "WORKER_DELAY_MS",
        "WORKER_CONCURRENCY", "WORKER_REPORT_MS", "WORKER_ID", "APP_VERSION", "ACCESS_LOG");

    /** The metrics table, as the series the exposition format shows them under (a histogram's three). */
    static final Set<String> METRIC_SERIES = Set.of("dockercoins_worker_hashes_total", "dockercoins_worker_coins_total",
        "dockercoins_worker_errors_total", "dockercoins_worker_loop_duration_seconds_bucket",
        "dockercoins_worker_loop_duration_seconds_count", "dockercoins_worker_loop_duration_seconds_sum",
        "dockercoins_worker_unreported_hashes", "dockercoins_rng_bytes_total", "dockercoins_hasher_hashes_total",
        "dockercoins_coins", "dockercoins_hashes_total", "dockercoins_workers_active");

    private static final Map<String, Service.Factory> FACTORIES = Map.of(
        "rng", Rng::deployment, "hasher", Hasher::deployment, "worker", Worker::deployment, "webui", Webui::deployment);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    static int containerPort(String service) {
        return service.equals("redis") ? REDIS_PORT : PORT;
    }

    /** With a deployment's variables, but on a free port, and URLs to a closed local port (names stay as written). */
    static InProcess start(String service, Map<String, String> deploymentEnv) {
        Map<String, String> vars = new HashMap<>();
        deploymentEnv.forEach((name, value) -> vars.put(name, value.matches("https?://.*") ? "http://127.0.0.1:1"
            : value.matches("rediss?://.*") ? "redis://127.0.0.1:1" : value));
        vars.putAll(Map.of("PORT", "0", "ACCESS_LOG", "false"));
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
        assertTrue(VARIABLES.containsAll(env.keySet()), where + " sets " + env.keySet());
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
            assertEquals(200, running.get(READINESS_PATH).statusCode(), where + ": " + service + " ready");
            assertEquals(200, running.get(LIVENESS_PATH).statusCode(), where + ": " + service + " live");
            assertTrue(running.get(METRICS_PATH).body().contains("# TYPE "), where + ": " + service);
        }
        return urls.size();
    }

    /** GET on a port; null when nothing answers. */
    static HttpResponse<String> get(int port, String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException notAnswered) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** A service started in-process with a deployment file's environment: which variables it reads, what it serves. */
    record InProcess(Env env, RunningService running) implements AutoCloseable {
        HttpResponse<String> get(String path) {
            return Contract.get(running.port(), path);
        }

        @Override
        public void close() {
            running.stopAndWait();
        }
    }
}
