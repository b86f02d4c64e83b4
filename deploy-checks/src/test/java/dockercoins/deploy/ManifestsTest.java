package dockercoins.deploy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.*;
import io.fabric8.kubernetes.api.model.apps.*;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.*;
import org.junit.jupiter.api.Test;

import java.io.*;
import java.math.BigDecimal;
import java.nio.file.*;
import java.util.*;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;
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
    void theKustomizeChaptersRegistryRewriteAsDocumentedGivesTheMirrorsNames() {
        // docs/workshop.md, "Kustomize": the chapter's replacements, in the form that fits our two-part names.
        String rendered = Repo.tool("kubectl", "kustomize", Repo.path("docs/registry-mirror").toString());
        List<String> images = Repo.all("(?m)^\\s+image: (\\S+)$", rendered);
        List<String> expected = new ArrayList<>();
        for (String service : new TreeSet<>(Contract.SERVICES)) {
            expected.add("registry.example.com/you/" + service + ":1.0.0");
        }
        expected.add(ComposeTest.image("redis"));
        assertEquals(new TreeSet<>(expected), new TreeSet<>(images), rendered);
        assertTrue(Repo.read("docs/workshop.md").contains("docs/registry-mirror"), "the workshop page points to it");
    }

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

    /** components/namespace-limits: added up from the rendered requests and limits, as the quota counts them. */
    @Test
    void theWorkshopQuotaFitsTenWorkersWithARolloutsSurgeAndRefusesFiftyAndEveryContainerFitsTheLimitRange() {
        for (Rendering rendering : Rendering.with("namespace-limits")) {
            ResourceQuota quota = rendering.get(ResourceQuota.class, "workshop");
            IntPredicate fits = workers -> quota.getSpec().getHard().entrySet().stream().allMatch(hard -> {
                BigDecimal used = BigDecimal.ZERO;
                for (var workload : rendering.pods().entrySet()) {
                    int pods = workload.getKey().equals("Deployment/worker") ? workers : 1;
                    String[] resource = hard.getKey().split("\\.");
                    Container container = workload.getValue().getSpec().getContainers().get(0);
                    Quantity each = resource.length == 1 ? new Quantity("1") : (resource[0].equals("requests")
                        ? container.getResources().getRequests() : container.getResources().getLimits()).get(resource[1]);
                    used = used.add(Quantity.getAmountInBytes(each).multiply(BigDecimal.valueOf(pods)));
                }
                return used.compareTo(Quantity.getAmountInBytes(hard.getValue())) <= 0;
            });
            // 10 workers and the 3 more pods (maxSurge 25 %) of their rolling update; namespace-limits.yaml says 22.
            assertTrue(fits.test(10 + 3), rendering + ": 10 workers fit, during a rollout too");
            assertTrue(!rendering.name().endsWith("overlays/workshop")
                || IntStream.range(1, 100).filter(fits).max().orElseThrow() == 22, rendering + ": 22 workers fit");
            assertFalse(fits.test(50), rendering + ": 50 workers are refused");
            LimitRangeItem limits = rendering.get(LimitRange.class, "workshop").getSpec().getLimits().get(0);
            for (var workload : rendering.pods().entrySet()) {
                Map<String, Quantity> limit = workload.getValue().getSpec().getContainers().get(0).getResources()
                    .getLimits();
                limits.getMax().forEach((resource, max) -> assertTrue(Quantity.getAmountInBytes(limit.get(resource))
                    .compareTo(Quantity.getAmountInBytes(max)) <= 0, workload.getKey() + " " + resource + " fits"));
            }
        }
    }

    /** Numeric targetPorts: the DaemonSet chapter's pods, made by `kubectl create deployment`, name no port. */
    @Rendering.Each
    void deploymentsScaleFreelyAndServicesAreTheContractOnesSelectingTheirPodsByAppAndPortNumber(Rendering rendering) {
        Set<String> workloads = new TreeSet<>(Contract.APP.stream().map(a -> "Deployment/" + a).toList());
        Set<String> services = new TreeSet<>(Contract.SERVICE_TYPES.keySet());
        if (rendering.components().contains("monitoring")) {
            Contract.MONITORING.forEach(m -> workloads.add("Deployment/" + m));
            services.addAll(Contract.MONITORING);
        }
        boolean persistent = rendering.components().contains("persistent-redis");
        if (persistent) {
            workloads.remove("Deployment/redis");
            workloads.add("StatefulSet/redis");
            services.add("redis-headless");
        }
        if (rendering.components().contains("canary")) {
            workloads.add("Deployment/worker-canary");
        }
        if (rendering.components().contains("audit")) {
            workloads.addAll(List.of("Job/audit", "CronJob/audit"));
        }
        assertEquals(workloads, rendering.pods().keySet());
        rendering.all(Deployment.class).forEach(d -> assertNull(d.getSpec().getReplicas(), d.getMetadata().getName()
            + " sets replicas, so applying the manifests again would undo `kubectl scale`"));
        assertEquals(rendering.components().contains("autoscaling") ? List.of("worker") : List.of(),
            rendering.all(HorizontalPodAutoscaler.class).stream().map(h -> h.getSpec().getScaleTargetRef().getName())
                .toList(), "the HPA scales the worker");
        for (HorizontalPodAutoscaler hpa : rendering.all(HorizontalPodAutoscaler.class)) {
            assertEquals("Deployment", hpa.getSpec().getScaleTargetRef().getKind());
            assertEquals("cpu", hpa.getSpec().getMetrics().get(0).getResource().getName());
            assertNotNull(rendering.container("worker").getResources().getRequests().get("cpu"),
                "a CPU utilization target is a share of the CPU request");
        }
        if (persistent) {
            // Append-only, each report fsynced before Redis acknowledges it; /data on the claim, not the pod.
            StatefulSet redis = rendering.get(StatefulSet.class, "redis");
            String args = String.join(" ", rendering.container("redis").getArgs());
            assertTrue(args.startsWith("--appendonly yes --appendfsync always "), args);
            assertEquals("redis-headless", redis.getSpec().getServiceName());
            assertEquals("None", rendering.get(Service.class, "redis-headless").getSpec().getClusterIP());
            assertEquals("data", redis.getSpec().getVolumeClaimTemplates().get(0).getMetadata().getName());
            assertTrue(rendering.pod("redis").getSpec().getVolumes().isEmpty(), "no emptyDir left");
            assertEquals("data", rendering.container("redis").getVolumeMounts().stream()
                .filter(m -> m.getMountPath().equals("/data")).findFirst().orElseThrow().getName());
        } else {
            // Redis keeps the counts in its pod: a second Redis beside it would split them.
            assertEquals("Recreate", rendering.get(Deployment.class, "redis").getSpec().getStrategy().getType());
        }
        // components/disruption-budgets: one per service that serves others, never blocking a drain of one pod.
        assertEquals(rendering.components().contains("disruption-budgets") ? Set.of("webui", "rng", "hasher")
            : Set.of(), new HashSet<>(rendering.all(PodDisruptionBudget.class).stream().map(b -> {
                assertEquals(1, b.getSpec().getMaxUnavailable().getIntVal(), b.getMetadata().getName());
                assertEquals(List.of(rendering.pod(b.getMetadata().getName())),
                    rendering.podsSelectedBy(b.getSpec().getSelector()), b.getMetadata().getName() + " selects its pods");
                return b.getMetadata().getName();
            }).toList()));
        for (Ingress ingress : rendering.all(Ingress.class)) {
            var backend = ingress.getSpec().getRules().get(0).getHttp().getPaths().get(0).getBackend().getService();
            assertEquals("webui/" + Contract.PORT, backend.getName() + "/" + backend.getPort().getNumber());
            assertNotNull(ingress.getSpec().getIngressClassName(), "an ingress class: the cluster's may not be default");
        }
        assertEquals(services, new TreeSet<>(rendering.all(Service.class).stream().map(d -> d.getMetadata()
            .getName()).toList()), "worker has no Service");
        for (Service service : rendering.all(Service.class)) {
            String name = service.getMetadata().getName();
            var spec = service.getSpec();
            String app = name.replace("-headless", "");
            assertEquals(Map.of("app", app), spec.getSelector(), "Service " + name);
            assertEquals(List.of(rendering.pod(app)), rendering.podsSelectedBy(new LabelSelectorBuilder()
                .withMatchLabels(spec.getSelector()).build()),
                "Service " + name + " selects its pods");
            assertEquals(1, spec.getPorts().size(), "Service " + name + " has one port");
            ServicePort port = spec.getPorts().get(0);
            ContainerPort target = Rendering.resolve(port.getTargetPort(), rendering.pod(app))
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
        List<String> services = new ArrayList<>(Contract.SERVICES);
        if (rendering.components().contains("canary")) {
            services.add("worker-canary");
        }
        for (String name : services) {
            Container container = rendering.container(name);
            assertHttpProbe(rendering, name, container.getStartupProbe(), Contract.READINESS_PATH);
            assertHttpProbe(rendering, name, container.getReadinessProbe(), Contract.READINESS_PATH);
            // Liveness never depends on another service: /healthz only checks the process itself.
            assertHttpProbe(rendering, name, container.getLivenessProbe(), Contract.LIVENESS_PATH);
            Map<String, String> env = rendering.env(container);
            assertEquals(String.valueOf(Contract.PORT), env.get("PORT"), name);
            Contract.assertRunsWith(rendering.name(), name.replace("-canary", ""), env,
                target -> rendering.get(Service.class, target).getSpec().getPorts().get(0).getPort());
            // An exec of the image's sleep, not the sleep action (1.29+): the cluster test runs the pods on 1.20.
            long preStop = container.getLifecycle() == null ? 0 : preStopSleepSeconds(name, container);
            boolean behindAService = rendering.all(Service.class).stream().anyMatch(s -> Rendering.matches(
                s.getSpec().getSelector(), rendering.pod(name).getMetadata().getLabels()));
            assertEquals(behindAService, preStop > 0, name + (behindAService
                ? " keeps serving while its endpoint is removed (preStop)" : " needs no preStop"));
            Long grace = rendering.pod(name).getSpec().getTerminationGracePeriodSeconds();
            assertTrue((grace == null ? 30 : grace) >= preStop + Contract.STOP.toSeconds(), name + " grace " + grace
                + " s < preStop + graceful stop + 5 s margin, so SIGKILL could race the exit");
        }
        if (rendering.components().contains("canary")) {
            assertNotEquals(rendering.env(rendering.container("worker")).get("APP_VERSION"),
                rendering.env(rendering.container("worker-canary")).get("APP_VERSION"), "the canary is another version");
        }
        // components/audit: the worker image's `audit`, with the Redis the workers use.
        for (Job job : rendering.all(Job.class)) {
            Container audit = rendering.only("audit", job.getSpec().getTemplate());
            assertEquals(List.of("audit"), audit.getArgs(), "java ... -jar worker.jar audit");
            assertEquals(rendering.container("worker").getImage(), audit.getImage());
            Contract.assertRunsWith(rendering.name(), "worker", Map.of("REDIS_URL", rendering.env(audit)
                .get("REDIS_URL")), target -> Contract.REDIS_PORT);
            assertEquals(rendering.env(rendering.container("worker")).get("REDIS_URL"), rendering.env(audit)
                .get("REDIS_URL"), "the audit reads the workers' wallet");
        }
        Container redis = rendering.container("redis");
        assertTrue(rendering.env(redis).isEmpty(), "redis takes no variables");
        assertEquals(List.of("redis-cli", "ping"), redis.getReadinessProbe().getExec().getCommand());
        assertEquals(Contract.REDIS_PORT, Rendering.resolve(redis.getLivenessProbe().getTcpSocket().getPort(),
            rendering.pod("redis")).orElseThrow().getContainerPort(), "redis liveness");
        // The workshop component serves one rng request at a time.
        assertEquals(rendering.components().contains("workshop") ? "1" : null,
            rendering.env(rendering.container("rng")).get("RNG_CONCURRENCY"));
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
        Map<String, PodTemplateSpec> clients = new TreeMap<>(rendering.pods());
        clients.keySet().removeIf(workload -> workload.matches(".*/(redis|rng|hasher|prometheus|grafana)"));
        for (var client : clients.entrySet()) {
            Container container = rendering.only(client.getKey().replaceAll(".*/", ""), client.getValue());
            assertEquals(secret, secretOf(container, "REDIS_PASSWORD"), rendering + ": " + client);
            // Kubernetes expands $(REDIS_PASSWORD) in REDIS_URL, whose password the code honours on every connection.
            assertEquals("redis://:$(REDIS_PASSWORD)@redis:6379", container.getEnv().stream().filter(v -> v.getName()
                .equals("REDIS_URL")).findFirst().orElseThrow().getValue(), rendering + ": " + client);
            assertEquals("redis://:secret@redis:" + Contract.REDIS_PORT, rendering.env(container).get("REDIS_URL"),
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
        for (var workload : rendering.pods().entrySet()) {
            String name = workload.getKey().replaceAll(".*/", "");
            // worker-canary and the audit jobs run the worker's image.
            String imageOf = name.equals("audit") ? "worker" : name.replace("-canary", "");
            boolean batch = workload.getKey().contains("Job/");
            Container container = rendering.only(name, workload.getValue());
            assertEquals(!batch, container.getReadinessProbe() != null && container.getLivenessProbe() != null,
                name + " probes (a Job's pod runs to its end: no probes)");
            String image = container.getImage();
            assertTrue(Set.of("IfNotPresent", "").contains(Objects.toString(container.getImagePullPolicy(), "")),
                name + ": images loaded into kind/minikube are used as they are");
            assertEquals(ComposeTest.image(imageOf), image, name + " image, as compose.yaml's");
            if (Contract.APP.contains(name)) {
                assertTrue(listed.contains(image.substring(0, image.lastIndexOf(':'))), name + " listed: " + listed);
                ComposeTest.assertPinned(name, image);
            }
            HasMetadata owner = rendering.objects().stream().filter(o -> workload.getKey().equals(o.getKind() + "/"
                + o.getMetadata().getName())).findFirst().orElseThrow();
            if (owner instanceof Deployment || owner instanceof StatefulSet) {
                LabelSelector selector = owner instanceof Deployment d ? d.getSpec().getSelector()
                    : ((StatefulSet) owner).getSpec().getSelector();
                assertEquals(Map.of("app", name), selector.getMatchLabels(),
                    name + " selects app=" + name + " only (as `kubectl create deployment` does)");
                assertTrue(selector.getMatchExpressions().isEmpty(), name);
            }
            Map<String, String> labels = workload.getValue().getMetadata().getLabels();
            assertEquals(Map.of("app", name, "app.kubernetes.io/name", name, PART_OF, "dockercoins"), labels, name);
            assertEquals(name, owner.getMetadata().getLabels().get("app.kubernetes.io/name"), name);
            // The path and port are what every service serves (see eachServiceGetsWhatTheCodeReads…).
            boolean java = Contract.SERVICES.contains(imageOf);
            Map<String, String> scrape = !java || batch ? Map.of() : Map.of(
                "prometheus.io/scrape", "true", "prometheus.io/path", Contract.METRICS_PATH,
                "prometheus.io/port", String.valueOf(Contract.PORT));
            assertEquals(scrape, Objects.requireNonNullElse(workload.getValue().getMetadata()
                .getAnnotations(), Map.of()), name + " scrape annotations");
            PodSpec pod = workload.getValue().getSpec();
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
            if (java) {
                assertEquals(imageUser, context.getRunAsUser() + ":" + context.getRunAsGroup(), name + " USER");
                assertTrue(batch || context.getSysctls().stream().anyMatch(s -> s.getValue().equals("0")),
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
            assertTrue(!java || memory.multiply(outsideHeap).compareTo(BigDecimal
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
