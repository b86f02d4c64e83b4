package dockercoins.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.*;
import io.fabric8.kubernetes.api.model.apps.*;
import io.fabric8.kubernetes.api.model.batch.v1.*;
import org.junit.jupiter.api.extension.*;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.*;
import java.lang.annotation.*;
import java.lang.reflect.*;
import java.nio.file.*;
import java.util.*;

import static org.junit.jupiter.api.Assertions.*;

/**
 * One way of applying the manifests, rendered by the real tool, read strictly with the fabric8 model: an unknown kind
 * or field (a typo, a wrong indentation, a field of another version) is an error, not ignored.
 */
record Rendering(String name, List<String> components, List<HasMetadata> objects) {

    /** In the order manifests/kustomization.yaml lists them: redis-auth after the ones it gives the password to. */
    static final List<String> COMPONENTS = List.of("network-policies", "monitoring", "prometheus-operator", "workshop",
        "config", "persistent-redis", "ingress", "autoscaling", "canary", "audit", "disruption-budgets",
        "namespace-limits", "redis-auth");
    static final Map<String, List<String>> ENTRY_POINTS = Map.of("manifests", List.of(),
        "manifests/overlays/workshop", List.of("workshop", "monitoring", "namespace-limits"),
        "manifests/overlays/locked-down", List.of("network-policies", "redis-auth", "monitoring"));

    private static List<Rendering> all;

    /** A test run once for each of all(); a failure names the rendering (surefire shows only the run's index). */
    @Target(ElementType.METHOD)
    @Retention(RetentionPolicy.RUNTIME)
    @ParameterizedTest(name = "{0}")
    @MethodSource("dockercoins.deploy.Rendering#all")
    @ExtendWith(Each.Named.class)
    @interface Each {
        final class Named implements TestExecutionExceptionHandler {
            @Override
            public void handleTestExecutionException(ExtensionContext run, Throwable failure) throws Throwable {
                throw failure instanceof AssertionError ? new AssertionError(run.getDisplayName() + ": "
                    + failure.getMessage(), failure) : failure;
            }
        }
    }

    /** Every entry point users apply, the base with each component alone, and with all of them. */
    static synchronized List<Rendering> all() {
        if (all == null) {
            List<Rendering> renderings = new ArrayList<>();
            ENTRY_POINTS.forEach((dir, components) -> renderings.add(kustomize(dir, Repo.path(dir), components)));
            COMPONENTS.forEach(c -> renderings.add(kustomize("base + " + c, overlay("base + " + c, List.of(c)),
                List.of(c))));
            renderings.add(kustomize("base + every component", overlay("every", COMPONENTS), COMPONENTS));
            all = List.copyOf(renderings);
        }
        return all;
    }

    /** Renderings that include a component: alone and with others. */
    static List<Rendering> with(String component) {
        List<Rendering> with = all().stream().filter(r -> r.components().contains(component)).toList();
        assertTrue(with.size() >= 2, component + " is rendered alone and with the others");
        return with;
    }

    /** A throw-away kustomization of the base with some components (kustomize takes relative paths only). */
    static Path overlay(String name, List<String> components) {
        Path dir = Repo.path("deploy-checks/target/kustomizations/" + name.replace(' ', '_'));
        try {
            Files.writeString(Files.createDirectories(dir).resolve("kustomization.yaml"), "resources: ["
                + dir.relativize(Repo.path("manifests/base")) + "]\ncomponents: " + components.stream()
                .map(c -> dir.relativize(Repo.path("manifests/components/" + c))).toList() + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    private static Rendering kustomize(String name, Path dir, List<String> components) {
        return new Rendering(name, components, read(Repo.tool("kubectl", "kustomize", dir.toString()), name));
    }

    static List<HasMetadata> read(String yaml, String origin) {
        List<HasMetadata> objects = new ArrayList<>();
        for (JsonNode document : Repo.yamlDocuments(yaml, origin)) {
            String what = origin + " (" + document.path("kind").asText() + " " + document.at("/metadata/name").asText();
            KubernetesResource resource;
            try {
                resource = Repo.YAML.treeToValue(document, KubernetesResource.class);
            } catch (Exception e) {
                throw new AssertionError(what + ") does not fit the Kubernetes model: " + e.getMessage(), e);
            }
            if (resource instanceof GenericKubernetesResource || !(resource instanceof HasMetadata object)) {
                throw new AssertionError(what + "): not a kind the Kubernetes model knows");
            }
            List<String> unknown = new ArrayList<>();
            collectUnknownFields(object, object.getKind(), unknown);
            assertTrue(unknown.isEmpty(), what + ") has fields the Kubernetes model does not know: " + unknown);
            objects.add(object);
        }
        return objects;
    }

    /** Walks the model's getters; every additionalProperties map found must be empty. */
    private static void collectUnknownFields(Object value, String path, List<String> unknown) {
        if (value instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                collectUnknownFields(item, path + "[" + i++ + "]", unknown);
            }
        } else if (value instanceof Map<?, ?> map) {
            map.forEach((key, item) -> collectUnknownFields(item, path + "." + key, unknown));
        } else if (value != null && value.getClass().getName().startsWith("io.fabric8.")) {
            for (Method getter : value.getClass().getMethods()) {
                if (getter.getParameterCount() > 0 || Modifier.isStatic(getter.getModifiers())
                    || !getter.getName().startsWith("get") || getter.getDeclaringClass() == Object.class) {
                    continue;
                }
                Object field;
                try {
                    field = getter.invoke(value);
                } catch (ReflectiveOperationException e) {
                    continue;  // a computed getter (e.g. Quantity's numerical amount), not a field
                }
                if (getter.getName().equals("getAdditionalProperties")) {
                    ((Map<?, ?>) field).keySet().forEach(key -> unknown.add(path + "." + key));
                } else {
                    collectUnknownFields(field, path + "." + getter.getName().substring(3), unknown);
                }
            }
        }
    }

    <T extends HasMetadata> List<T> all(Class<T> kind) {
        return objects.stream().filter(kind::isInstance).map(kind::cast).toList();
    }

    <T extends HasMetadata> T get(Class<T> kind, String name) {
        return all(kind).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst()
            .orElseThrow(() -> new AssertionError(this.name + " has no " + kind.getSimpleName() + " " + name));
    }

    /** Every pod template, by "Kind/name": Deployments, StatefulSets (components/persistent-redis), Jobs, CronJobs. */
    Map<String, PodTemplateSpec> pods() {
        Map<String, PodTemplateSpec> pods = new TreeMap<>();
        all(Deployment.class).forEach(o -> pods.put("Deployment/" + o.getMetadata().getName(), o.getSpec().getTemplate()));
        all(StatefulSet.class).forEach(o -> pods.put("StatefulSet/" + o.getMetadata().getName(),
            o.getSpec().getTemplate()));
        all(Job.class).forEach(o -> pods.put("Job/" + o.getMetadata().getName(), o.getSpec().getTemplate()));
        all(CronJob.class).forEach(o -> pods.put("CronJob/" + o.getMetadata().getName(),
            o.getSpec().getJobTemplate().getSpec().getTemplate()));
        return pods;
    }

    /** The pods of the Deployment or StatefulSet of that name. */
    PodTemplateSpec pod(String workload) {
        return Optional.ofNullable(pods().get("Deployment/" + workload)).or(() -> Optional.ofNullable(
            pods().get("StatefulSet/" + workload))).orElseThrow(() -> new AssertionError(name + " has no " + workload));
    }

    /** The one container of a DockerCoins pod, named after its Deployment as `kubectl create deployment` does. */
    Container container(String deployment) {
        return only(deployment, pod(deployment));
    }

    Container only(String workload, PodTemplateSpec pod) {
        List<Container> containers = pod.getSpec().getContainers();
        assertEquals(1, containers.size(), name + ": " + workload + " runs one container");
        assertEquals(workload, containers.get(0).getName(), name + ": the container is named after its workload");
        return containers.get(0);
    }

    /**
     * The environment the code sees, as Kubernetes makes it: the ConfigMaps of envFrom (which must be in the
     * rendering), then env over them, $(NAME) of an earlier variable expanded, a Secret's value standing as
     * "secret", and variables set only to be part of another one or of the args left out.
     */
    Map<String, String> env(Container container) {
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvFromSource source : container.getEnvFrom()) {
            env.putAll(get(ConfigMap.class, source.getConfigMapRef().getName()).getData());
        }
        Set<String> parts = new TreeSet<>();
        Set<String> fromConfigMaps = new TreeSet<>(env.keySet());
        for (EnvVar var : container.getEnv()) {
            String value = var.getValue();
            if (var.getValueFrom() != null) {
                assertNotNull(var.getValueFrom().getSecretKeyRef(), container.getName() + " " + var.getName());
                value = "secret";
            }
            for (String part : Repo.all("\\$\\((\\w+)\\)", value)) {
                assertTrue(env.containsKey(part), container.getName() + " " + var.getName() + " uses $(" + part
                    + "), which must be set before it");
                parts.add(part);
                value = value.replace("$(" + part + ")", env.get(part));
            }
            assertTrue(env.put(var.getName(), value) == null || fromConfigMaps.remove(var.getName()),
                container.getName() + " sets " + var.getName() + " twice");
        }
        container.getArgs().forEach(arg -> parts.addAll(Repo.all("\\$\\((\\w+)\\)", arg)));
        parts.forEach(env::remove);
        return env;
    }

    List<PodTemplateSpec> podsSelectedBy(LabelSelector selector) {
        return pods().values().stream()
            .filter(t -> matches(selector, t.getMetadata().getLabels())).toList();
    }

    @Override
    public String toString() {
        return name;
    }

    /** Kubernetes' label selector semantics: every matchLabels pair and every matchExpression holds. */
    static boolean matches(LabelSelector selector, Map<String, String> labels) {
        Map<String, String> actual = Objects.requireNonNullElse(labels, Map.of());
        return selector != null && matches(Objects.requireNonNullElse(selector.getMatchLabels(), Map.of()), actual)
            && selector.getMatchExpressions().stream().allMatch(requirement -> {
                String value = actual.get(requirement.getKey());
                return switch (requirement.getOperator()) {
                    case "In" -> value != null && requirement.getValues().contains(value);
                    case "NotIn" -> value == null || !requirement.getValues().contains(value);
                    case "Exists" -> value != null;
                    case "DoesNotExist" -> value == null;
                    default -> throw new AssertionError("unknown selector operator " + requirement.getOperator());
                };
            });
    }

    static boolean matches(Map<String, String> selector, Map<String, String> labels) {
        return selector != null && labels != null && labels.entrySet().containsAll(selector.entrySet());
    }

    /** The container port a probe, Service or policy port means: by name or by number. */
    static Optional<ContainerPort> resolve(IntOrString port, PodTemplateSpec pod) {
        assertNotNull(port, "a port is missing");
        return pod.getSpec().getContainers().stream().flatMap(c -> c.getPorts().stream())
            .filter(p -> port.getStrVal() != null ? port.getStrVal().equals(p.getName())
                : port.getIntVal().equals(p.getContainerPort())).findFirst();
    }
}
