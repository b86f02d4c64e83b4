package dockercoins.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dockercoins.shared.Service;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** compose.yaml: `docker compose up` gives the contract's services, ports and wiring. */
class ComposeTest {

    static final JsonNode COMPOSE = Repo.yaml(Repo.path("compose.yaml"));
    private static final Set<String> APP = Set.of("rng", "hasher", "worker", "webui", "redis");
    private static final Set<String> MONITORING = Set.of("prometheus", "grafana");

    static JsonNode service(String name) {
        JsonNode service = COMPOSE.path("services").path(name);
        assertTrue(service.isObject(), "compose.yaml has no service " + name);
        return service;
    }

    /** The image name as Compose reads it with no variable set. */
    static String image(String name) {
        return withoutVariables(service(name).path("image").asText());
    }

    /** A value as Compose reads it with no variable set: ${REGISTRY:-x} is x. */
    private static String withoutVariables(String value) {
        return value.replaceAll("\\$\\{\\w+:-([^}]*)}", "$1");
    }

    static Map<String, String> environment(String name) {
        Map<String, String> env = new LinkedHashMap<>();
        JsonNode environment = service(name).path("environment");
        assertTrue(environment.isMissingNode() || environment.isObject(), name + ": environment as a map, NAME: value");
        environment.properties().forEach(e -> env.put(e.getKey(), withoutVariables(e.getValue().asText())));
        return env;
    }

    @Test
    void conformsToTheComposeSpecification() throws IOException {
        Set<ValidationMessage> problems = composeSchema().validate(COMPOSE);
        assertTrue(problems.isEmpty(), "compose.yaml breaks the Compose Specification: " + problems);
    }

    /** The validator is not vacuous: a misspelt key and a wrong type are caught. */
    @Test
    void theSchemaCatchesMistakes() throws IOException {
        ObjectNode typo = COMPOSE.deepCopy();
        ((ObjectNode) typo.path("services").path("rng")).put("imagee", "x");
        assertFalse(composeSchema().validate(typo).isEmpty(), "a misspelt service key must be an error");
        ObjectNode wrongType = COMPOSE.deepCopy();
        ((ObjectNode) wrongType.path("services").path("worker")).put("depends_on", 3);
        assertFalse(composeSchema().validate(wrongType).isEmpty(), "a number for depends_on must be an error");
    }

    @Test
    void hasNoVersionKey() {
        assertFalse(COMPOSE.has("version"), "the version key is obsolete: Compose ignores it and warns");
    }

    @Test
    void runsTheContractServicesWithMonitoringOnlyInItsProfile() {
        Set<String> services = new TreeSet<>();
        COMPOSE.path("services").fieldNames().forEachRemaining(services::add);
        Set<String> expected = new TreeSet<>(APP);
        expected.addAll(MONITORING);
        assertEquals(expected, services);
        for (String name : APP) {
            assertTrue(service(name).path("profiles").isMissingNode(), name + " runs with a plain `docker compose up`");
        }
        for (String name : MONITORING) {
            assertEquals("[\"monitoring\"]", service(name).path("profiles").toString(), name + " is in the monitoring profile only");
        }
    }

    @Test
    void publishesTheContractPorts() {
        for (String name : APP) {
            List<String> ports = new ArrayList<>();
            service(name).path("ports").forEach(p -> ports.add(p.asText()));
            Integer host = Contract.COMPOSE_HOST_PORTS.get(name);
            List<String> expected = host == null ? List.of() : List.of("127.0.0.1:" + host + ":" + Contract.containerPort(name));
            assertEquals(expected, ports, name + " ports (quoted \"host:container\" strings)");
        }
    }

    @Test
    void theWorkerCanBeScaled() {
        JsonNode worker = service("worker");
        assertFalse(worker.has("container_name"), "a container_name allows one worker only");
        assertFalse(worker.has("ports"), "a published port allows one worker only");
        assertFalse(worker.has("deploy"), "no replica count: `--scale worker=N` decides");
    }

    @Test
    void everyImageIsPinned() {
        for (String name : APP) {
            assertPinned(name, image(name));
        }
        for (String name : MONITORING) {
            assertPinned(name, image(name));
        }
    }

    static void assertPinned(String what, String image) {
        Matcher matcher = Pattern.compile("([^:@\\s]+):([\\w][\\w.-]*)").matcher(image);
        assertTrue(matcher.matches(), what + ": image " + image + " needs a tag");
        assertTrue(matcher.group(2).matches(".*\\d+\\.\\d+.*") && !matcher.group(2).contains("latest"),
            what + ": " + image + " is not pinned to a version");
    }

    @Test
    void buildsEachServiceFromItsDockerfileStage() {
        DockerfileModel dockerfile = DockerfileModel.parse(Repo.path("Dockerfile"));
        for (String name : Contract.SERVICES) {
            JsonNode build = service(name).path("build");
            assertEquals(".", build.path("context").asText(), name + " builds from the repository root");
            assertTrue(Files.isRegularFile(Repo.path(build.path("dockerfile").asText("Dockerfile"))), name + ": Dockerfile exists");
            assertEquals(name, build.path("target").asText(), name + " builds its own stage");
            assertTrue(dockerfile.isStage(name), "the Dockerfile has a stage " + name);
            assertEquals(Contract.IMAGE_REPOSITORY + name, image(name).substring(0, image(name).lastIndexOf(':')),
                name + " image name, the one the Kubernetes manifests use");
        }
        assertFalse(service("redis").has("build"), "redis is the official image");
        assertTrue(image("redis").startsWith("redis:"), "redis is the official image");
    }

    @Test
    void setsOnlyVariablesTheCodeReads() {
        for (String name : APP) {
            assertTrue(Contract.VARIABLES.containsAll(environment(name).keySet()) || name.equals("redis"),
                name + " sets variables outside the contract: " + environment(name).keySet());
        }
        assertTrue(environment("redis").isEmpty(), "redis takes no DockerCoins variables");
        for (String name : InProcess.startable()) {
            Map<String, String> env = environment(name);
            try (InProcess running = InProcess.start(name, env)) {
                Set<String> unread = new TreeSet<>(env.keySet());
                unread.removeAll(running.namesRead());
                assertTrue(unread.isEmpty(), name + " does not read " + unread + " (it reads " + running.namesRead() + ")");
            }
        }
        InProcess.pending();
    }

    @Test
    void urlsNameComposeServicesAtThePortsTheyListenOn() {
        int urls = 0;
        for (String name : Contract.SERVICES) {
            for (Map.Entry<String, String> var : environment(name).entrySet()) {
                if (!var.getKey().endsWith("_URL")) {
                    continue;
                }
                URI uri = URI.create(var.getValue());
                String target = var.getKey().substring(0, var.getKey().length() - "_URL".length()).toLowerCase();
                assertEquals(target, uri.getHost(), name + " " + var.getKey() + " names the " + target + " service");
                assertEquals(Contract.containerPort(target), uri.getPort() == -1 ? 80 : uri.getPort(),
                    name + " " + var.getKey() + ": inside compose, " + target + " listens on " + Contract.containerPort(target));
                assertEquals(target.equals("redis") ? "redis" : "http", uri.getScheme(), var.toString());
                urls++;
            }
        }
        assertEquals(4, urls, "worker: RNG_URL, HASHER_URL, REDIS_URL; webui: REDIS_URL");
    }

    @Test
    void healthchecksAskEachServiceItsOwnReadiness() {
        DockerfileModel dockerfile = DockerfileModel.parse(Repo.path("Dockerfile"));
        for (String name : Contract.SERVICES) {
            List<String> test = healthcheck(name);
            assertEquals(List.of("CMD", "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1" + Contract.READINESS_PATH),
                test, name + " healthcheck: curl -f fails on the 503 of a stopping service");
            // curl is in the Ubuntu-based eclipse-temurin images (not in the Alpine or distroless ones).
            String base = dockerfile.externalBase(dockerfile.stage(name));
            assertTrue(base.matches("eclipse-temurin:[\\d._]+-jre-(noble|jammy)"), name + ": " + base + " may not have curl");
        }
        for (String name : InProcess.startable()) {
            try (InProcess running = InProcess.start(name, environment(name))) {
                assertEquals(200, running.get(Contract.READINESS_PATH), name + " serves " + Contract.READINESS_PATH);
            }
        }
        assertEquals(List.of("CMD", "redis-cli", "ping"), healthcheck("redis"));
        InProcess.pending();
    }

    @Test
    void dependenciesWaitUntilTheyAreHealthy() {
        Map<String, List<String>> expected = Map.of("worker", List.of("rng", "hasher", "redis"), "webui", List.of("redis"));
        expected.forEach((name, dependencies) -> {
            JsonNode dependsOn = service(name).path("depends_on");
            Set<String> actual = new TreeSet<>();
            dependsOn.fieldNames().forEachRemaining(actual::add);
            assertEquals(new TreeSet<>(dependencies), actual, name + " depends_on");
            for (String dependency : dependencies) {
                assertEquals("service_healthy", dependsOn.path(dependency).path("condition").asText(), name + " waits for " + dependency);
                assertFalse(healthcheck(dependency).isEmpty(), dependency + " has a healthcheck to wait for");
            }
        });
    }

    @Test
    void stopGracePeriodCoversTheGracefulStop() {
        // Service.stopAndWait gives draining (and the worker's flush) GRACE, then 5 s more; and 5 s of margin,
        // so that SIGKILL never races the exit.
        Duration needed = Service.GRACE.plusSeconds(5 + 5);
        for (String name : Contract.SERVICES) {
            Duration grace = duration(service(name).path("stop_grace_period").asText("10s"));
            assertTrue(grace.compareTo(needed) >= 0, name + " stop_grace_period " + grace + " is shorter than the graceful stop " + needed);
        }
    }

    @Test
    void monitoringMountsFilesThatExist() {
        for (String name : MONITORING) {
            for (JsonNode volume : service(name).path("volumes")) {
                String source = volume.asText().split(":")[0];
                assertTrue(source.startsWith("./"), name + ": bind mounts from the repository: " + volume);
                assertTrue(Files.exists(Repo.path(source.substring(2))), name + " mounts " + source + ", which does not exist");
            }
        }
    }

    static List<String> healthcheck(String name) {
        List<String> test = new ArrayList<>();
        service(name).path("healthcheck").path("test").forEach(t -> test.add(t.asText()));
        return test;
    }

    static Duration duration(String text) {
        Matcher part = Pattern.compile("(\\d+)(h|m|s|ms)").matcher(text);
        Duration total = Duration.ZERO;
        int consumed = 0;
        while (part.find()) {
            assertEquals(consumed, part.start(), "cannot read duration " + text);
            long n = Long.parseLong(part.group(1));
            total = total.plus(switch (part.group(2)) {
                case "h" -> Duration.ofHours(n);
                case "m" -> Duration.ofMinutes(n);
                case "s" -> Duration.ofSeconds(n);
                default -> Duration.ofMillis(n);
            });
            consumed = part.end();
        }
        assertEquals(text.length(), consumed, "cannot read duration " + text);
        return total;
    }

    private static JsonSchema composeSchema() throws IOException {
        try (InputStream in = ComposeTest.class.getResourceAsStream("/compose-spec.json")) {
            ObjectNode schema = (ObjectNode) Repo.JSON.readTree(in);
            // The schema declares draft-07 by a URI the validator does not map; it is validated as draft-07.
            assertEquals("https://json-schema.org/draft-07/schema", schema.remove("$schema").asText());
            // Its relative $id needs a base; every $ref in it is local, so nothing is fetched.
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7)
                .getSchema(SchemaLocation.of("https://dockercoins.invalid/compose-spec.json"), schema);
        }
    }
}
