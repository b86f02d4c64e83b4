package dockercoins.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.*;
import org.junit.jupiter.api.Test;

import java.io.*;
import java.nio.file.*;
import java.time.Duration;
import java.util.*;

import static org.junit.jupiter.api.Assertions.*;

/** compose.yaml: `docker compose up` gives the contract's services, ports and wiring. */
class ComposeTest {

    private static final JsonNode COMPOSE = Repo.yaml("compose.yaml");

    static JsonNode service(String name) {
        JsonNode service = COMPOSE.path("services").path(name);
        assertTrue(service.isObject(), "compose.yaml has no service " + name);
        return service;
    }

    static String image(String name) {
        return withoutVariables(service(name).path("image").asText());
    }

    /** As Compose reads it with no variable set: ${REGISTRY:-x} is x. */
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
            && !tag.contains("/"), what + ": " + image + " is not pinned to a version");
    }

    /** By the Compose Specification's own JSON schema (src/test/resources/compose-spec.json). */
    @Test
    void conformsToTheSpecRunsTheContractServicesWithWhatTheCodeReadsAndStopsThemGracefully() throws IOException {
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
        Set<String> services = new TreeSet<>(Contract.MONITORING);
        services.addAll(Contract.APP);
        assertEquals(services, Repo.keys(COMPOSE.path("services")));
        for (String name : Contract.MONITORING) {
            assertEquals("[\"monitoring\"]", service(name).path("profiles").toString(), name);
            assertPinned(name, image(name));
            for (String volume : Repo.texts(service(name).path("volumes"))) {
                String source = volume.split(":")[0];
                assertTrue(source.startsWith("./") && Files.exists(Repo.path(source)), name + " mounts " + source);
            }
        }
        for (String name : Contract.APP) {
            Integer host = Contract.COMPOSE_HOST_PORTS.get(name);
            assertEquals(host == null ? List.of() : List.of("${PUBLISH_ON:-}" + host + ":"
                + Contract.containerPort(name)),
                Repo.texts(service(name).path("ports")), name + " ports");
            assertTrue(service(name).path("profiles").isMissingNode(), name);
            assertPinned(name, image(name));
        }
        JsonNode worker = service("worker");
        assertFalse(worker.has("container_name") || worker.has("deploy"), "`--scale worker=N` decides");
        for (String name : Contract.SERVICES) {
            JsonNode build = service(name).path("build");
            assertEquals(".", build.path("context").asText(), name + " builds from the repository root");
            assertEquals(name, build.path("target").asText(), name + " builds its own stage");
            assertEquals(Contract.IMAGE_REPOSITORY + name + ":", image(name).replaceAll("[^:]+$", ""), name);
        }
        assertTrue(!service("redis").has("build") && image("redis").startsWith("redis:"), "redis: the official image");
        assertTrue(environment("redis").isEmpty(), "redis takes no DockerCoins variables");
        assertEquals("[\"CMD\",\"redis-cli\",\"ping\"]", service("redis").path("healthcheck").path("test").toString());
        int urls = 0;
        for (String name : Contract.SERVICES) {
            urls += Contract.assertRunsWith("compose.yaml " + name, name, environment(name), Contract::containerPort);
            // The healthcheck: curl -f fails on the 503 of a stopping service.
            assertEquals(List.of("CMD", "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1"
                + Contract.READINESS_PATH), Repo.texts(service(name).path("healthcheck").path("test")), name);
            String grace = service(name).path("stop_grace_period").asText("10s");  // e.g. 35s or 1m
            assertTrue(Duration.parse("PT" + grace.toUpperCase()).compareTo(Contract.STOP) >= 0,
                name + " stop_grace_period " + grace + " is shorter than the graceful stop " + Contract.STOP);
        }
        assertEquals(4, urls, "worker: RNG_URL, HASHER_URL, REDIS_URL; webui: REDIS_URL");
        Map.of("worker", Set.of("rng", "hasher", "redis"), "webui", Set.of("redis")).forEach((name, dependencies) -> {
            JsonNode dependsOn = service(name).path("depends_on");
            assertEquals(dependencies, Repo.keys(dependsOn), name + " depends_on");
            dependencies.forEach(d -> assertEquals("service_healthy", dependsOn.path(d).path("condition").asText()));
        });
    }

}
