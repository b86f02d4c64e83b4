package dockercoins.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dockercoins.shared.testing.Promtool;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.openshift.api.model.monitoring.v1.PodMetricsEndpoint;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Prometheus finds every service, every worker replica included, and the dashboard shows what exists. */
class MonitoringTest {

    private static final Path COMPOSE_PROMETHEUS = Repo.path("monitoring/prometheus.yml");
    private static final Path KUBERNETES_PROMETHEUS = Repo.path("manifests/components/monitoring/prometheus.yml");
    private static final Path DASHBOARD = Repo.path("monitoring/grafana/dashboards/dockercoins.json");
    private static final Path DATASOURCES = Repo.path("monitoring/grafana/provisioning/datasources/prometheus.yaml");
    private static final Path DASHBOARD_PROVIDERS = Repo.path("monitoring/grafana/provisioning/dashboards/dockercoins.yaml");

    @TempDir
    Path temp;

    // ---- Prometheus with compose ----

    @Test
    void composePrometheusConfigPassesPromtool() throws Exception {
        Promtool.checkConfig(COMPOSE_PROMETHEUS);
    }

    /** Compose's DNS answers a service name with one A record per container: every scaled worker is found. */
    @Test
    void composePrometheusScrapesEveryServiceAndEveryReplicaAtItsMetricsEndpoint() {
        JsonNode job = onlyJob(COMPOSE_PROMETHEUS);
        JsonNode discovery = job.path("dns_sd_configs");
        assertEquals(1, discovery.size(), "one DNS discovery for the app");
        assertEquals("A", discovery.get(0).path("type").asText(), "A records: one per container (SRV is not what Compose serves)");
        assertEquals(Contract.PORT, discovery.get(0).path("port").asInt(), "the port every service listens on");
        List<String> names = new ArrayList<>();
        discovery.get(0).path("names").forEach(n -> names.add(n.asText()));
        assertEquals(Contract.SERVICES, names, "every Java service, by its compose service name");
        for (String name : names) {
            ComposeTest.service(name);
            for (String ip : List.of("172.18.0.5", "172.18.0.6")) {
                Map<String, String> target = Relabel.apply(job, Map.of("__address__", ip + ":" + Contract.PORT, "__meta_dns_name", name));
                assertNotNull(target, name + " is scraped");
                assertEquals(name, target.get("job"), "job is the service name, as on Kubernetes");
                assertEquals(ip + ":" + Contract.PORT, target.get("__address__"), name + ": each replica at its own address");
                assertEquals(Contract.METRICS_PATH, target.get("__metrics_path__"), name);
            }
        }
        assertMetricsServed();
    }

    // ---- Prometheus on Kubernetes ----

    @Test
    void kubernetesPrometheusConfigPassesPromtool() throws Exception {
        if (PromtoolRules.knowsKubernetesDiscovery(temp)) {
            Promtool.checkConfig(KUBERNETES_PROMETHEUS);
            return;
        }
        // Debian's promtool is built without Kubernetes discovery: it checks everything else, and the
        // discovery block is held to Prometheus' documented fields here.
        System.err.println("\n!!! this promtool has no kubernetes_sd_configs (Debian's build): that block is checked by the test, "
            + "the rest of " + Repo.ROOT.relativize(KUBERNETES_PROMETHEUS) + " by promtool !!!\n");
        ObjectNode config = (ObjectNode) Repo.yaml(KUBERNETES_PROMETHEUS);
        ObjectNode job = (ObjectNode) config.path("scrape_configs").get(0);
        JsonNode discovery = job.remove("kubernetes_sd_configs");
        assertEquals(1, discovery.size());
        discovery.get(0).fieldNames().forEachRemaining(field ->
            assertTrue(Set.of("role", "namespaces", "selectors", "attach_metadata", "api_server", "kubeconfig_file").contains(field),
                "kubernetes_sd_configs has no field " + field));
        assertEquals("pod", discovery.get(0).path("role").asText());
        discovery.get(0).path("namespaces").fieldNames().forEachRemaining(field ->
            assertTrue(Set.of("own_namespace", "names").contains(field), "namespaces has no field " + field));
        assertTrue(discovery.get(0).path("namespaces").path("own_namespace").isBoolean(), "own_namespace is a boolean");
        job.putArray("static_configs").addObject().putArray("targets").add("placeholder:" + Contract.PORT);
        Path rest = temp.resolve("prometheus-without-kubernetes-sd.yml");
        Repo.YAML.writeValue(rest.toFile(), config);
        Promtool.checkConfig(rest);
    }

    /** The rendered ConfigMap is the file promtool checked, and Prometheus mounts it where it reads it. */
    @Test
    void kubernetesPrometheusRunsWithThatConfig() {
        String expected = Repo.read(KUBERNETES_PROMETHEUS);
        for (Rendering rendering : Rendering.with("monitoring")) {
            Deployment prometheus = rendering.deployment("prometheus");
            Container container = rendering.container("prometheus");
            String configFile = container.getArgs().stream().filter(a -> a.startsWith("--config.file="))
                .map(a -> a.substring("--config.file=".length())).findFirst().orElseThrow();
            ConfigMap config = mountedConfigMap(rendering, prometheus.getSpec().getTemplate(), container, configFile);
            assertEquals(expected, config.getData().get(Path.of(configFile).getFileName().toString()), rendering + ": the ConfigMap holds prometheus.yml");
        }
    }

    /** Every app pod, every worker replica included, is scraped once at its metrics port and path; nothing else is. */
    @Test
    void kubernetesPrometheusScrapesEveryAppPodAtItsMetricsEndpoint() {
        JsonNode job = onlyJob(KUBERNETES_PROMETHEUS);
        assertEquals("pod", job.path("kubernetes_sd_configs").get(0).path("role").asText(), "one target per pod: every worker replica");
        assertTrue(job.path("kubernetes_sd_configs").get(0).path("namespaces").path("own_namespace").asBoolean(),
            "only this namespace: what the Role allows");
        for (Rendering rendering : Rendering.with("monitoring")) {
            for (Deployment deployment : rendering.all(Deployment.class)) {
                String name = deployment.getMetadata().getName();
                PodTemplateSpec pod = deployment.getSpec().getTemplate();
                Set<Map<String, String>> targets = new HashSet<>();
                for (ContainerPort port : pod.getSpec().getContainers().get(0).getPorts()) {
                    Map<String, String> target = Relabel.apply(job, discovered(name + "-7d9f8-x2x4q", pod, port, "Running"));
                    if (target != null) {
                        targets.add(target);
                    }
                    assertNull(Relabel.apply(job, discovered(name + "-old", pod, port, "Succeeded")), name + ": a finished pod is not scraped");
                }
                if (!Contract.SERVICES.contains(name)) {
                    assertTrue(targets.isEmpty(), rendering + ": " + name + " is not scraped as part of the app");
                    continue;
                }
                assertEquals(1, targets.size(), rendering + ": " + name + " pod is one target");
                Map<String, String> target = targets.iterator().next();
                assertEquals("10.1.2.3:" + Contract.PORT, target.get("__address__"), rendering + ": " + name);
                assertEquals(Contract.METRICS_PATH, target.get("__metrics_path__"), rendering + ": " + name);
                assertEquals(name, target.get("job"), rendering + ": job is the app label, as with compose");
                assertEquals(name + "-7d9f8-x2x4q", target.get("instance"), rendering + ": instance is the pod name (the worker's WORKER_ID)");
            }
        }
        assertMetricsServed();
    }

    @Test
    void thePodMonitorSelectsEveryAppPodAtItsMetricsPort() {
        for (Rendering rendering : Rendering.with("prometheus-operator")) {
            PodMonitor monitor = rendering.get(PodMonitor.class, "dockercoins");
            List<String> selected = rendering.podsSelectedBy(monitor.getSpec().getSelector()).stream()
                .map(p -> p.getMetadata().getLabels().get("app")).toList();
            assertEquals(new TreeSet<>(Contract.SERVICES), new TreeSet<>(selected), rendering + ": the PodMonitor selects the Java services");
            assertEquals(1, monitor.getSpec().getPodMetricsEndpoints().size());
            PodMetricsEndpoint endpoint = monitor.getSpec().getPodMetricsEndpoints().get(0);
            assertEquals(Contract.METRICS_PATH, endpoint.getPath());
            for (String name : Contract.SERVICES) {
                ContainerPort port = Rendering.resolve(new io.fabric8.kubernetes.api.model.IntOrString(endpoint.getPort()),
                    rendering.deployment(name).getSpec().getTemplate()).orElseThrow(() -> new AssertionError(name + " has no port " + endpoint.getPort()));
                assertEquals(Contract.PORT, port.getContainerPort(), rendering + ": " + name);
            }
            assertEquals("__meta_kubernetes_pod_label_app", endpoint.getRelabelings().get(0).getSourceLabels().get(0));
            assertEquals("job", endpoint.getRelabelings().get(0).getTargetLabel());
        }
    }

    // ---- Grafana and the dashboard ----

    @Test
    void theDashboardAsksOnlyForMetricsTheServicesExpose() {
        Set<String> known = new TreeSet<>(Contract.metricSeries());
        Map<String, String> exposedBy = new TreeMap<>();
        for (String name : InProcess.startable()) {
            try (InProcess running = InProcess.start(name, Map.of())) {
                running.get("/");  // one request, so the HTTP server metrics exist
                for (String line : running.body(Contract.METRICS_PATH).split("\n")) {
                    if (!line.startsWith("#") && !line.isBlank()) {
                        exposedBy.putIfAbsent(line.split("[{ ]")[0], name);
                    }
                }
            }
        }
        known.addAll(exposedBy.keySet());
        Set<String> used = new TreeSet<>();
        expressions().forEach(e -> used.addAll(metricNames(e)));
        assertTrue(used.size() >= 8, "the dashboard uses " + used);
        Set<String> unknown = new TreeSet<>(used);
        unknown.removeAll(known);
        assertTrue(unknown.isEmpty(), "the dashboard asks for metrics no service exposes and the contract does not name: " + unknown);
        for (String jvmOrVertx : List.of("jvm_memory_used_bytes", "vertx_http_server_response_time_seconds_bucket", "vertx_http_server_requests_total")) {
            assertTrue(used.contains(jvmOrVertx), "the dashboard shows " + jvmOrVertx);
            assertTrue(exposedBy.containsKey(jvmOrVertx), jvmOrVertx + " is exposed by the services (as scraped)");
        }
        InProcess.pending();
    }

    @Test
    void theDashboardShowsSpeedPerWorkerSpeedLatencyErrorsAndMemory() {
        String all = String.join("\n", expressions());
        assertTrue(all.contains("rate(dockercoins_worker_hashes_total[") || all.contains("rate(dockercoins_hashes_total["), "hashing speed");
        assertTrue(all.contains("sum by (instance) (rate(dockercoins_worker_hashes_total["), "speed per worker replica");
        assertTrue(all.contains("histogram_quantile(0.99, sum by (job, le) (rate(vertx_http_server_response_time_seconds_bucket{job=~\"rng|hasher\"}["),
            "rng and hasher latency p99");
        assertTrue(all.contains("dockercoins_worker_errors_total"), "errors");
        assertTrue(all.contains("jvm_memory_used_bytes"), "JVM memory");
    }

    @Test
    void theDashboardQueriesAreValidPromQl() throws Exception {
        PromtoolRules.checkExpressions(expressions(), temp);
    }

    @Test
    void theDashboardUsesTheProvisionedPrometheus() {
        JsonNode datasource = Repo.yaml(DATASOURCES).path("datasources");
        assertEquals(1, datasource.size());
        String uid = datasource.get(0).path("uid").asText();
        assertEquals("prometheus", datasource.get(0).path("type").asText());
        assertEquals("http://prometheus:9090", datasource.get(0).path("url").asText());
        for (JsonNode panel : panels()) {
            assertEquals(uid, panel.path("datasource").path("uid").asText(), "panel " + panel.path("title"));
            for (JsonNode target : panel.path("targets")) {
                assertEquals(uid, target.path("datasource").path("uid").asText(), "panel " + panel.path("title"));
            }
        }
        // http://prometheus:9090 reaches Prometheus in both: the compose service and the Kubernetes Service.
        for (Rendering rendering : Rendering.with("monitoring")) {
            assertEquals(9090, rendering.get(io.fabric8.kubernetes.api.model.Service.class, "prometheus").getSpec().getPorts().get(0).getPort());
        }
        assertFalse(ComposeTest.service("prometheus").has("command"), "Prometheus listens on its default port 9090");
        JsonNode dashboard = Repo.json(DASHBOARD);
        assertEquals("dockercoins", dashboard.path("uid").asText());
        assertTrue(dashboard.path("id").isMissingNode(), "no database id in a provisioned dashboard");
        Set<Integer> ids = new TreeSet<>();
        panels().forEach(p -> assertTrue(ids.add(p.path("id").asInt()), "panel ids are unique: " + p.path("id")));
    }

    /** Compose and Kubernetes put the same files where Grafana's provisioning looks for them. */
    @Test
    void grafanaFindsTheDashboardWhereBothMountIt() {
        String dashboards = Repo.yaml(DASHBOARD_PROVIDERS).path("providers").get(0).path("options").path("path").asText();
        String home = dashboards + "/" + DASHBOARD.getFileName();
        Map<String, String> composeMounts = new HashMap<>();
        ComposeTest.service("grafana").path("volumes").forEach(v -> {
            String[] parts = v.asText().split(":");
            composeMounts.put(parts[1], parts[0]);
        });
        assertEquals("./" + Repo.ROOT.relativize(DASHBOARD.getParent()), composeMounts.get(dashboards), "compose mounts the dashboards at " + dashboards);
        assertEquals("./monitoring/grafana/provisioning", composeMounts.get("/etc/grafana/provisioning"), "compose mounts the provisioning");
        assertEquals(home, ComposeTest.environment("grafana").get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"));
        for (Rendering rendering : Rendering.with("monitoring")) {
            Deployment grafana = rendering.deployment("grafana");
            Container container = rendering.container("grafana");
            assertEquals(home, ManifestsTest.env(container).get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"), rendering.toString());
            ConfigMap dashboardsMap = mountedConfigMap(rendering, grafana.getSpec().getTemplate(), container, home);
            assertEquals(Repo.read(DASHBOARD), dashboardsMap.getData().get(DASHBOARD.getFileName().toString()), rendering + ": the same dashboard");
            ConfigMap provisioning = mountedConfigMap(rendering, grafana.getSpec().getTemplate(), container,
                "/etc/grafana/provisioning/datasources/prometheus.yaml");
            assertEquals(Repo.read(DATASOURCES), provisioning.getData().get(key(grafana, container, "/etc/grafana/provisioning/datasources/prometheus.yaml")));
            assertEquals(Repo.read(DASHBOARD_PROVIDERS), provisioning.getData().get(key(grafana, container, "/etc/grafana/provisioning/dashboards/dockercoins.yaml")));
        }
    }

    // ---- helpers ----

    private static JsonNode onlyJob(Path config) {
        JsonNode jobs = Repo.yaml(config).path("scrape_configs");
        assertEquals(1, jobs.size(), Repo.ROOT.relativize(config) + " has one job, for the app");
        return jobs.get(0);
    }

    /** The labels Kubernetes discovery gives a pod's port (role: pod), as Prometheus documents them. */
    private static Map<String, String> discovered(String podName, PodTemplateSpec pod, ContainerPort port, String phase) {
        Map<String, String> labels = new HashMap<>();
        labels.put("__address__", "10.1.2.3:" + port.getContainerPort());
        labels.put("__meta_kubernetes_namespace", "dockercoins");
        labels.put("__meta_kubernetes_pod_name", podName);
        labels.put("__meta_kubernetes_pod_ip", "10.1.2.3");
        labels.put("__meta_kubernetes_pod_phase", phase);
        labels.put("__meta_kubernetes_pod_ready", "true");
        labels.put("__meta_kubernetes_pod_container_name", pod.getSpec().getContainers().get(0).getName());
        labels.put("__meta_kubernetes_pod_container_port_name", port.getName() == null ? "" : port.getName());
        labels.put("__meta_kubernetes_pod_container_port_number", String.valueOf(port.getContainerPort()));
        labels.put("__meta_kubernetes_pod_container_port_protocol", "TCP");
        pod.getMetadata().getLabels().forEach((k, v) -> {
            labels.put("__meta_kubernetes_pod_label_" + sanitize(k), v);
            labels.put("__meta_kubernetes_pod_labelpresent_" + sanitize(k), "true");
        });
        if (pod.getMetadata().getAnnotations() != null) {
            pod.getMetadata().getAnnotations().forEach((k, v) -> {
                labels.put("__meta_kubernetes_pod_annotation_" + sanitize(k), v);
                labels.put("__meta_kubernetes_pod_annotationpresent_" + sanitize(k), "true");
            });
        }
        return labels;
    }

    private static String sanitize(String name) {
        return name.replaceAll("[^a-zA-Z0-9_]", "_");
    }

    /** The metrics paths Prometheus uses are served, with the Prometheus text format. */
    private static void assertMetricsServed() {
        for (String name : InProcess.startable()) {
            try (InProcess running = InProcess.start(name, Map.of())) {
                assertTrue(running.body(Contract.METRICS_PATH).contains("# TYPE "), name + " " + Contract.METRICS_PATH);
            }
        }
        InProcess.pending();
    }

    /** The ConfigMap a container sees a file from, following its volume mounts. */
    private static ConfigMap mountedConfigMap(Rendering rendering, PodTemplateSpec pod, Container container, String file) {
        VolumeMount mount = mountOf(container, file);
        Volume volume = pod.getSpec().getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
        assertNotNull(volume.getConfigMap(), rendering + ": " + file + " comes from a ConfigMap");
        return rendering.get(ConfigMap.class, volume.getConfigMap().getName());
    }

    /** The ConfigMap key a mounted file comes from (items: key → path, or the file name itself). */
    private static String key(Deployment deployment, Container container, String file) {
        VolumeMount mount = mountOf(container, file);
        String relative = file.substring(mount.getMountPath().length() + 1);
        Volume volume = deployment.getSpec().getTemplate().getSpec().getVolumes().stream()
            .filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
        for (KeyToPath item : volume.getConfigMap().getItems()) {
            if (item.getPath().equals(relative)) {
                return item.getKey();
            }
        }
        return relative;
    }

    private static VolumeMount mountOf(Container container, String file) {
        return container.getVolumeMounts().stream().filter(m -> file.startsWith(m.getMountPath() + "/"))
            .findFirst().orElseThrow(() -> new AssertionError(container.getName() + " mounts nothing at " + file));
    }

    private static List<JsonNode> panels() {
        List<JsonNode> panels = new ArrayList<>();
        for (JsonNode panel : Repo.json(DASHBOARD).path("panels")) {
            panels.add(panel);
            panel.path("panels").forEach(panels::add);  // panels inside a collapsed row
        }
        assertFalse(panels.isEmpty());
        return panels;
    }

    private static List<String> expressions() {
        List<String> expressions = new ArrayList<>();
        for (JsonNode panel : panels()) {
            if (panel.path("type").asText().equals("row")) {
                continue;
            }
            assertFalse(panel.path("targets").isEmpty(), "panel " + panel.path("title") + " has queries");
            panel.path("targets").forEach(t -> expressions.add(t.path("expr").asText()));
        }
        return expressions;
    }

    private static final Set<String> PROMQL_WORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
        "bool", "and", "or", "unless", "offset", "le", "job", "instance", "stage", "area", "inf", "nan");

    /** The metric names in a PromQL expression: identifiers that are not functions, keywords, labels or strings. */
    static Set<String> metricNames(String expression) {
        String stripped = expression
            .replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"")     // string literals
            .replaceAll("\\{[^}]*}", "")                        // label matchers
            .replaceAll("\\[[^]]*]", "")                        // range selectors
            .replaceAll("\\b(by|without|on|ignoring)\\s*\\([^)]*\\)", "");  // grouping labels
        Set<String> names = new TreeSet<>();
        Matcher identifier = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*(\\s*\\()?").matcher(stripped);
        while (identifier.find()) {
            String word = identifier.group().replaceAll("\\s*\\($", "");
            if (identifier.group(1) == null && !PROMQL_WORDS.contains(word)) {
                names.add(word);
            }
        }
        return names;
    }
}
