package dockercoins.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.*;
import java.net.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import java.util.concurrent.TimeUnit;
import java.util.regex.*;

import static org.junit.jupiter.api.Assertions.*;

/** The images: the Dockerfile, .dockerignore, jvm.options and the release workflow that publishes them. */
class ImagesTest {
    private static final String DOCKERFILE = Repo.read("Dockerfile").replaceAll("\\\\\\n", " ");
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private static final String JVM_OPTIONS = "@" + Repo.path("jvm.options");
    private static final String READY = Contract.READINESS_PATH;

    /** The lines of one stage of the Dockerfile, from its FROM to the next. */
    private static String stage(String name) {
        Matcher stage = Pattern.compile("(?ms)^FROM (\\S+) AS " + name + "$(.*?)(?=^FROM |\\z)").matcher(DOCKERFILE);
        assertTrue(stage.find(), "the Dockerfile has a stage " + name);
        return stage.group(0);
    }

    @Test
    void eachImageRunsItsServiceAsTheCodeExpectsAndStopsCleanlyOnSigterm() throws Exception {
        String runtime = stage("runtime");
        String version = Repo.all("(?m)^ARG VERSION=(\\S+)", runtime).get(0);
        for (String service : Contract.SERVICES) {
            String stage = stage(service);
            String jar = "/app/" + service + ".jar";
            assertTrue(stage.startsWith("FROM runtime AS " + service), service + " builds on the runtime stage");
            // shade's finalName: <module>/target/<module>.jar, trained on in the training stage; the service's stage
            // takes that very jar with its cache (valid for that jar only), as root, before the user.
            assertTrue(stage("training").contains("/src/" + service + "/target/" + service + ".jar "), service);
            assertTrue(stage.contains("COPY --from=training " + jar + " /app/" + service + ".aot /app/"), service);
            String user = Repo.all("(?m)^USER (\\S+)", stage.substring(stage.indexOf("COPY --from=training"))).get(0);
            assertTrue(user.matches("[1-9]\\d*:[1-9]\\d*"), "USER " + user + ": numeric, not root (runAsNonRoot)");
            // Exec form: the JVM is PID 1 and gets SIGTERM. The training run's flags and jar path are these.
            assertTrue(stage.contains("ENTRYPOINT [\"run-java\", \"@/app/jvm.options\", \"-XX:AOTCache=/app/"
                + service + ".aot\", \"-jar\", \"" + jar + "\"]"), service);
            assertFalse(stage.contains("\nCMD"), service);
            assertEquals(service, Repo.pomValue(service, "artifactId"), "the module's artifactId names its jar");
            assertTrue(Repo.read(service + "/pom.xml").contains("<artifactId>maven-shade-plugin</artifactId>"),
                service);
            assertNotNull(Repo.pomValue(service, "main.class"), service + " sets main.class for the jar's manifest");
            assertTrue(stage.contains("org.opencontainers.image.title=\"dockercoins-" + service + "\"")
                && stage.contains("org.opencontainers.image.description="), service + " labels");
            assertTrue(ComposeTest.image(service).endsWith(":" + version), service + ": compose tags it " + version);
        }
        assertTrue(Repo.read("pom.xml").contains("<finalName>${project.artifactId}</finalName>"), "shade's finalName");
        assertTrue(runtime.contains("COPY jvm.options /app/jvm.options") && runtime.contains(
            "COPY containers/aot-cache.sh /usr/local/bin/aot-cache")
            && runtime.contains("COPY containers/run-java.sh /usr/local/bin/run-java"), "the flags, the scripts");
        assertEquals(Contract.SERVICES.size(), Repo.all("(?m)^(USER .*)$", DOCKERFILE).size(), "USER per service");
        // The caches come from one run of the whole miner with every service's ENTRYPOINT flags and jar path.
        assertTrue(stage("training").startsWith("FROM runtime AS training") && stage("training").contains(
            "RUN [\"aot-cache\", \"/usr/local/bin/redis-server\", \"30\", \"/app/%s.aot\", \"/app/%s.jar\", "
            + "\"@/app/jvm.options\"]"), "the training run");
        assertTrue(runtime.contains("\nENV PORT=" + Contract.PORT + " "), "the images listen on " + Contract.PORT);
        assertEquals(List.of(String.valueOf(Contract.PORT)), Repo.all("(?m)^EXPOSE (.+)$", DOCKERFILE));
        String base = Repo.all("(?m)^FROM (\\S+) AS runtime", DOCKERFILE).get(0);
        assertTrue(runtime.contains("org.opencontainers.image.base.name=\"docker.io/library/" + base + "\""), base);
        // The worker reports its version (APP_VERSION) from the tag compose and the workflow pass as VERSION.
        assertTrue(runtime.contains("org.opencontainers.image.version=\"${VERSION}\"")
            && runtime.contains("APP_VERSION=${VERSION}"), "the version label and APP_VERSION");
        // curl, for compose's healthchecks, is in the Ubuntu-based eclipse-temurin images (not Alpine, distroless).
        assertTrue(base.matches("eclipse-temurin:[\\d._]+-jre-(noble|jammy)"), base + " may not have curl");
        // The release workflow builds what compose.yaml builds and tags it with the manifests' names.
        JsonNode job = Repo.yaml(".github/workflows/images.yml").path("jobs").path("image");
        assertEquals(Contract.SERVICES, Repo.texts(job.at("/strategy/matrix/service")), "the targets compose builds");
        JsonNode meta = step(job, "docker/metadata-action");
        assertEquals(Contract.IMAGE_REPOSITORY + "rng", meta.path("images").asText()
            .replace("${{ github.repository_owner }}", "dockercoins-vertx").replace("${{ matrix.service }}", "rng"));
        assertTrue(meta.path("tags").asText().contains("type=semver,pattern={{version}}"), "v1.0.0 publishes 1.0.0");
        JsonNode push = step(job, "docker/build-push-action");
        assertEquals("${{ matrix.service }}", push.path("target").asText());
        assertEquals("linux/amd64,linux/arm64", push.path("platforms").asText());
        assertTrue(push.path("build-args").asText().contains("VERSION=${{ steps.meta.outputs.version }}"));
        assertTrue(push.path("labels").asText().contains("steps.meta.outputs.labels"), "OCI labels");
        // The poms alone, then one Maven run for the dependency layer, then the sources, built offline.
        String build = stage("build");
        String beforeMaven = build.substring(0, build.indexOf("\nRUN mvn "));
        Set<String> poms = new TreeSet<>(Set.of("pom.xml"));
        Repo.all("<module>([^<]+)</module>", Repo.read("pom.xml")).forEach(m -> poms.add(m + "/pom.xml"));
        assertEquals(poms, new TreeSet<>(Repo.all("(?m)^COPY (\\S+) ", beforeMaven)),
            "every module's pom, and nothing else, before the dependency layer");
        List<String> maven = Repo.all("(?m)^RUN (mvn .*)$", build);
        assertEquals(2, maven.size(), "one Maven run for the dependencies, one for the jars");
        assertTrue(maven.get(1).contains(" -o "), "the real build runs offline: the dependency layer is complete");
        maven.forEach(run -> assertTrue(run.contains(" -pl " + String.join(",", Contract.SERVICES) + " -am "), run));
        assertTrue(build.indexOf("COPY . .") > build.indexOf("\nRUN mvn "), "the sources after the dependency layer");
        assertTrue(build.contains("for service in " + String.join(" ", Contract.SERVICES) + "; do")
            && build.contains("Main-Class"), "the build refuses a jar without its main class");
        List<String> bases = Repo.all("(?m)^FROM (\\S+) AS", DOCKERFILE);
        bases.removeIf(from -> DOCKERFILE.contains(" AS " + from + "\n"));
        assertEquals(2, bases.size(), "Maven to build, a JRE to run: " + bases);
        bases.forEach(from -> ComposeTest.assertPinned("the Dockerfile", from));
        // Everything stays out of the build context but the poms, the modules' main sources and jvm.options.
        List<String> rules = Repo.all("(?m)^([^#\\s].*)$", Repo.read(".dockerignore"));
        assertEquals("*", rules.get(0), "everything is left out first");
        Set<String> expected = new TreeSet<>(Set.of("!pom.xml", "!jvm.options", "!containers/aot-cache.sh",
            "!containers/run-java.sh"));
        for (String module : Repo.all("<module>([^<]+)</module>", Repo.read("pom.xml"))) {
            expected.add("!" + module + "/pom.xml");
            if (Files.isDirectory(Repo.path(module + "/src/main"))) {
                expected.add("!" + module + "/src/main");
            }
        }
        assertEquals(expected, new TreeSet<>(rules.subList(1, rules.size())), ".dockerignore's exceptions");
        Repo.all("(?m)^COPY (?!--from)(\\S+) ", DOCKERFILE).stream().filter(s -> !s.equals("."))
            .forEach(source -> assertTrue(expected.contains("!" + source), source + " is let into the build context"));
        List<String> flags = flags();
        assertTrue(flags.containsAll(List.of("-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError", "-Xms8m")),
            "small-footprint flags, a small initial heap: " + flags);
        assertTrue(flags.stream().noneMatch(f -> f.startsWith("-Xmx")), "the heap follows the container's limit");
        assertTrue(maxRamFraction() > 0);
        String output = succeeds(new ProcessBuilder(JAVA, JVM_OPTIONS, "-version"));
        assertFalse(output.toLowerCase().contains("warning"), "the JVM warns about a flag:\n" + output);
        // The image's command: java @jvm.options with the main class; ready on /readyz, exit 0 on SIGTERM.
        for (String service : Contract.SERVICES) {
            int port;
            try (ServerSocket socket = new ServerSocket(0)) {
                port = socket.getLocalPort();
            }
            Path jar = Repo.path(service + "/target/" + service + ".jar");
            // With its class archive, which must load (-Xshare:on). Without the jar (`mvn test` does not package),
            // the same main class from the test class path.
            List<String> command = new ArrayList<>(List.of(JAVA, JVM_OPTIONS));
            if (Files.isRegularFile(jar)) {
                Path archive = Files.createTempDirectory("dockercoins-cds").resolve(service + ".jsa");
                succeeds(new ProcessBuilder("env", "PORT=" + port, Repo.path("containers/archive-classes.sh")
                    .toString(), archive.toString(), JVM_OPTIONS, "-jar", jar.toString()));
                command.addAll(List.of("-Xshare:on", "-XX:SharedArchiveFile=" + archive, "-jar", jar.toString()));
            } else {
                command.addAll(List.of("-cp", System.getProperty("java.class.path"),
                    Repo.pomValue(service, "main.class")));
            }
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(Files.createTempFile("dockercoins-" + service, ".log").toFile());
            builder.environment().putAll(Map.of("PORT", String.valueOf(port), "ACCESS_LOG", "false", "RNG_URL",
                "http://127.0.0.1:1", "HASHER_URL", "http://127.0.0.1:1", "REDIS_URL", "redis://127.0.0.1:1"));
            Process process = builder.start();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                for (var ready = Contract.get(port, READY); ready == null || ready.statusCode() != 200; ) {
                    assertTrue(process.isAlive() && System.nanoTime() < deadline, service + " never became ready");
                    Thread.sleep(100);
                    ready = Contract.get(port, READY);
                }
                process.destroy();  // SIGTERM, as docker stop and Kubernetes send it
                assertTrue(process.waitFor(30, TimeUnit.SECONDS), service + " did not stop within 30 s of SIGTERM");
                assertEquals(0, process.exitValue(), service + " exits 0 after a graceful stop");
            } finally {
                process.destroyForcibly();
            }
        }
    }

    /** The output of a command that must exit 0 within 60 s. */
    private static String succeeds(ProcessBuilder command) throws IOException, InterruptedException {
        Process process = command.redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), command.command() + " did not finish");
        assertEquals(0, process.exitValue(), output);
        return output;
    }

    /** The `with` of the workflow step that uses an action. */
    private static JsonNode step(JsonNode job, String action) {
        for (JsonNode step : job.path("steps")) {
            if (step.path("uses").asText().startsWith(action + "@")) {
                return step.path("with");
            }
        }
        throw new AssertionError("the workflow has no step using " + action);
    }

    private static List<String> flags() {
        return Repo.all("(?m)^\\s*([^#\\s]\\S*)", Repo.read("jvm.options"));
    }

    /** The heap's share of the container memory limit, from -XX:MaxRAMPercentage. */
    static double maxRamFraction() {
        return flags().stream().filter(f -> f.startsWith("-XX:MaxRAMPercentage=")).map(f -> Double.parseDouble(
            f.substring("-XX:MaxRAMPercentage=".length())) / 100).findFirst()
            .orElseThrow(() -> new AssertionError("jvm.options sets no -XX:MaxRAMPercentage"));
    }
}
