package dockercoins.deploy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.*;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.*;
import org.junit.jupiter.api.Test;

import java.io.*;
import java.math.BigDecimal;
import java.nio.file.*;
import java.util.*;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** The Kubernetes manifests, as kustomize renders every entry point and component (@Rendering.Each): vs the code. */
class ManifestsTest {

    private static final String PART_OF = "app.kubernetes.io/part-of";
    /** Pod Security "restricted", for every container: exactly this, so nothing loosens it. */
    private static final JsonNode RESTRICTED = Repo.yamlDocuments(
        "{allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}", "").get(0);

    /** kubercoins: `kubectl apply -f dockercoins.yaml` applies exactly what `kubectl apply -k manifests/base` does. */
    @Test
    void everyManifestIsNamedByItsKustomizationDockercoinsYamlIsTheBaseAndADaemonSetFitsBehindRng() throws IOException {
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
        assertEquals(Repo.tool("kubectl", "kustomize", Repo.path("manifests/base").toString()),
            Repo.read("dockercoins.yaml"), "dockercoins.yaml is stale: regenerate it with `kubectl kustomize "
            + "manifests/base > dockercoins.yaml`");
        // `kubectl create deployment rng --image=… --dry-run=client -o yaml` made a DaemonSet: behind Service rng.
        JsonNode pod = Repo.yamlDocuments(Repo.tool("kubectl", "create", "deployment", "rng", "--image="
            + Contract.IMAGE_REPOSITORY + "rng:1.0.0", "--dry-run=client", "-o", "yaml"), "kubectl create")
            .get(0).path("spec").path("template");
        Map<String, String> labels = Repo.YAML.convertValue(pod.at("/metadata/labels"), new TypeReference<>() { });
        assertTrue(pod.path("spec").path("containers").get(0).path("ports").isMissingNode(), "no named port: " + pod);
        Service rng = Rendering.all().get(0).get(Service.class, "rng");
        assertTrue(Rendering.matches(rng.getSpec().getSelector(), labels), "Service rng selects the DaemonSet's pods");
    }

    /** Numeric targetPorts: the DaemonSet chapter's pods, made by `kubectl create deployment`, name no port. */
    @Rendering.Each
    void deploymentsScaleFreelyAndServicesAreTheContractOnesSelectingTheirPodsByAppAndPortNumber(Rendering rendering) {
        Set<String> deployments = new TreeSet<>(Contract.APP);
        Set<String> services = new TreeSet<>(Contract.SERVICE_TYPES.keySet());
        if (rendering.components().contains("monitoring")) {
            deployments.addAll(Contract.MONITORING);
            services.addAll(Contract.MONITORING);
        }
        assertEquals(deployments, new TreeSet<>(rendering.all(Deployment.class).stream().map(d -> d.getMetadata()
            .getName()).toList()));
        rendering.all(Deployment.class).forEach(d -> assertNull(d.getSpec().getReplicas(), d.getMetadata().getName()
            + " sets replicas, so applying the manifests again would undo `kubectl scale`"));
        assertTrue(rendering.objects().stream().noneMatch(o -> o.getKind().contains("Autoscaler")));
        // Redis keeps the counts in its pod: a second Redis beside it would split them.
        assertEquals("Recreate", rendering.get(Deployment.class, "redis").getSpec().getStrategy().getType());
        assertEquals(services, new TreeSet<>(rendering.all(Service.class).stream().map(d -> d.getMetadata()
            .getName()).toList()), "worker has no Service");
        for (Service service : rendering.all(Service.class)) {
            String name = service.getMetadata().getName();
            var spec = service.getSpec();
            assertEquals(Map.of("app", name), spec.getSelector(), "Service " + name);
            assertEquals(List.of(name), rendering.all(Deployment.class).stream().filter(d -> Rendering.matches(
                spec.getSelector(), d.getSpec().getTemplate().getMetadata().getLabels()))
                .map(d -> d.getMetadata().getName()).toList(), "Service " + name + " selects its pods");
            assertEquals(1, spec.getPorts().size(), "Service " + name + " has one port");
            ServicePort port = spec.getPorts().get(0);
            ContainerPort target = Rendering.resolve(port.getTargetPort(), rendering.pod(name))
                .orElseThrow(() -> new AssertionError("Service " + name + " targets no container port"));
            if (Contract.APP.contains(name)) {
                assertEquals(Contract.SERVICE_TYPES.get(name), spec.getType(), "Service " + name + " type");
                assertEquals(Contract.containerPort(name), port.getPort(), "Service " + name);
                assertEquals(Contract.containerPort(name), target.getContainerPort(), "Service " + name);
                assertNull(port.getNodePort(), "Service " + name + ": the cluster picks the NodePort");
            }
            if (Contract.SERVICES.contains(name)) {
                assertEquals(Contract.PORT, port.getTargetPort().getIntVal(), "Service " + name + " by number");
            }
        }
    }

    @Rendering.Each
    void eachServiceGetsWhatTheCodeReadsAndRedisItsPasswordProbesAskWhatItServesWithTimeToStop(Rendering rendering) {
        for (String name : Contract.SERVICES) {
            Container container = rendering.container(name);
            assertHttpProbe(rendering, name, container.getStartupProbe(), Contract.READINESS_PATH);
            assertHttpProbe(rendering, name, container.getReadinessProbe(), Contract.READINESS_PATH);
            // Liveness never depends on another service: /healthz only checks the process itself.
            assertHttpProbe(rendering, name, container.getLivenessProbe(), Contract.LIVENESS_PATH);
            Map<String, String> env = Rendering.env(container);
            assertEquals(String.valueOf(Contract.PORT), env.get("PORT"), name);
            Contract.assertRunsWith(rendering.name(), name, env,
                target -> rendering.get(Service.class, target).getSpec().getPorts().get(0).getPort());
            // An exec of the image's sleep, not the sleep action (1.29+): the cluster test runs the pods on 1.20.
            long preStop = container.getLifecycle() == null ? 0 : preStopSleepSeconds(name, container);
            boolean behindAService = Contract.SERVICE_TYPES.containsKey(name);
            assertEquals(behindAService, preStop > 0, name + (behindAService
                ? " keeps serving while its endpoint is removed (preStop)" : " needs no preStop"));
            Long grace = rendering.pod(name).getSpec().getTerminationGracePeriodSeconds();
            assertTrue((grace == null ? 30 : grace) >= preStop + Contract.STOP.toSeconds(), name + " grace " + grace
                + " s < preStop + graceful stop + 5 s margin, so SIGKILL could race the exit");
        }
        Container redis = rendering.container("redis");
        assertTrue(Rendering.env(redis).isEmpty(), "redis takes no variables");
        assertEquals(List.of("redis-cli", "ping"), redis.getReadinessProbe().getExec().getCommand());
        assertEquals(Contract.REDIS_PORT, Rendering.resolve(redis.getLivenessProbe().getTcpSocket().getPort(),
            rendering.pod("redis")).orElseThrow().getContainerPort(), "redis liveness");
        // The workshop component serves one rng request at a time.
        assertEquals(rendering.components().contains("workshop") ? "1" : null,
            Rendering.env(rendering.container("rng")).get("RNG_CONCURRENCY"));
        // components/redis-auth (in locked-down): Redis requires the Secret's password, worker and webui send it.
        assertTrue(Rendering.with("redis-auth").stream().anyMatch(r -> r.name().contains("locked-down")));
        if (rendering.components().contains("redis-auth")) {
            assertRedisPassword(rendering);
        }
    }

    private static long preStopSleepSeconds(String name, Container container) {
        ExecAction exec = container.getLifecycle().getPreStop().getExec();
        assertNotNull(exec, name + ": preStop is an exec of sleep");
        List<String> command = exec.getCommand();
        assertEquals(2, command.size(), name + ": preStop " + command);
        assertEquals("sleep", command.get(0), name + ": preStop " + command);
        return Long.parseLong(command.get(1));
    }

    private static void assertHttpProbe(Rendering rendering, String name, Probe probe, String path) {
        String where = name + " probe on " + path;
        assertNotNull(probe, where);
        assertEquals(path, probe.getHttpGet().getPath(), where);
        assertEquals(Contract.PORT, Rendering.resolve(probe.getHttpGet().getPort(), rendering.pod(name))
            .orElseThrow(() -> new AssertionError(where + ": no such container port")).getContainerPort(), where);
    }

    /** The Secret whose key "password" Redis requires, and worker and webui send in REDIS_URL: its name. */
    static String assertRedisPassword(Rendering rendering) {
        Container redis = rendering.container("redis");
        String secret = secretOf(redis, "REDISCLI_AUTH");
        assertTrue(String.join(" ", redis.getArgs()).endsWith("--requirepass $(REDISCLI_AUTH)"), rendering.name());
        for (String client : List.of("worker", "webui")) {
            Container container = rendering.container(client);
            assertEquals(secret, secretOf(container, "REDIS_PASSWORD"), rendering + ": " + client);
            // Kubernetes expands $(REDIS_PASSWORD) in REDIS_URL, whose password the code honours on every connection.
            assertEquals("redis://:$(REDIS_PASSWORD)@redis:6379", container.getEnv().stream().filter(v -> v.getName()
                .equals("REDIS_URL")).findFirst().orElseThrow().getValue(), rendering + ": " + client);
            assertEquals("redis://:secret@redis:" + Contract.REDIS_PORT, Rendering.env(container).get("REDIS_URL"),
                rendering + ": " + client + " sends the Secret's password");
        }
        return secret;
    }

    private static String secretOf(Container container, String variable) {
        EnvVar var = container.getEnv().stream().filter(v -> v.getName().equals(variable)).findFirst()
            .orElseThrow(() -> new AssertionError(container.getName() + " has no " + variable));
        assertEquals("password", var.getValueFrom().getSecretKeyRef().getKey());
        return var.getValueFrom().getSecretKeyRef().getName();
    }

    @Rendering.Each
    void everyPodRunsComposesImageLabelledRestrictedAndBoundedAndOnlyPrometheusGetsAToken(Rendering rendering) {
        String imageUser = Repo.all("(?m)^USER (\\S+)", Repo.read("Dockerfile")).get(0);
        BigDecimal outsideHeap = BigDecimal.valueOf(1 - ImagesTest.maxRamFraction());
        for (HasMetadata object : rendering.objects()) {
            assertEquals("dockercoins", Objects.requireNonNullElse(object.getMetadata().getLabels(), Map.of())
                .get(PART_OF), object.getKind() + " " + object.getMetadata().getName());
        }
        // kustomize chapter: `kustomize edit set image` needs the images listed, under the names the pods use.
        List<String> listed = Repo.yaml("manifests/base/kustomization.yaml").path("images").findValuesAsText("name");
        for (Deployment deployment : rendering.all(Deployment.class)) {
            String name = deployment.getMetadata().getName();
            Container container = rendering.container(name);
            assertTrue(container.getReadinessProbe() != null && container.getLivenessProbe() != null, name + " probes");
            String image = container.getImage();
            assertTrue(Set.of("IfNotPresent", "").contains(Objects.toString(container.getImagePullPolicy(), "")),
                name + ": images loaded into kind/minikube are used as they are");
            assertEquals(ComposeTest.image(name), image, name + " image, as compose.yaml's");
            if (Contract.APP.contains(name)) {
                assertTrue(listed.contains(image.substring(0, image.lastIndexOf(':'))), name + " listed: " + listed);
                ComposeTest.assertPinned(name, image);
            }
            LabelSelector selector = deployment.getSpec().getSelector();
            assertEquals(Map.of("app", name), selector.getMatchLabels(),
                name + " selects app=" + name + " only (as `kubectl create deployment` does)");
            assertTrue(selector.getMatchExpressions().isEmpty(), name);
            Map<String, String> labels = deployment.getSpec().getTemplate().getMetadata().getLabels();
            assertEquals(Map.of("app", name, "app.kubernetes.io/name", name, PART_OF, "dockercoins"), labels, name);
            assertEquals(name, deployment.getMetadata().getLabels().get("app.kubernetes.io/name"), name);
            // The path and port are what every service serves (see eachServiceGetsWhatTheCodeReads…).
            Map<String, String> scrape = !Contract.SERVICES.contains(name) ? Map.of() : Map.of(
                "prometheus.io/scrape", "true", "prometheus.io/path", Contract.METRICS_PATH,
                "prometheus.io/port", String.valueOf(Contract.PORT));
            assertEquals(scrape, Objects.requireNonNullElse(deployment.getSpec().getTemplate().getMetadata()
                .getAnnotations(), Map.of()), name + " scrape annotations");
            PodSpec pod = deployment.getSpec().getTemplate().getSpec();
            PodSecurityContext context = pod.getSecurityContext();
            assertEquals(Boolean.TRUE, context.getRunAsNonRoot(), name + " runAsNonRoot");
            assertTrue(context.getRunAsUser() != null && context.getRunAsUser() > 0, name + " runAsUser");
            assertEquals("RuntimeDefault", context.getSeccompProfile().getType(), name + " seccomp");
            assertFalse(Boolean.TRUE.equals(pod.getHostNetwork()) || Boolean.TRUE.equals(pod.getHostPID())
                || Boolean.TRUE.equals(pod.getHostIPC()), name + " shares no host namespace");
            context.getSysctls().forEach(s -> assertEquals("net.ipv4.ip_unprivileged_port_start", s.getName(),
                name + ": only sysctls of Pod Security's safe set"));
            pod.getVolumes().forEach(v -> assertTrue(v.getEmptyDir() != null || v.getConfigMap() != null
                || v.getSecret() != null, name + " volume " + v.getName() + " is a restricted type"));
            assertTrue(pod.getInitContainers().isEmpty(), name + " has no init containers");
            for (Container each : pod.getContainers()) {
                assertEquals(RESTRICTED, Repo.YAML.valueToTree(each.getSecurityContext()), name);
                each.getPorts().forEach(p -> assertNull(p.getHostPort(), name + " uses no hostPort"));
            }
            if (Contract.SERVICES.contains(name)) {
                assertEquals(imageUser, context.getRunAsUser() + ":" + context.getRunAsGroup(), name + " USER");
                assertTrue(context.getSysctls().stream().anyMatch(s -> s.getValue().equals("0")),
                    name + " may bind port 80 as its non-root user");
                // The JVM and Netty write to /tmp; the root filesystem is read-only.
                String tmp = container.getVolumeMounts().stream()
                    .filter(m -> m.getMountPath().equals("/tmp")).findFirst().orElseThrow().getName();
                assertTrue(pod.getVolumes().stream().anyMatch(v -> v.getName().equals(tmp) && v.getEmptyDir() != null),
                    name + " /tmp is an emptyDir");
            }
            ResourceRequirements resources = container.getResources();
            for (String resource : List.of("cpu", "memory")) {
                Quantity request = resources.getRequests().get(resource);
                Quantity limit = resources.getLimits().get(resource);
                assertTrue(request != null && limit != null, name + " " + resource + " request, limit");
                assertTrue(Quantity.getAmountInBytes(limit).compareTo(Quantity.getAmountInBytes(request)) >= 0, name);
            }
            BigDecimal memory = Quantity.getAmountInBytes(resources.getLimits().get("memory"));
            assertTrue(!Contract.SERVICES.contains(name) || memory.multiply(outsideHeap).compareTo(BigDecimal
                .valueOf(96L << 20)) >= 0, name + " memory limit " + memory + " leaves less than 96 MiB outside a "
                + "heap of MaxRAMPercentage (metaspace, code, threads, direct buffers)");
            if (name.equals("prometheus")) {
                assertEquals("prometheus", pod.getServiceAccountName(), "Prometheus' ServiceAccount");
            } else {
                assertEquals(Boolean.FALSE, pod.getAutomountServiceAccountToken(), name + " needs no API token");
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
