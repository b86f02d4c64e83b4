package dockercoins.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dockercoins.shared.testing.Promtool;
import io.fabric8.kubernetes.api.model.*;
import io.fabric8.openshift.api.model.monitoring.v1.*;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.*;
import java.util.*;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Prometheus (compose, components/monitoring, the PodMonitor) and Grafana's dashboard, held against the code. */
class MonitoringTest {

    private static final String COMPOSE_PROMETHEUS = "monitoring/prometheus.yml";
    private static final String KUBERNETES_PROMETHEUS = "manifests/components/monitoring/prometheus.yml";
    private static final String DASHBOARD = "monitoring/grafana/dashboards/dockercoins.json";
    private static final String DATASOURCES = "monitoring/grafana/provisioning/datasources/prometheus.yaml";
    private static final String DASHBOARD_PROVIDERS = "monitoring/grafana/provisioning/dashboards/dockercoins.yaml";
    private static final Set<String> PROMQL_WORDS = Set.of("by", "without", "on", "ignoring", "group_left",
        "group_right", "bool", "and", "or", "unless", "offset", "le", "job", "instance", "stage", "area", "inf", "nan");

    @TempDir
    Path temp;

    /** The metrics path every Prometheus scrapes serves the Prometheus text format; the dashboard asks for those. */
    @Test
    void everyPrometheusScrapesEveryPodPassesPromtoolAndTheDashboardAsksOnlyForWhatTheyExpose() throws Exception {
        List<JsonNode> panels = new ArrayList<>();  // and those inside a collapsed row
        Repo.yaml(DASHBOARD).path("panels").forEach(p -> {
            panels.add(p);
            p.path("panels").forEach(panels::add);
        });
        Set<String> known = new TreeSet<>(Contract.METRIC_SERIES);
        for (String name : Contract.SERVICES) {
            try (Contract.InProcess running = Contract.start(name, Map.of())) {
                running.get("/");  // one request, so the HTTP server metrics exist
                var metrics = running.get(Contract.METRICS_PATH);
                assertEquals(200, metrics.statusCode(), name);
                Promtool.checkMetrics(metrics.body());
                known.addAll(Repo.all("(?m)^([^#\\s][^{ ]*)", metrics.body()));
            }
        }
        List<String> expressions = new ArrayList<>();
        panels.stream().filter(p -> !p.path("type").asText().equals("row")).forEach(panel -> {
            assertFalse(panel.path("targets").isEmpty(), "panel " + panel.path("title") + " has queries");
            panel.path("targets").forEach(t -> expressions.add(t.path("expr").asText()));
        });
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        Set<String> used = new TreeSet<>();
        for (int i = 0; i < expressions.size(); i++) {
            rules.append("      - record: dashboard:expression_").append(i).append("\n        expr: ")
                .append(Repo.JSON.writeValueAsString(expressions.get(i))).append('\n');
            used.addAll(metricNames(expressions.get(i)));
        }
        Repo.Ran checked = Repo.run("promtool", "check", "rules", Files.writeString(temp.resolve("rules.yml"), rules)
            .toString());
        assertEquals(0, checked.exit(), "promtool check rules: invalid PromQL in the dashboard:\n" + checked.out());
        List<String> unknown = used.stream().filter(metric -> !known.contains(metric)).toList();
        assertTrue(used.size() >= 8 && unknown.isEmpty(), "the dashboard asks for metrics no service exposes: "
            + unknown);
        String all = String.join("\n", expressions);
        for (String shown : List.of("sum by (instance) (rate(dockercoins_worker_hashes_total[",
            "histogram_quantile(0.99, sum by (job, le) (rate(vertx_http_server_response_time_seconds_bucket"
                + "{job=~\"rng|hasher\"}[", "dockercoins_worker_errors_total", "jvm_memory_used_bytes")) {
            assertTrue(all.contains(shown), "the dashboard shows " + shown);
        }
        JsonNode datasource = Repo.yaml(DATASOURCES).path("datasources");
        String uid = datasource.get(0).path("uid").asText();
        assertEquals(List.of("prometheus"), datasource.findValuesAsText("type"), "one Prometheus datasource");
        // http://prometheus:9090 reaches Prometheus in both: the compose service and the Kubernetes Service.
        assertEquals("http://prometheus:9090", datasource.get(0).path("url").asText());
        assertFalse(ComposeTest.service("prometheus").has("command"), "Prometheus listens on its default port 9090");
        Set<Integer> ids = new TreeSet<>();
        for (JsonNode panel : panels) {
            assertTrue(ids.add(panel.path("id").asInt()), "panel ids are unique: " + panel.path("id"));
            assertEquals(uid, panel.path("datasource").path("uid").asText(), "panel " + panel.path("title"));
            panel.path("targets").forEach(t -> assertEquals(uid, t.path("datasource").path("uid").asText()));
        }
        JsonNode dashboard = Repo.yaml(DASHBOARD);
        assertTrue(dashboard.path("uid").asText().equals("dockercoins") && dashboard.path("id").isMissingNode(),
            "uid dockercoins, and no database id in a provisioned dashboard");
        // Compose and Kubernetes put the same files where Grafana's provisioning looks for them.
        String dashboards = Repo.yaml(DASHBOARD_PROVIDERS).at("/providers/0/options/path").asText();
        String home = dashboards + "/dockercoins.json";
        Map<String, String> composeMounts = new HashMap<>();
        Repo.texts(ComposeTest.service("grafana").path("volumes")).forEach(v -> composeMounts.put(v.split(":")[1],
            v.split(":")[0]));
        assertEquals("./monitoring/grafana/dashboards", composeMounts.get(dashboards));
        assertEquals("./monitoring/grafana/provisioning", composeMounts.get("/etc/grafana/provisioning"));
        assertEquals(home, ComposeTest.environment("grafana").get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"));
        Map<String, String> files = Map.of(home, DASHBOARD, "/etc/grafana/provisioning/datasources/prometheus.yaml",
            DATASOURCES, "/etc/grafana/provisioning/dashboards/dockercoins.yaml", DASHBOARD_PROVIDERS);
        for (Rendering rendering : Rendering.with("monitoring")) {
            assertEquals(9090, rendering.get(Service.class, "prometheus").getSpec().getPorts().get(0).getPort());
            files.forEach((at, file) -> assertEquals(Repo.read(file), mounted(rendering, "grafana", at), rendering
                + ": " + file + " at " + at));
            assertEquals(home, rendering.env(rendering.container("grafana"))
                .get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"), rendering.name());
        }
        // Every pod (each worker), of this namespace (what the Role allows), by its annotations; the file is mounted.
        JsonNode job = onlyJob(KUBERNETES_PROMETHEUS);
        JsonNode discovery = job.path("kubernetes_sd_configs").get(0);
        assertEquals("pod", discovery.path("role").asText(), "one target per pod: every worker replica");
        assertTrue(discovery.path("namespaces").path("own_namespace").asBoolean(), "only this namespace");
        Set<String> sources = new TreeSet<>();
        job.path("relabel_configs").forEach(r -> sources.addAll(Repo.texts(r.path("source_labels"))));
        // Scrape, path, port and job from the pods, no finished pod (phase), instance = pod name (WORKER_ID).
        assertTrue(sources.containsAll(Stream.of("annotation_prometheus_io_scrape", "annotation_prometheus_io_path",
            "annotation_prometheus_io_port", "label_app", "phase", "name").map(s -> "__meta_kubernetes_pod_" + s)
            .toList()), sources.toString());
        for (Rendering rendering : Rendering.with("monitoring")) {
            for (String name : Contract.SERVICES) {
                ObjectMeta pod = rendering.pod(name).getMetadata();
                List<String> carried = Stream.concat(pod.getAnnotations().keySet().stream().map(a -> "annotation_" + a),
                    pod.getLabels().keySet().stream().map(l -> "label_" + l))
                    .map(c -> "__meta_kubernetes_pod_" + c.replaceAll("[^a-zA-Z0-9_]", "_")).toList();
                sources.stream().filter(s -> s.matches("__meta_kubernetes_pod_(annotation|label)_.*")).forEach(s ->
                    assertTrue(carried.contains(s), rendering + ": " + name + " pods carry what " + s + " reads"));
            }
            String configFile = rendering.container("prometheus").getArgs().stream()
                .filter(a -> a.startsWith("--config.file=")).findFirst().orElseThrow().split("=", 2)[1];
            assertEquals(Repo.read(KUBERNETES_PROMETHEUS), mounted(rendering, "prometheus", configFile),
                rendering + ": Prometheus runs with " + KUBERNETES_PROMETHEUS);
        }
        for (Rendering rendering : Rendering.with("prometheus-operator")) {
            PodMonitor monitor = rendering.get(PodMonitor.class, "dockercoins");
            assertEquals(new TreeSet<>(Contract.SERVICES), new TreeSet<>(rendering.podsSelectedBy(monitor.getSpec()
                .getSelector()).stream().map(p -> p.getMetadata().getLabels().get("app")).toList()), rendering.name());
            assertEquals(1, monitor.getSpec().getPodMetricsEndpoints().size());
            PodMetricsEndpoint endpoint = monitor.getSpec().getPodMetricsEndpoints().get(0);
            assertEquals(Contract.METRICS_PATH, endpoint.getPath());
            Contract.SERVICES.forEach(name -> assertEquals(Contract.PORT, Rendering.resolve(new IntOrString(endpoint
                .getPort()), rendering.pod(name)).orElseThrow().getContainerPort(), rendering + ": " + name + " port"));
            assertEquals("__meta_kubernetes_pod_label_app", endpoint.getRelabelings().get(0).getSourceLabels().get(0));
            assertEquals("job", endpoint.getRelabelings().get(0).getTargetLabel());
        }
        // Compose's DNS answers a service name with one A record per container: every scaled worker is found.
        Promtool.checkConfig(Repo.path(COMPOSE_PROMETHEUS));
        JsonNode compose = onlyJob(COMPOSE_PROMETHEUS);
        assertEquals(1, compose.path("dns_sd_configs").size(), "one DNS discovery for the app");
        JsonNode dns = compose.path("dns_sd_configs").get(0);
        assertEquals("A", dns.path("type").asText(), "A records: one per container");
        assertEquals(Contract.PORT, dns.path("port").asInt(), "the port every service listens on");
        assertEquals(Contract.SERVICES, Repo.texts(dns.path("names")), "every Java service, by its compose name");
        assertEquals(Contract.METRICS_PATH, compose.path("metrics_path").asText(Contract.METRICS_PATH));
        assertEquals("[{\"source_labels\":[\"__meta_dns_name\"],\"target_label\":\"job\"}]",
            compose.path("relabel_configs").toString(), "job is the service name, as on Kubernetes");
        // Debian's promtool, which CI installs, is built without Kubernetes discovery: all the rest is checked, and
        // the discovery itself above.
        ObjectNode config = (ObjectNode) Repo.yaml(KUBERNETES_PROMETHEUS);
        ObjectNode kubernetesJob = (ObjectNode) config.path("scrape_configs").get(0);
        kubernetesJob.remove("kubernetes_sd_configs");
        kubernetesJob.putArray("static_configs").addObject().putArray("targets").add("placeholder:" + Contract.PORT);
        Path rest = temp.resolve("prometheus-without-kubernetes-sd.yml");
        Repo.YAML.writeValue(rest.toFile(), config);
        Promtool.checkConfig(rest);
    }

    private static JsonNode onlyJob(String config) {
        JsonNode jobs = Repo.yaml(config).path("scrape_configs");
        assertEquals(1, jobs.size(), config + " has one job, for the app");
        return jobs.get(0);
    }

    /** What a Deployment's container reads at a path, following its volume mounts to a ConfigMap key. */
    private static String mounted(Rendering rendering, String deployment, String file) {
        VolumeMount mount = rendering.container(deployment).getVolumeMounts().stream()
            .filter(m -> file.startsWith(m.getMountPath() + "/")).findFirst()
            .orElseThrow(() -> new AssertionError(deployment + " mounts nothing at " + file));
        Volume volume = rendering.pod(deployment).getSpec().getVolumes().stream()
            .filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
        String relative = file.substring(mount.getMountPath().length() + 1);
        String key = volume.getConfigMap().getItems().stream().filter(i -> i.getPath().equals(relative))
            .map(KeyToPath::getKey).findFirst().orElse(relative);
        return rendering.get(ConfigMap.class, volume.getConfigMap().getName()).getData().get(key);
    }

    /** The metric names in a PromQL expression: identifiers that are not functions, keywords, labels or strings. */
    static Set<String> metricNames(String expression) {
        String stripped = expression.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"")  // strings
            .replaceAll("\\{[^}]*}", "").replaceAll("\\[[^]]*]", "")  // matchers, ranges
            .replaceAll("\\b(by|without|on|ignoring)\\s*\\([^)]*\\)", "");  // grouping
        Set<String> names = new TreeSet<>(Repo.all("(\\b[a-zA-Z_:][a-zA-Z0-9_:]*+)(?!\\s*\\()", stripped));
        names.removeAll(PROMQL_WORDS);
        return names;
    }
}
