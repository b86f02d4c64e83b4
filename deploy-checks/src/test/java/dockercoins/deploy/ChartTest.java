package dockercoins.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.*;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import org.junit.jupiter.api.Test;

import java.nio.file.*;
import java.util.*;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * charts/dockercoins renders, for the same choices, exactly the objects kustomize renders (so every check of
 * ManifestsTest, NetworkPoliciesTest and MonitoringTest holds for the chart too); its own values do what they say.
 */
class ChartTest {

    private static final String CHART = Repo.path("charts/dockercoins").toString();
    /** The choices: the chart's values files (charts/dockercoins/ci/) and the kustomizations they match. */
    private static final List<String> CHOICES = List.of("default", "workshop", "locked-down", "monitoring");
    /** A name with the hash suffix kustomize gives the ConfigMaps it generates (the chart keeps plain names). */
    private static final Pattern GENERATED = Pattern.compile("(?m)^  name: (\\S+)(-[2456789bcdfghkmt]{10})$");

    @Test
    void helmLintStrictPassesForEveryChoice() {
        for (String choice : CHOICES) {
            Tools.helm("lint", "--strict", CHART, "-f", values(choice));
        }
    }

    @Test
    void theChartRendersWhatKustomizeRendersForEveryChoice() {
        for (String choice : CHOICES) {
            Path kustomization = switch (choice) {
                case "default" -> Repo.path("manifests");
                case "monitoring" -> Rendering.overlay(choice, List.of("monitoring", "prometheus-operator"));
                default -> Repo.path("manifests/overlays/" + choice);
            };
            String kustomized = Tools.kustomize(kustomization);
            for (Matcher name = GENERATED.matcher(kustomized); name.find(); ) {
                kustomized = kustomized.replace(name.group(1) + name.group(2), name.group(1));
            }
            Map<String, JsonNode> expected = byKindAndName(kustomized);
            Map<String, JsonNode> actual = byKindAndName(helmTemplate("-f", values(choice)));
            assertEquals(expected.keySet(), actual.keySet(), choice + ": the same objects");
            expected.forEach((key, object) -> assertEquals(object, actual.get(key), choice + ": " + key
                + " differs between `helm template` and `kubectl kustomize " + Repo.ROOT.relativize(kustomization)
                + "`"));
        }
    }

    @Test
    void imagesReplicasDelaysAndResourcesAreValues() {
        List<HasMetadata> objects = render("--set", "image.registry=registry.example.com/me", "--set",
            "image.tag=v0.2", "--set", "worker.replicas=10", "--set", "rng.delayMs=50", "--set", "hasher.delayMs=0",
            "--set", "worker.delayMs=0", "--set", "rng.concurrency=2", "--set", "webui.resources.limits.memory=512Mi");
        for (String name : Contract.SERVICES) {
            Container container = container(objects, name);
            assertEquals("registry.example.com/me/" + name + ":v0.2", container.getImage());
            assertEquals(name.equals("worker") ? 10 : null, deployment(objects, name).getSpec().getReplicas(), name);
            Map<String, String> env = Rendering.env(container);
            try (InProcess running = InProcess.start(name, env)) {
                Set<String> unread = new TreeSet<>(env.keySet());
                unread.removeAll(running.namesRead());
                assertTrue(unread.isEmpty(), name + " does not read " + unread);
            }
        }
        assertEquals("50", Rendering.env(container(objects, "rng")).get("RNG_DELAY_MS"));
        assertEquals("2", Rendering.env(container(objects, "rng")).get("RNG_CONCURRENCY"));
        assertEquals("0", Rendering.env(container(objects, "hasher")).get("HASHER_DELAY_MS"));
        assertEquals("0", Rendering.env(container(objects, "worker")).get("WORKER_DELAY_MS"), "0 is a value too");
        assertEquals("512Mi", container(objects, "webui").getResources().getLimits().get("memory").toString());
    }

    /** Redis asks for a password from a Secret, made by the chart or the user's; worker and webui send it. */
    @Test
    void theRedisPasswordComesFromAGeneratedOrAnExistingSecret() {
        List<HasMetadata> generated = render("--set", "redis.auth.enabled=true");
        Secret secret = generated.stream().filter(Secret.class::isInstance).map(Secret.class::cast).findFirst()
            .orElseThrow(() -> new AssertionError("no Secret for the Redis password"));
        assertEquals("redis-auth", secret.getMetadata().getName());
        String password = new String(Base64.getDecoder().decode(secret.getData().get("password")));
        assertTrue(password.matches("[A-Za-z0-9]{32}"), "a random password, safe in a URL");
        assertFalse(Rendering.env(container(render(), "worker")).get("REDIS_URL").contains("@"), "off by default");
        assertRedisUsesPassword(generated, "redis-auth");
        List<HasMetadata> existing = render("--set", "redis.auth.enabled=true", "--set",
                "redis.auth.existingSecret=mine");
        assertTrue(existing.stream().noneMatch(Secret.class::isInstance), "the user's Secret is used as it is");
        assertRedisUsesPassword(existing, "mine");
    }

    private static void assertRedisUsesPassword(List<HasMetadata> objects, String secret) {
        Container redis = container(objects, "redis");
        assertTrue(redis.getArgs().containsAll(List.of("--requirepass", "$(REDISCLI_AUTH)")), redis.getArgs()
                .toString());
        assertEquals(secret, redis.getEnv().get(0).getValueFrom().getSecretKeyRef().getName());
        for (String name : List.of("worker", "webui")) {
            Map<String, EnvVar> env = new TreeMap<>();
            container(objects, name).getEnv().forEach(e -> env.put(e.getName(), e));
            assertEquals(secret, env.get("REDIS_PASSWORD").getValueFrom().getSecretKeyRef().getName(), name);
            // Kubernetes expands $(REDIS_PASSWORD) in REDIS_URL, whose password the code honours on every connection.
            assertEquals("redis://:$(REDIS_PASSWORD)@redis:6379", env.get("REDIS_URL").getValue(), name);
            List<String> names = container(objects, name).getEnv().stream().map(EnvVar::getName).toList();
            assertTrue(names.indexOf("REDIS_PASSWORD") < names.indexOf("REDIS_URL"), name + ": defined before use");
        }
    }

    @Test
    void thePodMonitorTakesTheLabelsTheOperatorSelects() {
        PodMonitor monitor = render("--set", "podMonitor.enabled=true", "--set", "podMonitor.labels.release=kps")
            .stream().filter(PodMonitor.class::isInstance).map(PodMonitor.class::cast).findFirst().orElseThrow();
        assertEquals("kps", monitor.getMetadata().getLabels().get("release"));
        assertEquals("dockercoins", monitor.getMetadata().getLabels().get("app.kubernetes.io/part-of"));
    }

    /** The workshop's commands: plain names, whatever the release is called, and the notes say how to get in. */
    @Test
    void objectsHaveTheWorkshopNamesAndTheNotesTellHowToReachTheDashboard() {
        Set<String> names = new TreeSet<>();
        render().forEach(o -> names.add(o.getKind() + "/" + o.getMetadata().getName()));
        assertEquals(Set.of("Deployment/rng", "Deployment/hasher", "Deployment/worker", "Deployment/webui",
            "Deployment/redis", "Service/rng", "Service/hasher", "Service/webui", "Service/redis"), names);
        String notes = Repo.read("charts/dockercoins/templates/NOTES.txt");
        assertTrue(notes.contains("port-forward") && notes.contains("service/webui 8000:80")
            && notes.contains("deployment/worker --replicas="), notes);
        var webui = Rendering.all().get(0).get(io.fabric8.kubernetes.api.model.Service.class, "webui");
        assertEquals(80, webui.getSpec().getPorts().get(0).getPort(), "the notes forward to the Service's port");
    }

    private static String values(String choice) {
        return Repo.path("charts/dockercoins/ci/" + choice + "-values.yaml").toString();
    }

    private static String helmTemplate(String... args) {
        List<String> command = new ArrayList<>(List.of("template", "some-release-name", CHART));
        command.addAll(List.of(args));
        return Tools.helm(command.toArray(String[]::new));
    }

    private static List<HasMetadata> render(String... args) {
        return KubernetesModel.read(helmTemplate(args), "helm template " + String.join(" ", args));
    }

    private static Map<String, JsonNode> byKindAndName(String yaml) {
        Map<String, JsonNode> objects = new TreeMap<>();
        for (JsonNode object : Repo.yamlDocuments(yaml, "rendering")) {
            String key = object.path("kind").asText() + "/" + object.path("metadata").path("name").asText();
            if (object.path("data").isObject() && key.startsWith("Secret/")) {
                // the chart's password is random; the component's a literal to replace
                ((com.fasterxml.jackson.databind.node.ObjectNode) object.path("data")).properties()
                    .forEach(e -> e.setValue(com.fasterxml.jackson.databind.node.TextNode.valueOf("password")));
            }
            assertNull(objects.put(key, object), key + " twice");
        }
        return objects;
    }

    private static Deployment deployment(List<HasMetadata> objects, String name) {
        return objects.stream().filter(Deployment.class::isInstance).map(Deployment.class::cast)
            .filter(d -> d.getMetadata().getName().equals(name)).findFirst().orElseThrow();
    }

    private static Container container(List<HasMetadata> objects, String name) {
        return deployment(objects, name).getSpec().getTemplate().getSpec().getContainers().get(0);
    }
}
