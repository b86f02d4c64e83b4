package dockercoins.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.*;
import io.fabric8.kubernetes.api.model.*;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import org.junit.jupiter.api.Test;

import java.nio.file.*;
import java.util.*;
import java.util.regex.*;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** charts/dockercoins renders kustomize's objects (so every check of the manifests holds for it); values work. */
class ChartTest {

    private static final String CHART = Repo.path("charts/dockercoins").toString();
    /** The choices: the chart's values files (charts/dockercoins/ci/) and the kustomizations they match. */
    private static final List<String> CHOICES = List.of("default", "workshop", "locked-down", "monitoring", "components");
    /** The components of the "components" choice, in manifests/kustomization.yaml's order. */
    private static final List<String> COMPONENTS = Rendering.COMPONENTS.subList(Rendering.COMPONENTS.indexOf("config"),
        Rendering.COMPONENTS.size());
    /** A name with the hash suffix kustomize gives the ConfigMaps it generates (the chart keeps plain names). */
    private static final Pattern GENERATED = Pattern.compile("(?m)^  name: (\\S+)(-[2456789bcdfghkmt]{10})$");

    @Test
    void helmLintPassesTheChartRendersWhatKustomizeRendersUnderTheWorkshopNamesAndItsValuesWork() {
        for (String choice : CHOICES) {
            String values = Repo.path("charts/dockercoins/ci/" + choice + "-values.yaml").toString();
            Repo.tool("helm", "lint", "--strict", CHART, "-f", values);
            Path kustomization = switch (choice) {
                case "default" -> Repo.path("manifests");
                case "monitoring" -> Rendering.overlay(choice, List.of("monitoring", "prometheus-operator"));
                case "components" -> Rendering.overlay(choice, COMPONENTS);
                default -> Repo.path("manifests/overlays/" + choice);
            };
            String kustomized = Repo.tool("kubectl", "kustomize", kustomization.toString());
            for (Matcher name = GENERATED.matcher(kustomized); name.find(); ) {
                kustomized = kustomized.replace(name.group(1) + name.group(2), name.group(1));
            }
            Map<String, JsonNode> expected = byKindAndName(kustomized);
            Map<String, JsonNode> actual = byKindAndName(helmTemplate("-f", values));
            assertEquals(expected.keySet(), actual.keySet(), choice + ": the same objects");
            expected.forEach((key, object) -> assertEquals(object, actual.get(key), choice + ": " + key
                + " differs between `helm template` and `kubectl kustomize " + Repo.ROOT.relativize(kustomization)
                + "`"));
        }
        // The workshop's commands: plain names, whatever the release is called, and the notes say how to get in.
        assertEquals(Set.of("Deployment/rng", "Deployment/hasher", "Deployment/worker", "Deployment/webui",
            "Deployment/redis", "Service/rng", "Service/hasher", "Service/webui", "Service/redis"),
            new HashSet<>(render().objects().stream().map(o -> o.getKind() + "/" + o.getMetadata().getName())
                .toList()));
        String notes = Repo.read("charts/dockercoins/templates/NOTES.txt");
        // ManifestsTest holds the Service's port to Contract.PORT.
        assertTrue(notes.contains("port-forward") && notes.contains("service/webui 8000:" + Contract.PORT)
            && notes.contains("deployment/worker --replicas="), notes);
        Rendering chart = render("--set", "image.registry=registry.example.com/me", "--set", "image.tag=v0.2",
            "--set", "worker.replicas=10", "--set", "rng.delayMs=50", "--set", "hasher.delayMs=0", "--set",
            "worker.delayMs=0", "--set", "rng.concurrency=2", "--set", "webui.resources.limits.memory=512Mi");
        for (String name : Contract.SERVICES) {
            assertEquals("registry.example.com/me/" + name + ":v0.2", chart.container(name).getImage());
            assertEquals(name.equals("worker") ? 10 : null, chart.get(Deployment.class, name).getSpec().getReplicas());
            Contract.assertRunsWith(chart.name(), name, chart.env(chart.container(name)), Contract::containerPort);
        }
        assertEquals("50", chart.env(chart.container("rng")).get("RNG_DELAY_MS"));
        assertEquals("2", chart.env(chart.container("rng")).get("RNG_CONCURRENCY"));
        assertEquals("0", chart.env(chart.container("hasher")).get("HASHER_DELAY_MS"));
        assertEquals("0", chart.env(chart.container("worker")).get("WORKER_DELAY_MS"), "0 is a value too");
        assertEquals("512Mi", chart.container("webui").getResources().getLimits().get("memory").toString());
        Map<String, String> labels = render("--set", "podMonitor.enabled=true", "--set",
            "podMonitor.labels.release=kps").get(PodMonitor.class, "dockercoins").getMetadata().getLabels();
        assertEquals("kps/dockercoins", labels.get("release") + "/" + labels.get("app.kubernetes.io/part-of"));
        // Redis asks for a password from a Secret, made by the chart or the user's; worker and webui send it.
        Rendering generated = render("--set", "redis.auth.enabled=true");
        Secret secret = generated.get(Secret.class, "redis-auth");
        String password = new String(Base64.getDecoder().decode(secret.getData().get("password")));
        assertTrue(password.matches("[A-Za-z0-9]{32}"), "a random password, safe in a URL");
        assertEquals("redis-auth", ManifestsTest.assertRedisPassword(generated));
        assertFalse(render().env(render().container("worker")).get("REDIS_URL").contains("@"), "off by default");
        Rendering existing = render("--set", "redis.auth.enabled=true", "--set", "redis.auth.existingSecret=mine");
        assertTrue(existing.all(Secret.class).isEmpty(), "the user's Secret is used as it is");
        assertEquals("mine", ManifestsTest.assertRedisPassword(existing));
        // components/config: a value overrides the file's, and only that service's checksum changes: only it rolls.
        Rendering config = render("--set", "config.enabled=true");
        Rendering edited = render("--set", "config.enabled=true", "--set", "config.worker.WORKER_DELAY_MS=50");
        assertEquals("50", edited.env(edited.container("worker")).get("WORKER_DELAY_MS"));
        for (String name : Contract.SERVICES) {
            assertEquals(!name.equals("worker"), config.pod(name).getMetadata().getAnnotations().get("checksum/config")
                .equals(edited.pod(name).getMetadata().getAnnotations().get("checksum/config")), name + " rolls");
        }
        assertEquals("class.example.org", render("--set", "ingress.enabled=true", "--set",
            "ingress.host=class.example.org").all(Ingress.class).get(0).getSpec().getRules().get(0).getHost());
    }

    private static String helmTemplate(String... args) {
        return Repo.tool("helm", Stream.concat(Stream.of("template", "some-release-name", CHART), Stream.of(args))
            .toArray(String[]::new));
    }

    private static Rendering render(String... args) {
        String name = "helm template " + String.join(" ", args);
        return new Rendering(name, List.of(), Rendering.read(helmTemplate(args), name));
    }

    private static Map<String, JsonNode> byKindAndName(String yaml) {
        Map<String, JsonNode> objects = new TreeMap<>();
        for (JsonNode object : Repo.yamlDocuments(yaml, "rendering")) {
            String key = object.path("kind").asText() + "/" + object.path("metadata").path("name").asText();
            // the chart's way to roll pods when their ConfigMap changes; kustomize's is the name's hash suffix
            JsonNode annotations = object.at("/spec/template/metadata/annotations");
            if (annotations.isObject()) {
                ((ObjectNode) annotations).remove("checksum/config");
            }
            if (object.path("data").isObject() && key.startsWith("Secret/")) {
                // the chart's password is random; the component's a literal to replace
                ((ObjectNode) object.path("data")).properties().forEach(e -> e.setValue(TextNode.valueOf("password")));
            }
            assertNull(objects.put(key, object), key + " twice");
        }
        return objects;
    }
}
