package dockercoins.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** One way of applying the manifests (the base, an overlay, the base with components): its objects. */
record Rendering(String name, List<String> components, List<HasMetadata> objects) {

    /** The components a rendering may combine, and what users apply. */
    static final List<String> COMPONENTS = List.of("network-policies", "monitoring", "prometheus-operator", "workshop",
        "redis-auth");
    static final List<String> ENTRY_POINTS = List.of("manifests", "manifests/overlays/workshop", "manifests/overlays/locked-down");

    private static List<Rendering> all;

    /** The base as rendered by hand: checked even where no kustomize is installed. */
    static Rendering base() {
        List<HasMetadata> objects = new ArrayList<>();
        for (JsonNode object : Kustomize.renderSimple(Repo.path("manifests/base"))) {
            objects.add(KubernetesModel.read(object, "manifests/base (rendered by hand)"));
        }
        return new Rendering("manifests/base (rendered by hand)", List.of(), objects);
    }

    /**
     * Every rendering: the base by hand, then by kustomize every entry point, the base with each
     * component alone, and with all of them. Without kustomize, the base only (said loudly; CI fails).
     */
    static synchronized List<Rendering> all() {
        if (all == null) {
            List<Rendering> renderings = new ArrayList<>(List.of(base()));
            if (kustomizeAvailable()) {
                for (String entry : ENTRY_POINTS) {
                    renderings.add(rendered(entry, Repo.path(entry), componentsOf(Repo.path(entry))));
                }
                try {
                    Path temp = Files.createTempDirectory("dockercoins-overlays");
                    for (String component : COMPONENTS) {
                        renderings.add(rendered("base + " + component, Kustomize.overlay(temp, component, List.of(component)),
                            List.of(component)));
                    }
                    renderings.add(rendered("base + every component", Kustomize.overlay(temp, "all", COMPONENTS), COMPONENTS));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            all = List.copyOf(renderings);
        }
        return all;
    }

    static Rendering named(String name) {
        return all().stream().filter(r -> r.name().equals(name)).findFirst()
            .orElseThrow(() -> new AssertionError("no rendering " + name));
    }

    /** Renderings that include a component (kustomize needed: skipped loudly without it). */
    static List<Rendering> with(String component) {
        Kustomize.render(Repo.path("manifests"));  // aborts (or fails under CI) when kustomize is missing
        List<Rendering> with = all().stream().filter(r -> r.components().contains(component)).toList();
        assertTrue(with.size() >= 2, "component " + component + " is rendered alone and with the others");
        return with;
    }

    private static Rendering rendered(String name, Path dir, List<String> components) {
        return new Rendering(name, components, KubernetesModel.read(Kustomize.render(dir), name + " (kustomize)"));
    }

    private static List<String> componentsOf(Path dir) {
        List<String> components = new ArrayList<>();
        Repo.yaml(Kustomize.fileIn(dir)).path("components").forEach(c -> components.add(Path.of(c.asText()).getFileName().toString()));
        return components;
    }

    private static boolean kustomizeAvailable() {
        try {
            Kustomize.render(Repo.path("manifests"));
            return true;
        } catch (org.opentest4j.TestAbortedException missing) {
            return false;
        }
    }

    // ---- what tests ask of a rendering ----

    <T extends HasMetadata> List<T> all(Class<T> kind) {
        return objects.stream().filter(kind::isInstance).map(kind::cast).toList();
    }

    <T extends HasMetadata> Optional<T> find(Class<T> kind, String name) {
        return all(kind).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst();
    }

    <T extends HasMetadata> T get(Class<T> kind, String name) {
        return find(kind, name).orElseThrow(() -> new AssertionError(this.name + " has no " + kind.getSimpleName() + " " + name));
    }

    Deployment deployment(String name) {
        return get(Deployment.class, name);
    }

    /** The one container of a DockerCoins pod, named after its Deployment. */
    Container container(String deployment) {
        List<Container> containers = deployment(deployment).getSpec().getTemplate().getSpec().getContainers();
        assertEquals(1, containers.size(), this.name + ": " + deployment + " runs one container");
        assertEquals(deployment, containers.get(0).getName(), this.name + ": the container is named after its Deployment, as `kubectl create deployment` does");
        return containers.get(0);
    }

    /** The pod templates whose labels a selector matches. */
    List<PodTemplateSpec> podsSelectedBy(LabelSelector selector) {
        return all(Deployment.class).stream().map(d -> d.getSpec().getTemplate())
            .filter(t -> matches(selector, t.getMetadata().getLabels())).toList();
    }

    @Override
    public String toString() {
        return name;
    }

    // ---- Kubernetes semantics the tests need ----

    static boolean matches(LabelSelector selector, Map<String, String> labels) {
        Map<String, String> actual = labels == null ? Map.of() : labels;
        if (selector == null) {
            return false;
        }
        if (selector.getMatchLabels() != null) {
            for (Map.Entry<String, String> required : selector.getMatchLabels().entrySet()) {
                if (!required.getValue().equals(actual.get(required.getKey()))) {
                    return false;
                }
            }
        }
        if (selector.getMatchExpressions() != null) {
            for (LabelSelectorRequirement requirement : selector.getMatchExpressions()) {
                String value = actual.get(requirement.getKey());
                boolean ok = switch (requirement.getOperator()) {
                    case "In" -> value != null && requirement.getValues().contains(value);
                    case "NotIn" -> value == null || !requirement.getValues().contains(value);
                    case "Exists" -> value != null;
                    case "DoesNotExist" -> value == null;
                    default -> throw new AssertionError("unknown selector operator " + requirement.getOperator());
                };
                if (!ok) {
                    return false;
                }
            }
        }
        return true;
    }

    static boolean matches(Map<String, String> selector, Map<String, String> labels) {
        return selector != null && !selector.isEmpty() && labels != null && labels.entrySet().containsAll(selector.entrySet());
    }

    /** The container port a probe, Service or policy port means: by name or by number. */
    static Optional<ContainerPort> resolve(IntOrString port, PodTemplateSpec pod) {
        Stream<ContainerPort> ports = pod.getSpec().getContainers().stream()
            .flatMap(c -> c.getPorts() == null ? Stream.empty() : c.getPorts().stream());
        if (port == null) {
            fail("a port is missing");
        }
        if (port.getStrVal() != null) {
            return ports.filter(p -> port.getStrVal().equals(p.getName())).findFirst();
        }
        return ports.filter(p -> port.getIntVal().equals(p.getContainerPort())).findFirst();
    }
}
