package dockercoins.deploy;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The promises of CONTRACT.md that deployment files must keep, written down once for the tests
 * (the contract document itself is not part of a user's clone).
 */
final class Contract {

    /** The services written in Java, in the order of the original's diagram. */
    static final List<String> SERVICES = List.of("rng", "hasher", "worker", "webui");
    static final String REDIS = "redis";
    static final int REDIS_PORT = 6379;

    /** Every service listens on port 80 in its container (the images set PORT=80), and serves these to everyone. */
    static final int PORT = 80;
    static final String METRICS_PATH = "/metrics";
    static final String LIVENESS_PATH = "/healthz";
    static final String READINESS_PATH = "/readyz";

    /** compose.yaml: 127.0.0.1:host port → container port 80; worker and redis publish nothing. */
    static final Map<String, Integer> COMPOSE_HOST_PORTS = Map.of("webui", 8000, "rng", 8001, "hasher", 8002);

    /** Kubernetes Services: name → type and port; worker has none. */
    static final Map<String, String> SERVICE_TYPES =
        Map.of("rng", "ClusterIP", "hasher", "ClusterIP", "webui", "NodePort", "redis", "ClusterIP");
    /** Where the release workflow publishes the images, and the manifests and compose.yaml name them. */
    static final String IMAGE_REPOSITORY = "ghcr.io/dockercoins-vertx/";
    static final Map<String, Integer> SERVICE_PORTS = Map.of("rng", 80, "hasher", 80, "webui", 80, "redis", REDIS_PORT);

    /** The configuration table: every variable any service reads. */
    static final Set<String> VARIABLES = Set.of("PORT", "RNG_DELAY_MS", "RNG_MAX_BYTES", "RNG_CONCURRENCY",
        "HASHER_DELAY_MS", "HASHER_MAX_BYTES", "RNG_URL", "HASHER_URL", "REDIS_URL", "WORKER_DELAY_MS",
        "WORKER_CONCURRENCY", "WORKER_REPORT_MS", "WORKER_ID", "APP_VERSION", "ACCESS_LOG");

    /** The metrics table, by Prometheus type. */
    private static final Map<String, String> METRICS = Map.ofEntries(
        Map.entry("dockercoins_worker_hashes_total", "counter"),
        Map.entry("dockercoins_worker_coins_total", "counter"),
        Map.entry("dockercoins_worker_errors_total", "counter"),
        Map.entry("dockercoins_worker_loop_duration_seconds", "histogram"),
        Map.entry("dockercoins_worker_unreported_hashes", "gauge"),
        Map.entry("dockercoins_rng_bytes_total", "counter"),
        Map.entry("dockercoins_hasher_hashes_total", "counter"),
        Map.entry("dockercoins_coins", "gauge"),
        Map.entry("dockercoins_hashes_total", "counter"),
        Map.entry("dockercoins_workers_active", "gauge"));

    private Contract() {
    }

    /** The series names the contract's metrics appear under in the exposition format. */
    static Set<String> metricSeries() {
        Set<String> series = new TreeSet<>();
        METRICS.forEach((name, type) -> {
            if (type.equals("histogram")) {
                series.addAll(List.of(name + "_bucket", name + "_count", name + "_sum"));
            } else {
                series.add(name);
            }
        });
        return series;
    }

    /** The port a service listens on inside its container. */
    static int containerPort(String service) {
        return service.equals(REDIS) ? REDIS_PORT : PORT;
    }
}
