package dockercoins.deploy;

import dockercoins.shared.Service;

import java.time.Duration;
import java.util.*;

/** The promises of CONTRACT.md that the deployment files keep, written down once for the tests. */
final class Contract {

    /** The services written in Java, in the order of the original's diagram. */
    static final List<String> SERVICES = List.of("rng", "hasher", "worker", "webui");
    /** Everything the app runs: the Java services and Redis. */
    static final List<String> APP = List.of("rng", "hasher", "worker", "webui", "redis");
    static final int REDIS_PORT = 6379;

    /** Every service listens on port 80 in its container (the images set PORT=80). */
    static final int PORT = 80;
    static final String METRICS_PATH = "/metrics";
    static final String LIVENESS_PATH = "/healthz";
    static final String READINESS_PATH = "/readyz";

    /** compose.yaml: 127.0.0.1:host port → container port; worker and redis publish nothing. */
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

    private Contract() {
    }

    /** The port a service listens on inside its container. */
    static int containerPort(String service) {
        return service.equals("redis") ? REDIS_PORT : PORT;
    }
}
