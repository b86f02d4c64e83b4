package dockercoins.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dockercoins.shared.Service;
import org.junit.jupiter.api.Test;

import java.io.*;
import java.net.*;
import java.nio.file.*;
import java.time.Duration;
import java.util.*;

import static org.junit.jupiter.api.Assertions.*;

/** compose.yaml: `docker compose up` gives the contract's services, ports and wiring. */
class ComposeTest {

    private static final JsonNode COMPOSE = Repo.yaml("compose.yaml");
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
        service(name).path("environment").properties()
            .forEach(e -> env.put(e.getKey(), withoutVariables(e.getValue().asText())));
        return env;
    }

    /** A tag with a version in it, never latest. */
    static void assertPinned(String what, String image) {
        String tag = image.substring(image.lastIndexOf(':') + 1);
        assertTrue(image.contains(":") && tag.matches(".*\\d+\\.\\d+.*") && !tag.contains("latest")
                && !tag.contains("/"),
            what + ": " + image + " is not pinned to a version");
    }

    /** By the Compose Specification's own JSON schema (src/test/resources/compose-spec.json). */
    @Test
    void conformsToTheComposeSpecification() throws IOException {
        try (InputStream in = ComposeTest.class.getResourceAsStream("/compose-spec.json")) {
            ObjectNode schema = (ObjectNode) Repo.JSON.readTree(in);
            // It declares draft-07 by a URI the validator does not map; its $refs are all local.
            assertEquals("https://json-schema.org/draft-07/schema", schema.remove("$schema").asText());
            Set<ValidationMessage> problems = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7)
                .getSchema(SchemaLocation.of("https://dockercoins.invalid/compose-spec.json"), schema)
                .validate(COMPOSE);
            assertTrue(problems.isEmpty(), "compose.yaml breaks the Compose Specification: " + problems);
        }
        assertFalse(COMPOSE.has("version"), "the version key is obsolete: Compose ignores it and warns");
    }

    @Test
    void runsTheContractServicesWithMonitoringOnlyInItsProfile() {
        Set<String> services = new TreeSet<>(MONITORING);
        services.addAll(Contract.APP);
        assertEquals(services, new TreeSet<>(iterable(COMPOSE.path("services").fieldNames())));
        Contract.APP.forEach(name -> assertTrue(service(name).path("profiles").isMissingNode(), name));
        MONITORING.forEach(name -> assertEquals("[\"monitoring\"]", service(name).path("profiles").toString(), name));
        for (String name : MONITORING) {
            for (JsonNode volume : service(name).path("volumes")) {
                String source = volume.asText().split(":")[0];
                assertTrue(source.startsWith("./") && Files.exists(Repo.path(source)), name + " mounts " + source);
            }
        }
    }

    @Test
    void publishesTheContractPortsOnLoopbackAndTheWorkerCanBeScaled() {
        for (String name : Contract.APP) {
            List<String> ports = new ArrayList<>();
            service(name).path("ports").forEach(p -> ports.add(p.asText()));
            Integer host = Contract.COMPOSE_HOST_PORTS.get(name);
            assertEquals(host == null ? List.of() : List.of("127.0.0.1:" + host + ":" + Contract.containerPort(name)),
                ports, name + " ports");
        }
        JsonNode worker = service("worker");
        assertFalse(worker.has("container_name") || worker.has("deploy"), "`--scale worker=N` decides");
    }

    @Test
    void buildsEachServiceFromItsDockerfileStageUnderThePublishedName() {
        for (String name : Contract.SERVICES) {
            JsonNode build = service(name).path("build");
            assertEquals(".", build.path("context").asText(), name + " builds from the repository root");
            assertEquals(name, build.path("target").asText(), name + " builds its own stage");
            assertTrue(Repo.read("Dockerfile").contains(" AS " + name + "\n"), "the Dockerfile has a stage " + name);
            assertEquals(Contract.IMAGE_REPOSITORY + name + ":", image(name).replaceAll("[^:]+$", ""), name);
        }
        assertFalse(service("redis").has("build"), "redis is the official image");
        assertTrue(image("redis").startsWith("redis:"), "redis is the official image");
        Contract.APP.forEach(name -> assertPinned(name, image(name)));
        MONITORING.forEach(name -> assertPinned(name, image(name)));
    }

    @Test
    void setsOnlyVariablesTheCodeReadsAndUrlsNameServicesAtTheirPorts() {
        assertTrue(environment("redis").isEmpty(), "redis takes no DockerCoins variables");
        int urls = 0;
        for (String name : Contract.SERVICES) {
            Map<String, String> env = environment(name);
            assertTrue(Contract.VARIABLES.containsAll(env.keySet()), name + " sets " + env.keySet());
            for (Map.Entry<String, String> var : env.entrySet()) {
                if (var.getKey().endsWith("_URL")) {
                    URI uri = URI.create(var.getValue());
                    String target = var.getKey().replace("_URL", "").toLowerCase();
                    assertEquals(target, uri.getHost(), name + " " + var.getKey() + " names the " + target
                            + " service");
                    assertEquals(Contract.containerPort(target), uri.getPort() == -1 ? 80 : uri.getPort(),
                            var.toString());
                    assertEquals(target.equals("redis") ? "redis" : "http", uri.getScheme(), var.toString());
                    urls++;
                }
            }
            try (InProcess running = InProcess.start(name, env)) {
                Set<String> unread = new TreeSet<>(env.keySet());
                unread.removeAll(running.namesRead());
                assertTrue(unread.isEmpty(), name + " does not read " + unread);
                // The healthcheck: curl -f fails on the 503 of a stopping service.
                assertEquals(List.of("CMD", "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1"
                    + Contract.READINESS_PATH), healthcheck(name), name + " healthcheck");
                assertEquals(200, running.get(Contract.READINESS_PATH), name + " serves " + Contract.READINESS_PATH);
            }
        }
        assertEquals(4, urls, "worker: RNG_URL, HASHER_URL, REDIS_URL; webui: REDIS_URL");
        assertEquals(List.of("CMD", "redis-cli", "ping"), healthcheck("redis"));
    }

    @Test
    void dependenciesWaitUntilTheyAreHealthy() {
        Map.of("worker", Set.of("rng", "hasher", "redis"), "webui", Set.of("redis")).forEach((name, dependencies) -> {
            JsonNode dependsOn = service(name).path("depends_on");
            assertEquals(dependencies, new TreeSet<>(iterable(dependsOn.fieldNames())), name + " depends_on");
            dependencies.forEach(d -> assertEquals("service_healthy", dependsOn.path(d).path("condition").asText()));
        });
    }

    @Test
    void stopGracePeriodCoversTheGracefulStop() {
        // Service.stopAndWait: GRACE, then 5 s more; and 5 s of margin, so that SIGKILL never races the exit.
        Duration needed = Service.GRACE.plusSeconds(5 + 5);
        for (String name : Contract.SERVICES) {
            String grace = service(name).path("stop_grace_period").asText("10s");
            assertTrue(Duration.parse("PT" + grace.toUpperCase()).compareTo(needed) >= 0,  // e.g. 35s or 1m
                name + " stop_grace_period " + grace + " is shorter than the graceful stop " + needed);
        }
    }

    static List<String> healthcheck(String name) {
        List<String> test = new ArrayList<>();
        service(name).path("healthcheck").path("test").forEach(t -> test.add(t.asText()));
        return test;
    }

    private static <T> List<T> iterable(java.util.Iterator<T> iterator) {
        List<T> list = new ArrayList<>();
        iterator.forEachRemaining(list::add);
        return list;
    }
}
