package dockercoins.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import dockercoins.shared.Service;
import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.Matcher;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Kubernetes manifests, read strictly and held against the contract and the code, in every
 * way they can be applied: the base, the overlays, and the base with each component.
 */
class ManifestsTest {

    private static final List<String> APP = List.of("rng", "hasher", "worker", "webui", "redis");
    private static final String PART_OF = "app.kubernetes.io/part-of";
    /** Time left between the graceful stop's bound and SIGKILL. */
    private static final long STOP_MARGIN_SECONDS = 5;

    // ---- the files ----

    @Test
    void everyFileTheKustomizationsNameExistsAndNoManifestIsLeftOut() throws java.io.IOException {
        Set<Path> named = new HashSet<>();
        for (String entry : Rendering.ENTRY_POINTS) {
            Kustomize.Tree tree = Kustomize.walk(Repo.path(entry));
            named.addAll(tree.kustomizations.stream().map(Kustomize::fileIn).toList());
            named.addAll(tree.resourceFiles);
            named.addAll(tree.patchFiles);
            named.addAll(tree.generatorFiles);
        }
        for (String component : Rendering.COMPONENTS) {
            Kustomize.Tree walked = Kustomize.walkComponent(Repo.path("manifests/components/" + component));
            named.addAll(walked.kustomizations.stream().map(Kustomize::fileIn).toList());
            named.addAll(walked.resourceFiles);
            named.addAll(walked.patchFiles);
            named.addAll(walked.generatorFiles);
        }
        try (Stream<Path> files = Files.walk(Repo.path("manifests"))) {
            List<Path> orphans = files.filter(Files::isRegularFile).filter(f -> !named.contains(f.toAbsolutePath().normalize())).toList();
            assertTrue(orphans.isEmpty(), "files under manifests/ that no kustomization names: " + orphans);
        }
        for (String component : Rendering.COMPONENTS) {
            assertTrue(Repo.read(Repo.path("manifests/kustomization.yaml")).contains("components/" + component),
                "manifests/kustomization.yaml shows how to enable " + component);
        }
    }

    @Test
    void everyObjectAndPatchFitsTheKubernetesModelExactly() {
        Set<Path> files = new TreeSet<>();
        Set<Path> patches = new TreeSet<>();
        for (String entry : Rendering.ENTRY_POINTS) {
            files.addAll(Kustomize.walk(Repo.path(entry)).resourceFiles);
        }
        for (String component : Rendering.COMPONENTS) {
            Kustomize.Tree tree = Kustomize.walkComponent(Repo.path("manifests/components/" + component));
            files.addAll(tree.resourceFiles);
            patches.addAll(tree.patchFiles);
        }
        int objects = 0;
        for (Path file : files) {
            objects += KubernetesModel.read(Repo.read(file), Repo.ROOT.relativize(file).toString()).size();
        }
        for (Path file : patches) {
            KubernetesModel.read(Repo.read(file), Repo.ROOT.relativize(file).toString());
        }
        assertTrue(objects >= 9 + 9, "base: 5 Deployments and 4 Services; components: network policies, Prometheus, Grafana, PodMonitor");
        assertFalse(patches.isEmpty());
    }

    /** The model is not lenient: a misspelt field, and an unknown kind, are errors. */
    @Test
    void theStrictReadingCatchesMistakes() {
        String typo = Repo.read(Repo.path("manifests/base/rng.yaml")).replace("readinessProbe:", "readynessProbe:");
        AssertionError unknownField = assertThrows(AssertionError.class,
            () -> KubernetesModel.read(typo, "rng.yaml with a typo"));
        assertTrue(unknownField.getMessage().contains("readynessProbe"), unknownField.getMessage());
        // periodSeconds indented one level too little: it lands on the container, which has no such field.
        String indentation = Repo.read(Repo.path("manifests/base/rng.yaml")).replace("            periodSeconds: 5\n", "          periodSeconds: 5\n");
        AssertionError misplaced = assertThrows(AssertionError.class, () -> KubernetesModel.read(indentation, "rng.yaml mis-indented"));
        assertTrue(misplaced.getMessage().contains("containers[0].periodSeconds"), misplaced.getMessage());
        assertThrows(AssertionError.class,
            () -> KubernetesModel.read("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscalerr\nmetadata: {name: worker}\n", "hpa"));
    }

    @Test
    void theHandRenderingOfTheBaseIsWhatKustomizeRenders() {
        Map<String, JsonNode> byHand = new LinkedHashMap<>();
        Kustomize.renderSimple(Repo.path("manifests/base")).forEach(o -> byHand.put(key(o), o));
        Map<String, JsonNode> byKustomize = new LinkedHashMap<>();
        Repo.yamlDocuments(Kustomize.render(Repo.path("manifests/base")), "kustomize").forEach(o -> byKustomize.put(key(o), o));
        assertEquals(byKustomize.keySet(), byHand.keySet());
        byKustomize.forEach((key, object) -> assertEquals(object, byHand.get(key), key + " differs between kustomize and the hand rendering"));
    }

    // ---- names, ports and labels the workshop relies on ----

    @Test
    void theDeploymentsAndServicesAreTheContractOnes() {
        for (Rendering rendering : Rendering.all()) {
            Set<String> deployments = names(rendering.all(Deployment.class));
            Set<String> services = names(rendering.all(io.fabric8.kubernetes.api.model.Service.class));
            Set<String> monitoring = rendering.components().contains("monitoring") ? Set.of("prometheus", "grafana") : Set.of();
            assertEquals(union(APP, monitoring), deployments, rendering + " Deployments");
            assertEquals(union(Contract.SERVICE_TYPES.keySet(), monitoring), services, rendering + " Services (worker has none)");
            Contract.SERVICE_TYPES.forEach((name, type) -> {
                io.fabric8.kubernetes.api.model.Service service = rendering.get(io.fabric8.kubernetes.api.model.Service.class, name);
                assertEquals(type, service.getSpec().getType(), rendering + ": Service " + name + " type");
                assertEquals(1, service.getSpec().getPorts().size(), rendering + ": Service " + name + " has one port");
                assertEquals(Contract.SERVICE_PORTS.get(name), service.getSpec().getPorts().get(0).getPort(), rendering + ": Service " + name + " port");
                assertNull(service.getSpec().getPorts().get(0).getNodePort(), name + ": the cluster picks the NodePort, so it never collides");
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
                assertTrue(deployment.getSpec().getSelector().getMatchExpressions().isEmpty(), rendering + ": " + name + " matchExpressions");
                assertTrue(Rendering.matches(deployment.getSpec().getSelector(), deployment.getSpec().getTemplate().getMetadata().getLabels()),
                    rendering + ": " + name + " selector matches its pod template");
            }
            for (io.fabric8.kubernetes.api.model.Service service : rendering.all(io.fabric8.kubernetes.api.model.Service.class)) {
                String name = service.getMetadata().getName();
                assertEquals(Map.of("app", name), service.getSpec().getSelector(), rendering + ": Service " + name + " selector");
                List<String> selected = rendering.all(Deployment.class).stream()
                    .filter(d -> Rendering.matches(service.getSpec().getSelector(), d.getSpec().getTemplate().getMetadata().getLabels()))
                    .map(d -> d.getMetadata().getName()).toList();
                assertEquals(List.of(name), selected, rendering + ": Service " + name + " selects the pods of its Deployment only");
            }
        }
    }

    @Test
    void recommendedLabelsAreOnEveryObjectAndPodButInNoSelector() {
        for (Rendering rendering : Rendering.all()) {
            for (HasMetadata object : rendering.objects()) {
                Map<String, String> labels = object.getMetadata().getLabels();
                assertNotNull(labels, rendering + ": " + object.getKind() + " " + object.getMetadata().getName() + " has labels");
                assertEquals("dockercoins", labels.get(PART_OF), rendering + ": " + object.getKind() + " " + object.getMetadata().getName());
            }
            for (Deployment deployment : rendering.all(Deployment.class)) {
                String name = deployment.getMetadata().getName();
                Map<String, String> pod = deployment.getSpec().getTemplate().getMetadata().getLabels();
                assertEquals(Map.of("app", name, "app.kubernetes.io/name", name, PART_OF, "dockercoins"), pod, rendering + ": " + name + " pod labels");
                assertEquals(name, deployment.getMetadata().getLabels().get("app.kubernetes.io/name"), rendering + ": " + name);
            }
        }
    }

    @Test
    void everyServiceTargetPortIsAContainerPort() {
        for (Rendering rendering : Rendering.all()) {
            for (io.fabric8.kubernetes.api.model.Service service : rendering.all(io.fabric8.kubernetes.api.model.Service.class)) {
                PodTemplateSpec pod = rendering.deployment(service.getMetadata().getName()).getSpec().getTemplate();
                for (ServicePort port : service.getSpec().getPorts()) {
                    ContainerPort target = Rendering.resolve(port.getTargetPort(), pod).orElseThrow(() -> new AssertionError(
                        rendering + ": Service " + service.getMetadata().getName() + " targetPort " + port.getTargetPort() + " is no container port"));
                    assertEquals(Objects.requireNonNullElse(port.getProtocol(), "TCP"), Objects.requireNonNullElse(target.getProtocol(), "TCP"));
                    if (!service.getMetadata().getName().equals("prometheus") && !service.getMetadata().getName().equals("grafana")) {
                        assertEquals(Contract.containerPort(service.getMetadata().getName()), target.getContainerPort(),
                            rendering + ": " + service.getMetadata().getName() + " reaches the port its code listens on");
                    }
                }
            }
        }
    }

    // ---- the pods, held against the code ----

    @Test
    void probesAskWhatEachServiceServesOnThePortItListensOn() {
        for (Rendering rendering : Rendering.all()) {
            for (String name : Contract.SERVICES) {
                Container container = rendering.container(name);
                PodTemplateSpec pod = rendering.deployment(name).getSpec().getTemplate();
                assertHttpProbe(rendering, name, pod, container.getStartupProbe(), Contract.READINESS_PATH);
                assertHttpProbe(rendering, name, pod, container.getReadinessProbe(), Contract.READINESS_PATH);
                // Liveness never depends on another service: /healthz only checks the process itself.
                assertHttpProbe(rendering, name, pod, container.getLivenessProbe(), Contract.LIVENESS_PATH);
            }
            Container redis = rendering.container("redis");
            assertEquals(List.of("redis-cli", "ping"), redis.getReadinessProbe().getExec().getCommand(), rendering + ": redis readiness");
            assertEquals(Contract.REDIS_PORT, Rendering.resolve(redis.getLivenessProbe().getTcpSocket().getPort(),
                rendering.deployment("redis").getSpec().getTemplate()).orElseThrow().getContainerPort(), rendering + ": redis liveness");
            for (Deployment deployment : rendering.all(Deployment.class)) {
                for (Container container : deployment.getSpec().getTemplate().getSpec().getContainers()) {
                    assertNotNull(container.getReadinessProbe(), rendering + ": " + container.getName() + " readiness probe");
                    assertNotNull(container.getLivenessProbe(), rendering + ": " + container.getName() + " liveness probe");
                }
            }
        }
        for (String name : InProcess.startable()) {
            try (InProcess running = InProcess.start(name, env(Rendering.base().container(name)))) {
                for (String path : List.of(Contract.READINESS_PATH, Contract.LIVENESS_PATH)) {
                    assertEquals(200, running.get(path), name + " answers its probe " + path);
                }
            }
        }
        InProcess.pending();
    }

    private static void assertHttpProbe(Rendering rendering, String name, PodTemplateSpec pod, Probe probe, String path) {
        assertNotNull(probe, rendering + ": " + name + " probe on " + path);
        assertNotNull(probe.getHttpGet(), rendering + ": " + name + " probes " + path + " over HTTP");
        assertEquals(path, probe.getHttpGet().getPath(), rendering + ": " + name + " probe path");
        ContainerPort port = Rendering.resolve(probe.getHttpGet().getPort(), pod)
            .orElseThrow(() -> new AssertionError(rendering + ": " + name + " probe port " + probe.getHttpGet().getPort() + " is no container port"));
        assertEquals(Contract.PORT, port.getContainerPort(), rendering + ": " + name + " probes the port it listens on");
        assertEquals(Contract.PORT, listenPort(pod.getSpec().getContainers().get(0)), rendering + ": " + name + " PORT");
    }

    /** The port the code listens on with this container's environment. */
    private static int listenPort(Container container) {
        return Integer.parseInt(env(container).getOrDefault("PORT", String.valueOf(Contract.PORT)));
    }

    @Test
    void everyVariableSetIsOneTheCodeReads() {
        for (Rendering rendering : Rendering.all()) {
            for (String name : Contract.SERVICES) {
                Map<String, String> env = env(rendering.container(name));
                assertTrue(Contract.VARIABLES.containsAll(env.keySet()), rendering + ": " + name + " sets variables outside the contract: " + env.keySet());
                env.forEach((variable, value) -> {
                    if (variable.endsWith("_URL")) {
                        assertUrlNamesAService(rendering, name, variable, value);
                    }
                });
            }
            assertTrue(env(rendering.container("redis")).isEmpty(), rendering + ": redis takes no DockerCoins variables");
        }
        for (Rendering rendering : Rendering.all()) {
            for (String name : InProcess.startable()) {
                Map<String, String> env = env(rendering.container(name));
                try (InProcess running = InProcess.start(name, env)) {
                    Set<String> unread = new TreeSet<>(env.keySet());
                    unread.removeAll(running.namesRead());
                    assertTrue(unread.isEmpty(), rendering + ": " + name + " does not read " + unread);
                }
            }
        }
        InProcess.pending();
    }

    private static void assertUrlNamesAService(Rendering rendering, String service, String variable, String value) {
        URI uri = URI.create(value);
        String target = variable.substring(0, variable.length() - "_URL".length()).toLowerCase();
        assertEquals(target, uri.getHost(), rendering + ": " + service + " " + variable + " names the " + target + " Service");
        int port = uri.getPort() >= 0 ? uri.getPort() : uri.getScheme().equals("http") ? 80 : -1;
        io.fabric8.kubernetes.api.model.Service named = rendering.get(io.fabric8.kubernetes.api.model.Service.class, target);
        assertEquals(port, named.getSpec().getPorts().get(0).getPort(), rendering + ": " + service + " " + variable + " port is the Service's");
    }

    @Test
    void theWorkshopComponentServesOneRngRequestAtATime() {
        for (Rendering rendering : Rendering.all()) {
            String concurrency = env(rendering.container("rng")).get("RNG_CONCURRENCY");
            assertEquals(rendering.components().contains("workshop") ? "1" : null, concurrency, rendering + ": rng RNG_CONCURRENCY");
        }
    }

    @Test
    void everyPodMeetsTheRestrictedPodSecurityStandard() {
        String imageUser = DockerfileModel.parse(Repo.path("Dockerfile")).stage("runtime").all("USER").get(0).arguments().trim();
        for (Rendering rendering : Rendering.all()) {
            for (Deployment deployment : rendering.all(Deployment.class)) {
                String where = rendering + ": " + deployment.getMetadata().getName();
                PodSpec pod = deployment.getSpec().getTemplate().getSpec();
                PodSecurityContext podContext = pod.getSecurityContext();
                assertNotNull(podContext, where + " pod securityContext");
                assertEquals(Boolean.TRUE, podContext.getRunAsNonRoot(), where + " runAsNonRoot");
                assertNotNull(podContext.getRunAsUser(), where + " numeric runAsUser (an image's USER name cannot be checked)");
                assertTrue(podContext.getRunAsUser() > 0, where + " runAsUser");
                assertEquals("RuntimeDefault", podContext.getSeccompProfile().getType(), where + " seccomp");
                assertFalse(Boolean.TRUE.equals(pod.getHostNetwork()) || Boolean.TRUE.equals(pod.getHostPID())
                    || Boolean.TRUE.equals(pod.getHostIPC()), where + " shares no host namespace");
                for (Volume volume : pod.getVolumes() == null ? List.<Volume>of() : pod.getVolumes()) {
                    assertTrue(volume.getEmptyDir() != null || volume.getConfigMap() != null || volume.getSecret() != null
                        || volume.getProjected() != null, where + " volume " + volume.getName() + " is of a restricted-PSS type");
                }
                List<Container> containers = new ArrayList<>(pod.getContainers());
                if (pod.getInitContainers() != null) {
                    containers.addAll(pod.getInitContainers());
                }
                for (Container container : containers) {
                    String c = where + "/" + container.getName();
                    SecurityContext context = container.getSecurityContext();
                    assertNotNull(context, c + " securityContext");
                    assertEquals(Boolean.FALSE, context.getAllowPrivilegeEscalation(), c + " allowPrivilegeEscalation");
                    assertFalse(Boolean.TRUE.equals(context.getPrivileged()), c + " privileged");
                    assertEquals(Boolean.TRUE, context.getReadOnlyRootFilesystem(), c + " readOnlyRootFilesystem");
                    Capabilities capabilities = context.getCapabilities();
                    assertEquals(List.of("ALL"), capabilities.getDrop(), c + " drops ALL capabilities");
                    assertTrue(capabilities.getAdd() == null || capabilities.getAdd().isEmpty(), c + " adds no capability");
                    assertTrue(context.getRunAsUser() == null || context.getRunAsUser() > 0, c + " runAsUser");
                    assertTrue(context.getSeccompProfile() == null || "RuntimeDefault".equals(context.getSeccompProfile().getType()), c);
                    for (ContainerPort port : container.getPorts() == null ? List.<ContainerPort>of() : container.getPorts()) {
                        assertNull(port.getHostPort(), c + " uses no hostPort");
                    }
                }
            }
            for (String name : Contract.SERVICES) {
                PodTemplateSpec pod = rendering.deployment(name).getSpec().getTemplate();
                assertEquals(imageUser, pod.getSpec().getSecurityContext().getRunAsUser() + ":" + pod.getSpec().getSecurityContext().getRunAsGroup(),
                    rendering + ": " + name + " runs as the image's USER");
                // The JVM and Netty write to /tmp; the root filesystem is read-only.
                String tmp = rendering.container(name).getVolumeMounts().stream().filter(m -> m.getMountPath().equals("/tmp"))
                    .map(m -> m.getName()).findFirst().orElseThrow(() -> new AssertionError(rendering + ": " + name + " mounts nothing on /tmp"));
                assertTrue(pod.getSpec().getVolumes().stream().anyMatch(v -> v.getName().equals(tmp) && v.getEmptyDir() != null),
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
                Role role = rendering.get(Role.class, binding.getRoleRef().getName());
                Set<String> granted = new TreeSet<>();
                for (PolicyRule rule : role.getRules()) {
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
        double heapShare = JvmOptionsTest.maxRamFraction();
        for (Rendering rendering : Rendering.all()) {
            for (Deployment deployment : rendering.all(Deployment.class)) {
                for (Container container : deployment.getSpec().getTemplate().getSpec().getContainers()) {
                    String where = rendering + ": " + container.getName();
                    Map<String, Quantity> requests = container.getResources().getRequests();
                    Map<String, Quantity> limits = container.getResources().getLimits();
                    assertNotNull(requests, where + " requests");
                    assertNotNull(limits, where + " limits");
                    for (String resource : List.of("cpu", "memory")) {
                        assertTrue(requests.containsKey(resource) && limits.containsKey(resource), where + " " + resource + " request and limit");
                        assertTrue(bytes(limits.get(resource)).compareTo(bytes(requests.get(resource))) >= 0, where + " " + resource + " limit >= request");
                    }
                }
            }
            for (String name : Contract.SERVICES) {
                BigDecimal limit = bytes(rendering.container(name).getResources().getLimits().get("memory"));
                BigDecimal outsideHeap = limit.multiply(BigDecimal.valueOf(1 - heapShare));
                assertTrue(outsideHeap.compareTo(BigDecimal.valueOf(96L << 20)) >= 0, rendering + ": " + name + " memory limit " + limit
                    + " leaves less than 96 MiB outside a heap of MaxRAMPercentage (metaspace, code, threads, direct buffers)");
            }
        }
    }

    @Test
    void terminationLeavesTimeForPreStopAndTheGracefulStop() {
        long gracefulStop = Service.GRACE.toSeconds() + 5;  // Service.stopAndWait: GRACE, then 5 s more
        for (Rendering rendering : Rendering.all()) {
            for (String name : Contract.SERVICES) {
                PodSpec pod = rendering.deployment(name).getSpec().getTemplate().getSpec();
                Container container = rendering.container(name);
                long preStop = 0;
                if (container.getLifecycle() != null && container.getLifecycle().getPreStop() != null) {
                    assertNotNull(container.getLifecycle().getPreStop().getSleep(), rendering + ": " + name
                        + " preStop is the sleep action (Kubernetes >= 1.30): it needs no sleep binary in the image");
                    preStop = container.getLifecycle().getPreStop().getSleep().getSeconds();
                }
                boolean behindAService = Contract.SERVICE_TYPES.containsKey(name);
                assertEquals(behindAService, preStop > 0,
                    rendering + ": " + name + (behindAService ? " keeps serving while its endpoint is removed (preStop)" : " needs no preStop"));
                long grace = Objects.requireNonNullElse(pod.getTerminationGracePeriodSeconds(), 30L);
                assertTrue(grace >= preStop + gracefulStop + STOP_MARGIN_SECONDS, rendering + ": " + name
                    + " terminationGracePeriodSeconds " + grace + " < preStop " + preStop + " + graceful stop " + gracefulStop
                    + " + a margin of " + STOP_MARGIN_SECONDS + " s, so that SIGKILL never races the exit");
            }
        }
    }

    @Test
    void scrapeAnnotationsPointAtTheMetricsEndpoint() {
        for (Rendering rendering : Rendering.all()) {
            for (Deployment deployment : rendering.all(Deployment.class)) {
                String name = deployment.getMetadata().getName();
                Map<String, String> annotations = Objects.requireNonNullElse(deployment.getSpec().getTemplate().getMetadata().getAnnotations(), Map.of());
                if (!Contract.SERVICES.contains(name)) {
                    assertFalse(annotations.containsKey("prometheus.io/scrape"), rendering + ": " + name + " is not scraped as part of the app");
                    continue;
                }
                assertEquals("true", annotations.get("prometheus.io/scrape"), rendering + ": " + name);
                assertEquals(Contract.METRICS_PATH, annotations.get("prometheus.io/path"), rendering + ": " + name);
                assertEquals(String.valueOf(Contract.PORT), annotations.get("prometheus.io/port"), rendering + ": " + name);
                assertTrue(deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getPorts().stream()
                    .anyMatch(p -> p.getContainerPort() == Contract.PORT), rendering + ": " + name + " declares the metrics port");
            }
        }
        for (String name : InProcess.startable()) {
            try (InProcess running = InProcess.start(name, env(Rendering.base().container(name)))) {
                assertTrue(running.body(Contract.METRICS_PATH).contains("# TYPE "), name + " serves Prometheus metrics on " + Contract.METRICS_PATH);
            }
        }
        InProcess.pending();
    }

    @Test
    void imagesArePinnedAndTheSameAsComposeBuilds() {
        for (Rendering rendering : Rendering.all()) {
            for (Deployment deployment : rendering.all(Deployment.class)) {
                for (Container container : deployment.getSpec().getTemplate().getSpec().getContainers()) {
                    ComposeTest.assertPinned(rendering + ": " + container.getName(), container.getImage());
                    assertTrue(container.getImagePullPolicy() == null || container.getImagePullPolicy().equals("IfNotPresent"),
                        rendering + ": " + container.getName() + " images loaded into kind/minikube are used as they are");
                }
            }
            for (String name : APP) {
                assertEquals(ComposeTest.image(name), rendering.container(name).getImage(), rendering + ": " + name + " image");
            }
            for (String name : List.of("prometheus", "grafana")) {
                rendering.find(Deployment.class, name).ifPresent(d ->
                    assertEquals(ComposeTest.image(name), rendering.container(name).getImage(), rendering + ": " + name + " image"));
            }
        }
    }

    @Test
    void nothingOverridesKubectlScale() {
        for (Rendering rendering : Rendering.all()) {
            for (Deployment deployment : rendering.all(Deployment.class)) {
                assertNull(deployment.getSpec().getReplicas(), rendering + ": " + deployment.getMetadata().getName()
                    + " sets replicas, so applying the manifests again would undo `kubectl scale`");
            }
            assertTrue(rendering.objects().stream().noneMatch(o -> o.getKind().contains("Autoscaler")), rendering + " has an autoscaler");
        }
    }

    @Test
    void redisIsRecreatedNeverRolledSoNoTwoRedisesSplitTheCounts() {
        for (Rendering rendering : Rendering.all()) {
            Deployment redis = rendering.deployment("redis");
            assertEquals("Recreate", redis.getSpec().getStrategy() == null ? null : redis.getSpec().getStrategy().getType(),
                rendering + ": redis keeps the counts in its pod, so a second Redis must never run beside it");
        }
    }

    // ---- helpers ----

    /**
     * The environment the code sees, as Kubernetes makes it: $(NAME) of an earlier variable expanded, a Secret's
     * value standing as "secret", and variables set only to be part of another one or of the args left out.
     */
    static Map<String, String> env(Container container) {
        Map<String, String> env = new LinkedHashMap<>();
        Set<String> parts = new TreeSet<>();
        Pattern reference = Pattern.compile("\\$\\((\\w+)\\)");
        for (EnvVar var : container.getEnv() == null ? List.<EnvVar>of() : container.getEnv()) {
            String value = var.getValue();
            if (var.getValueFrom() != null) {
                assertNotNull(var.getValueFrom().getSecretKeyRef(), container.getName() + " " + var.getName()
                    + ": a plain value or a Secret's");
                value = "secret";
            }
            Matcher part = reference.matcher(value);
            while (part.find()) {
                assertTrue(env.containsKey(part.group(1)), container.getName() + " " + var.getName() + " uses $("
                    + part.group(1) + "), which must be set before it");
                parts.add(part.group(1));
                value = value.replace(part.group(), env.get(part.group(1)));
            }
            assertNull(env.put(var.getName(), value), container.getName() + " sets " + var.getName() + " twice");
        }
        for (String arg : container.getArgs() == null ? List.<String>of() : container.getArgs()) {
            Matcher part = reference.matcher(arg);
            while (part.find()) {
                parts.add(part.group(1));
            }
        }
        parts.forEach(env::remove);
        return env;
    }

    private static BigDecimal bytes(Quantity quantity) {
        return Quantity.getAmountInBytes(quantity);
    }

    private static String key(JsonNode object) {
        return object.path("kind").asText() + "/" + object.path("metadata").path("name").asText();
    }

    private static Set<String> names(List<? extends HasMetadata> objects) {
        return objects.stream().map(o -> o.getMetadata().getName()).collect(Collectors.toCollection(TreeSet::new));
    }

    private static Set<String> union(Collection<String> a, Collection<String> b) {
        Set<String> union = new TreeSet<>(a);
        union.addAll(b);
        return union;
    }
}
