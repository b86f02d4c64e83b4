package dockercoins.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import dockercoins.shared.Service;
import io.fabric8.kubernetes.api.model.*;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import org.junit.jupiter.api.Test;

import java.io.*;
import java.math.BigDecimal;
import java.net.*;
import java.nio.file.*;
import java.util.*;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** The Kubernetes manifests, as kustomize renders every entry point and component: held against the code. */
class ManifestsTest {

    private static final String PART_OF = "app.kubernetes.io/part-of";

    // ---- the files ----

    @Test
    void everyManifestIsNamedByItsKustomizationAndEveryComponentIsShown() throws IOException {
        try (Stream<Path> files = Files.walk(Repo.path("manifests"))) {
            for (Path file : files.filter(f -> f.toString().matches(".*\\.ya?ml")).toList()) {
                String kustomization = Files.readString(file.resolveSibling("kustomization.yaml"));
                String name = file.getFileName().toString();
                assertTrue(name.equals("kustomization.yaml") || kustomization.contains(name),
                    Repo.ROOT.relativize(file) + " is named by no kustomization");
                assertFalse(kustomization.contains("commonLabels"), "commonLabels would rewrite immutable selectors");
            }
        }
        for (String component : Rendering.COMPONENTS) {
            assertTrue(Repo.read("manifests/kustomization.yaml").contains("components/" + component),
                "manifests/kustomization.yaml shows how to enable " + component);
        }
    }

    /** kubercoins: `kubectl apply -f dockercoins.yaml` applies exactly what `kubectl apply -k manifests/base` does. */
    @Test
    void theOneFileManifestIsTheBaseAsKustomizeRendersIt() {
        assertEquals(Tools.kustomize(Repo.path("manifests/base")), Repo.read("dockercoins.yaml"),
            "dockercoins.yaml is stale: regenerate it with `kubectl kustomize manifests/base > dockercoins.yaml`");
    }

    /** kustomize chapter: `kustomize edit set image` needs the images listed, under the names the pods use. */
    @Test
    void theBaseListsItsImagesForKustomizeEditSetImage() {
        List<String> names = new ArrayList<>();
        Repo.yaml("manifests/base/kustomization.yaml").path("images").forEach(i -> names.add(i.path("name").asText()));
        for (Rendering rendering : Rendering.all()) {
            for (String name : Contract.APP) {
                String image = rendering.container(name).getImage();
                assertTrue(names.contains(image.substring(0, image.lastIndexOf(':'))), name + " is listed: " + names);
                assertEquals(ComposeTest.image(name), image, rendering + ": " + name + " image, as compose.yaml's");
                ComposeTest.assertPinned(rendering + ": " + name, image);
            }
            for (Deployment deployment : rendering.all(Deployment.class)) {
                Container container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
                assertTrue(Set.of("IfNotPresent", "").contains(Objects.toString(container.getImagePullPolicy(), "")),
                    rendering + ": " + container.getName() + ": images loaded into kind/minikube are used as they are");
                if (Set.of("prometheus", "grafana").contains(container.getName())) {
                    assertEquals(ComposeTest.image(container.getName()), container.getImage(), rendering.toString());
                }
            }
        }
    }

    // ---- names, ports and labels the workshop relies on ----

    @Test
    void theDeploymentsAndServicesAreTheContractOnes() {
        for (Rendering rendering : Rendering.all()) {
            Set<String> monitoring = rendering.components().contains("monitoring")
                ? Set.of("prometheus", "grafana") : Set.of();
            assertEquals(union(Contract.APP, monitoring), names(rendering.all(Deployment.class)), rendering.toString());
            assertEquals(union(Contract.SERVICE_TYPES.keySet(), monitoring),
                names(rendering.all(io.fabric8.kubernetes.api.model.Service.class)), rendering + " (worker has none)");
            Contract.SERVICE_TYPES.forEach((name, type) -> {
                var spec = rendering.get(io.fabric8.kubernetes.api.model.Service.class, name).getSpec();
                assertEquals(type, spec.getType(), rendering + ": Service " + name + " type");
                assertEquals(1, spec.getPorts().size(), rendering + ": Service " + name + " has one port");
                assertEquals(Contract.containerPort(name), spec.getPorts().get(0).getPort(), rendering + ": " + name);
                assertNull(spec.getPorts().get(0).getNodePort(), name + ": the cluster picks the NodePort");
            });
        }
    }

    @Test
    void selectorsAreAppLabelsAndMatchTheirPods() {
        for (Rendering rendering : Rendering.all()) {
            for (Deployment deployment : rendering.all(Deployment.class)) {
                String name = deployment.getMetadata().getName();
                assertEquals(Map.of("app", name), deployment.getSpec().getSelector().getMatchLabels(),
                    rendering + ": " + name + " selects app=" + name + " only (as `kubectl create deployment` does)");
                assertTrue(deployment.getSpec().getSelector().getMatchExpressions().isEmpty(), rendering + ": " + name);
                assertTrue(Rendering.matches(deployment.getSpec().getSelector(),
                    deployment.getSpec().getTemplate().getMetadata().getLabels()), rendering + ": " + name);
            }
            for (var service : rendering.all(io.fabric8.kubernetes.api.model.Service.class)) {
                String name = service.getMetadata().getName();
                assertEquals(Map.of("app", name), service.getSpec().getSelector(), rendering + ": Service " + name);
                assertEquals(List.of(name), rendering.all(Deployment.class).stream().filter(d -> Rendering.matches(
                        service.getSpec().getSelector(), d.getSpec().getTemplate().getMetadata().getLabels()))
                    .map(d -> d.getMetadata().getName()).toList(), rendering + ": Service " + name
                    + " selects its pods");
            }
        }
    }

    @Test
    void recommendedLabelsAreOnEveryObjectAndPodButInNoSelector() {
        for (Rendering rendering : Rendering.all()) {
            for (HasMetadata object : rendering.objects()) {
                assertEquals("dockercoins", Objects.requireNonNullElse(object.getMetadata().getLabels(), Map.of())
                    .get(PART_OF), rendering + ": " + object.getKind() + " " + object.getMetadata().getName());
            }
            for (Deployment deployment : rendering.all(Deployment.class)) {
                String name = deployment.getMetadata().getName();
                assertEquals(Map.of("app", name, "app.kubernetes.io/name", name, PART_OF, "dockercoins"),
                    deployment.getSpec().getTemplate().getMetadata().getLabels(), rendering + ": " + name + " pod");
                assertEquals(name, deployment.getMetadata().getLabels().get("app.kubernetes.io/name"),
                        rendering.name());
            }
        }
    }

    /** Numeric targetPorts: the DaemonSet chapter's pods, made by `kubectl create deployment`, name no port. */
    @Test
    void everyServiceTargetsItsContainerPortByNumber() {
        for (Rendering rendering : Rendering.all()) {
            for (var service : rendering.all(io.fabric8.kubernetes.api.model.Service.class)) {
                String name = service.getMetadata().getName();
                var port = service.getSpec().getPorts().get(0);
                ContainerPort target = Rendering.resolve(port.getTargetPort(), rendering.pod(name)).orElseThrow(() ->
                    new AssertionError(rendering + ": Service " + name + " targets no container port"));
                if (Contract.APP.contains(name)) {
                    assertEquals(Contract.containerPort(name), target.getContainerPort(), rendering + ": " + name);
                }
                if (Contract.SERVICES.contains(name)) {
                    assertEquals(Contract.PORT, port.getTargetPort().getIntVal(), rendering + ": " + name
                            + " by number");
                }
            }
        }
    }

    /** `kubectl create deployment rng --image=… --dry-run=client -o yaml` made a DaemonSet: behind Service rng. */
    @Test
    void aDaemonSetMadeWithKubectlCreateDeploymentIsBehindTheRngService() {
        JsonNode pod = Repo.yamlDocuments(Tools.kubectl("create", "deployment", "rng", "--image="
            + Contract.IMAGE_REPOSITORY + "rng:1.0.0", "--dry-run=client", "-o", "yaml"), "kubectl create")
            .get(0).path("spec").path("template");
        Map<String, String> labels = new TreeMap<>();
        pod.path("metadata").path("labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
        assertTrue(pod.path("spec").path("containers").get(0).path("ports").isMissingNode(), "no named port: " + pod);
        var rng = Rendering.all().get(0).get(io.fabric8.kubernetes.api.model.Service.class, "rng");
        assertTrue(Rendering.matches(rng.getSpec().getSelector(), labels), "Service rng selects the DaemonSet's pods");
        assertEquals(Contract.PORT, rng.getSpec().getPorts().get(0).getTargetPort().getIntVal());
        assertTrue(Repo.read("Dockerfile").matches("(?s).*\\nENV PORT=" + Contract.PORT + "\\b.*"),
                "images listen on 80");
    }

    // ---- the pods, held against the code ----

    @Test
    void probesAskWhatEachServiceServesOnThePortItListensOn() {
        for (Rendering rendering : Rendering.all()) {
            for (String name : Contract.SERVICES) {
                Container container = rendering.container(name);
                assertHttpProbe(rendering, name, container.getStartupProbe(), Contract.READINESS_PATH);
                assertHttpProbe(rendering, name, container.getReadinessProbe(), Contract.READINESS_PATH);
                // Liveness never depends on another service: /healthz only checks the process itself.
                assertHttpProbe(rendering, name, container.getLivenessProbe(), Contract.LIVENESS_PATH);
                assertEquals(String.valueOf(Contract.PORT), Rendering.env(container).get("PORT"), rendering + ": "
                        + name);
            }
            Container redis = rendering.container("redis");
            assertEquals(List.of("redis-cli", "ping"), redis.getReadinessProbe().getExec().getCommand(),
                    rendering.name());
            assertEquals(Contract.REDIS_PORT, Rendering.resolve(redis.getLivenessProbe().getTcpSocket().getPort(),
                rendering.pod("redis")).orElseThrow().getContainerPort(), rendering + ": redis liveness");
            for (Deployment deployment : rendering.all(Deployment.class)) {
                Container container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
                assertNotNull(container.getReadinessProbe(), rendering + ": " + container.getName() + " readiness");
                assertNotNull(container.getLivenessProbe(), rendering + ": " + container.getName() + " liveness");
            }
        }
        for (String name : Contract.SERVICES) {
            try (InProcess running = InProcess.start(name, Rendering.env(Rendering.all().get(0).container(name)))) {
                for (String path : List.of(Contract.READINESS_PATH, Contract.LIVENESS_PATH)) {
                    assertEquals(200, running.get(path), name + " answers " + path);
                }
            }
        }
    }

    private static void assertHttpProbe(Rendering rendering, String name, Probe probe, String path) {
        String where = rendering + ": " + name + " probe on " + path;
        assertNotNull(probe, where);
        assertEquals(path, probe.getHttpGet().getPath(), where);
        assertEquals(Contract.PORT, Rendering.resolve(probe.getHttpGet().getPort(), rendering.pod(name))
            .orElseThrow(() -> new AssertionError(where + ": no such container port")).getContainerPort(), where);
    }

    @Test
    void everyVariableSetIsOneTheCodeReads() {
        for (Rendering rendering : Rendering.all()) {
            for (String name : Contract.SERVICES) {
                Map<String, String> env = Rendering.env(rendering.container(name));
                assertTrue(Contract.VARIABLES.containsAll(env.keySet()), rendering + ": " + name + " sets " + env);
                env.forEach((variable, value) -> {
                    if (variable.endsWith("_URL")) {
                        URI uri = URI.create(value);
                        String target = variable.replace("_URL", "").toLowerCase();
                        assertEquals(target, uri.getHost(), rendering + ": " + name + " " + variable
                                + " names a Service");
                        assertEquals(uri.getPort() >= 0 ? uri.getPort() : 80, rendering.get(io.fabric8.kubernetes.api
                                .model.Service.class, target).getSpec().getPorts().get(0).getPort(),
                            rendering + ": " + name + " " + variable + " port is the Service's");
                    }
                });
                try (InProcess running = InProcess.start(name, env)) {
                    Set<String> unread = new TreeSet<>(env.keySet());
                    unread.removeAll(running.namesRead());
                    assertTrue(unread.isEmpty(), rendering + ": " + name + " does not read " + unread);
                }
            }
            assertTrue(Rendering.env(rendering.container("redis")).isEmpty(), rendering + ": redis takes no variables");
        }
    }

    @Test
    void theWorkshopComponentServesOneRngRequestAtATime() {
        for (Rendering rendering : Rendering.all()) {
            assertEquals(rendering.components().contains("workshop") ? "1" : null,
                Rendering.env(rendering.container("rng")).get("RNG_CONCURRENCY"), rendering.name());
        }
    }

    /** components/redis-auth: Redis requires the Secret's password, and worker and webui send that password. */
    @Test
    void redisRequiresThePasswordThatWorkerAndWebuiSend() {
        List<Rendering> renderings = Rendering.with("redis-auth");
        assertTrue(renderings.stream().anyMatch(r -> r.name().contains("locked-down")), "locked-down includes it");
        for (Rendering rendering : renderings) {
            Container redis = rendering.container("redis");
            String secret = secretOf(redis, "REDISCLI_AUTH");
            assertTrue(String.join(" ", redis.getArgs()).endsWith("--requirepass $(REDISCLI_AUTH)"), rendering.name());
            for (String client : List.of("worker", "webui")) {
                Container container = rendering.container(client);
                assertEquals(secret, secretOf(container, "REDIS_PASSWORD"), rendering + ": " + client);
                assertEquals(":secret", URI.create(Rendering.env(container).get("REDIS_URL")).getUserInfo(),
                    rendering + ": " + client + " sends the Secret's password");
            }
        }
    }

    /** The Secret a variable comes from, and it must be the key "password". */
    static String secretOf(Container container, String variable) {
        EnvVar var = container.getEnv().stream().filter(v -> v.getName().equals(variable)).findFirst()
            .orElseThrow(() -> new AssertionError(container.getName() + " has no " + variable));
        assertEquals("password", var.getValueFrom().getSecretKeyRef().getKey());
        return var.getValueFrom().getSecretKeyRef().getName();
    }

    @Test
    void everyPodMeetsTheRestrictedPodSecurityStandard() {
        String imageUser = Repo.all("(?m)^USER (\\S+)", Repo.read("Dockerfile")).get(0);
        for (Rendering rendering : Rendering.all()) {
            for (Deployment deployment : rendering.all(Deployment.class)) {
                String where = rendering + ": " + deployment.getMetadata().getName();
                PodSpec pod = deployment.getSpec().getTemplate().getSpec();
                var podContext = pod.getSecurityContext();
                assertEquals(Boolean.TRUE, podContext.getRunAsNonRoot(), where + " runAsNonRoot");
                assertTrue(podContext.getRunAsUser() != null && podContext.getRunAsUser() > 0, where + " runAsUser");
                assertEquals("RuntimeDefault", podContext.getSeccompProfile().getType(), where + " seccomp");
                assertFalse(Boolean.TRUE.equals(pod.getHostNetwork()) || Boolean.TRUE.equals(pod.getHostPID())
                    || Boolean.TRUE.equals(pod.getHostIPC()), where + " shares no host namespace");
                podContext.getSysctls().forEach(s -> assertEquals("net.ipv4.ip_unprivileged_port_start", s.getName(),
                    where + ": only sysctls of Pod Security's safe set"));
                for (Volume volume : Objects.requireNonNullElse(pod.getVolumes(), List.<Volume>of())) {
                    assertTrue(volume.getEmptyDir() != null || volume.getConfigMap() != null
                        || volume.getSecret() != null, where + " volume " + volume.getName() + " is a restricted type");
                }
                assertTrue(pod.getInitContainers().isEmpty(), where + " has no init containers");
                for (Container container : pod.getContainers()) {
                    SecurityContext context = container.getSecurityContext();
                    assertEquals(Boolean.FALSE, context.getAllowPrivilegeEscalation(), where + " privilege escalation");
                    assertFalse(Boolean.TRUE.equals(context.getPrivileged()), where + " privileged");
                    assertEquals(Boolean.TRUE, context.getReadOnlyRootFilesystem(), where + " readOnlyRootFilesystem");
                    Capabilities capabilities = context.getCapabilities();
                    assertEquals(List.of("ALL"), capabilities.getDrop(), where + " drops ALL capabilities");
                    assertTrue(capabilities.getAdd().isEmpty(), where + " adds no capability");
                    assertNull(context.getRunAsUser(), where + ": the pod's user");
                    container.getPorts().forEach(p -> assertNull(p.getHostPort(), where + " uses no hostPort"));
                }
            }
            for (String name : Contract.SERVICES) {
                PodSpec pod = rendering.pod(name).getSpec();
                assertEquals(imageUser, pod.getSecurityContext().getRunAsUser() + ":"
                    + pod.getSecurityContext().getRunAsGroup(), rendering + ": " + name + " runs as the image's USER");
                assertTrue(pod.getSecurityContext().getSysctls().stream().anyMatch(s -> s.getValue().equals("0")),
                    rendering + ": " + name + " may bind port 80 as its non-root user");
                // The JVM and Netty write to /tmp; the root filesystem is read-only.
                String tmp = rendering.container(name).getVolumeMounts().stream()
                    .filter(m -> m.getMountPath().equals("/tmp")).findFirst().orElseThrow().getName();
                assertTrue(pod.getVolumes().stream().anyMatch(v -> v.getName().equals(tmp) && v.getEmptyDir() != null),
                    rendering + ": " + name + " /tmp is an emptyDir");
            }
        }
    }

    @Test
    void onlyPrometheusGetsAnApiTokenAndOnlyTheRightsItsDiscoveryNeeds() {
        for (Rendering rendering : Rendering.all()) {
            for (Deployment deployment : rendering.all(Deployment.class)) {
                PodSpec pod = deployment.getSpec().getTemplate().getSpec();
                if (deployment.getMetadata().getName().equals("prometheus")) {
                    assertEquals("prometheus", pod.getServiceAccountName(), rendering + ": Prometheus' ServiceAccount");
                } else {
                    assertEquals(Boolean.FALSE, pod.getAutomountServiceAccountToken(),
                        rendering + ": " + deployment.getMetadata().getName() + " needs no Kubernetes API token");
                }
            }
            if (rendering.components().contains("monitoring")) {
                RoleBinding binding = rendering.get(RoleBinding.class, "prometheus");
                assertEquals("Role", binding.getRoleRef().getKind(), "a Role: no cluster-wide rights");
                assertEquals(List.of("prometheus"), binding.getSubjects().stream().map(s -> s.getName()).toList());
                Set<String> granted = new TreeSet<>();
                for (PolicyRule rule : rendering.get(Role.class, binding.getRoleRef().getName()).getRules()) {
                    assertEquals(List.of(""), rule.getApiGroups(), "core API group only");
                    assertEquals(List.of("get", "list", "watch"), rule.getVerbs(), "read-only");
                    granted.addAll(rule.getResources());
                }
                assertTrue(granted.contains("pods"), "role: pod discovery lists and watches pods");
            }
        }
    }

    @Test
    void resourcesAreRequestedAndLimitedWithRoomForTheJvmOutsideItsHeap() {
        double heapShare = ImagesTest.maxRamFraction();
        for (Rendering rendering : Rendering.all()) {
            for (Deployment deployment : rendering.all(Deployment.class)) {
                Container container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
                Map<String, Quantity> requests = container.getResources().getRequests();
                Map<String, Quantity> limits = container.getResources().getLimits();
                for (String resource : List.of("cpu", "memory")) {
                    String where = rendering + ": " + container.getName() + " " + resource;
                    assertTrue(requests.containsKey(resource) && limits.containsKey(resource), where
                            + " request, limit");
                    assertTrue(bytes(limits.get(resource)).compareTo(bytes(requests.get(resource))) >= 0, where);
                }
            }
            for (String name : Contract.SERVICES) {
                BigDecimal limit = bytes(rendering.container(name).getResources().getLimits().get("memory"));
                assertTrue(limit.multiply(BigDecimal.valueOf(1 - heapShare))
                        .compareTo(BigDecimal.valueOf(96L << 20)) >= 0,
                    rendering + ": " + name + " memory limit " + limit + " leaves less than 96 MiB outside a heap of "
                        + "MaxRAMPercentage (metaspace, code, threads, direct buffers)");
            }
        }
    }

    @Test
    void terminationLeavesTimeForPreStopAndTheGracefulStop() {
        long gracefulStopAndMargin = Service.GRACE.toSeconds() + 5 + 5;  // Service.stopAndWait: GRACE + 5 s; margin
        for (Rendering rendering : Rendering.all()) {
            for (String name : Contract.SERVICES) {
                Container container = rendering.container(name);
                long preStop = 0;
                if (container.getLifecycle() != null) {
                    // The sleep action (Kubernetes >= 1.30) needs no sleep binary in the image.
                    preStop = container.getLifecycle().getPreStop().getSleep().getSeconds();
                }
                boolean behindAService = Contract.SERVICE_TYPES.containsKey(name);
                assertEquals(behindAService, preStop > 0, rendering + ": " + name + (behindAService
                    ? " keeps serving while its endpoint is removed (preStop)" : " needs no preStop"));
                long grace = Objects.requireNonNullElse(rendering.pod(name).getSpec()
                        .getTerminationGracePeriodSeconds(), 30L);
                assertTrue(grace >= preStop + gracefulStopAndMargin, rendering + ": " + name + " grace " + grace
                    + " s < preStop + graceful stop + 5 s margin, so SIGKILL could race the exit");
            }
        }
    }

    @Test
    void scrapeAnnotationsPointAtTheMetricsEndpoint() {
        for (Rendering rendering : Rendering.all()) {
            for (Deployment deployment : rendering.all(Deployment.class)) {
                String name = deployment.getMetadata().getName();
                PodTemplateSpec pod = deployment.getSpec().getTemplate();
                Map<String, String> annotations = Objects.requireNonNullElse(pod.getMetadata().getAnnotations(),
                        Map.of());
                Map<String, String> expected = !Contract.SERVICES.contains(name) ? Map.of() : Map.of(
                    "prometheus.io/scrape", "true", "prometheus.io/path", Contract.METRICS_PATH,
                    "prometheus.io/port", String.valueOf(Contract.PORT));
                assertEquals(expected, annotations, rendering + ": " + name + " scrape annotations");
            }
        }
        for (String name : Contract.SERVICES) {
            try (InProcess running = InProcess.start(name, Rendering.env(Rendering.all().get(0).container(name)))) {
                assertTrue(running.body(Contract.METRICS_PATH).contains("# TYPE "), name + " serves metrics");
            }
        }
    }

    @Test
    void nothingOverridesKubectlScaleAndRedisIsNeverRolled() {
        for (Rendering rendering : Rendering.all()) {
            for (Deployment deployment : rendering.all(Deployment.class)) {
                assertNull(deployment.getSpec().getReplicas(), rendering + ": " + deployment.getMetadata().getName()
                    + " sets replicas, so applying the manifests again would undo `kubectl scale`");
            }
            assertTrue(rendering.objects().stream().noneMatch(o -> o.getKind().contains("Autoscaler")),
                    rendering.name());
            // Redis keeps the counts in its pod: a second Redis beside it would split them.
            assertEquals("Recreate", rendering.deployment("redis").getSpec().getStrategy().getType(), rendering.name());
        }
    }

    private static BigDecimal bytes(Quantity quantity) {
        return Quantity.getAmountInBytes(quantity);
    }

    private static Set<String> names(List<? extends HasMetadata> objects) {
        return objects.stream().map(o -> o.getMetadata().getName()).collect(Collectors.toCollection(TreeSet::new));
    }

    private static Set<String> union(Iterable<String> a, Set<String> b) {
        Set<String> union = new TreeSet<>(b);
        a.forEach(union::add);
        return union;
    }
}
