package dockercoins.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The rows of docs/workshop.md that files can hold: the workshop's own commands work on these manifests. */
class WorkshopTest {

    /** kubercoins: `kubectl apply -f dockercoins.yaml` applies exactly what `kubectl apply -k manifests/base` does. */
    @Test
    void theOneFileManifestIsTheBaseAsKustomizeRendersIt() {
        String rendered = Kustomize.render(Repo.path("manifests/base"));
        assertEquals(rendered, Repo.read(Repo.path("dockercoins.yaml")),
            "dockercoins.yaml is stale: regenerate it with `kubectl kustomize manifests/base > dockercoins.yaml`");
    }

    /**
     * The DaemonSet chapter: `kubectl create deployment rng --image=… --dry-run=client -o yaml`, kind changed to
     * DaemonSet, gives pods with no named port; our rng Service must still select them and reach their port 80.
     */
    @Test
    void aDaemonSetMadeWithKubectlCreateDeploymentIsBehindTheRngService() {
        String image = Contract.IMAGE_REPOSITORY + "rng:1.0.0";
        JsonNode generated = Repo.yamlDocuments(Kustomize.kubectl("create", "deployment", "rng", "--image=" + image,
            "--dry-run=client", "-o", "yaml"), "kubectl create deployment").get(0);
        JsonNode pod = generated.path("spec").path("template");
        Map<String, String> labels = new TreeMap<>();
        pod.path("metadata").path("labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
        assertTrue(pod.path("spec").path("containers").get(0).path("ports").isMissingNode(), "no named port: " + pod);

        Service rng = Rendering.base().get(Service.class, "rng");
        assertTrue(Rendering.matches(rng.getSpec().getSelector(), labels),
            "Service rng selects " + rng.getSpec().getSelector() + ", the DaemonSet's pods are " + labels);
        assertEquals(Integer.valueOf(Contract.PORT), rng.getSpec().getPorts().get(0).getTargetPort().getIntVal(),
            "a numeric targetPort: the generated pods name no port");
        assertEquals(String.valueOf(Contract.PORT), dockerfileEnv().get("PORT"), "the image itself listens on 80");
    }

    /** Port 80 everywhere, with the sysctl that lets the non-root user bind it, in every rendering. */
    @Test
    void everyRenderingListensOnPort80WithTheSysctl() {
        for (Rendering rendering : Rendering.all()) {
            for (Service service : rendering.all(Service.class)) {
                String name = service.getMetadata().getName();
                if (Contract.SERVICES.contains(name)) {
                    assertEquals(Integer.valueOf(Contract.PORT), service.getSpec().getPorts().get(0).getTargetPort()
                        .getIntVal(), rendering.name() + ": Service " + name + " targets port 80 by number");
                }
            }
            for (String name : Contract.SERVICES) {
                PodSpec pod = rendering.deployment(name).getSpec().getTemplate().getSpec();
                assertTrue(pod.getSecurityContext().getSysctls().stream().anyMatch(s ->
                        s.getName().equals("net.ipv4.ip_unprivileged_port_start") && s.getValue().equals("0")),
                    rendering.name() + ": " + name + " may bind port 80 as its non-root user");
                assertEquals(Contract.PORT, pod.getContainers().get(0).getPorts().get(0).getContainerPort(),
                    rendering.name() + ": " + name);
            }
        }
    }

    /** kustomize chapter: `kustomize edit set image` needs the images listed, under the names the manifests use. */
    @Test
    void theBaseListsItsImagesForKustomizeEditSetImage() {
        JsonNode images = Repo.yaml(Repo.path("manifests/base/kustomization.yaml")).path("images");
        List<String> names = new ArrayList<>();
        images.forEach(i -> names.add(i.path("name").asText()));
        for (String service : Contract.SERVICES) {
            assertTrue(names.contains(Contract.IMAGE_REPOSITORY + service), service + " is listed: " + names);
            String used = Rendering.base().container(service).getImage();
            assertTrue(used.startsWith(Contract.IMAGE_REPOSITORY + service + ":"), service + " uses " + used);
        }
    }

    /** The release workflow builds what compose.yaml builds and tags it with the manifests' names. */
    @Test
    void theReleaseWorkflowPublishesTheImagesTheManifestsName() {
        JsonNode job = Repo.yaml(Repo.path(".github/workflows/images.yml")).path("jobs").path("image");
        List<String> services = new ArrayList<>();
        job.path("strategy").path("matrix").path("service").forEach(s -> services.add(s.asText()));
        assertEquals(Contract.SERVICES, services);
        for (String service : services) {
            assertEquals(service, ComposeTest.service(service).path("build").path("target").asText(), service);
        }
        JsonNode meta = step(job, "docker/metadata-action");
        String published = meta.path("with").path("images").asText()
            .replace("${{ github.repository_owner }}", "dockercoins-vertx").replace("${{ matrix.service }}", "rng");
        assertEquals(Contract.IMAGE_REPOSITORY + "rng", published);
        assertTrue(meta.path("with").path("tags").asText().contains("type=semver,pattern={{version}}"),
            "tag v1.0.0 publishes 1.0.0, the manifests' tag");
        JsonNode build = step(job, "docker/build-push-action").path("with");
        assertEquals("${{ matrix.service }}", build.path("target").asText());
        assertEquals("linux/amd64,linux/arm64", build.path("platforms").asText());
        assertTrue(build.path("build-args").asText().contains("VERSION=${{ steps.meta.outputs.version }}"));
        assertTrue(build.path("labels").asText().contains("steps.meta.outputs.labels"), "OCI labels");
    }

    private static JsonNode step(JsonNode job, String action) {
        for (JsonNode step : job.path("steps")) {
            if (step.path("uses").asText().startsWith(action + "@")) {
                return step;
            }
        }
        throw new AssertionError("the workflow has no step using " + action);
    }

    private static Map<String, String> dockerfileEnv() {
        Map<String, String> env = new TreeMap<>();
        Matcher assignment = Pattern.compile("(?m)^(?:ENV\\s+|\\s+)(\\w+)=(\\S+?)\\s*\\\\?$")
            .matcher(Repo.read(Repo.path("Dockerfile")));
        while (assignment.find()) {
            env.put(assignment.group(1), assignment.group(2));
        }
        return env;
    }
}
