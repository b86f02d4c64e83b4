package dockercoins.deploy;

import dockercoins.deploy.DockerfileModel.Instruction;
import dockercoins.deploy.DockerfileModel.Stage;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Dockerfile: one image per service, built reproducibly, small, and never running as root. */
class DockerfileTest {

    private static final DockerfileModel DOCKERFILE = DockerfileModel.parse(Repo.path("Dockerfile"));
    private static final Pattern PINNED = Pattern.compile("[^:@\\s]+(:[\\w][\\w.-]*)?(@sha256:[0-9a-f]{64})?");

    static Stage buildStage() {
        return DOCKERFILE.stage("build");
    }

    @Test
    void eachServiceHasItsOwnFinalStage() {
        for (String service : Contract.SERVICES) {
            Stage stage = DOCKERFILE.stage(service);
            assertEquals("runtime", stage.base(), service + " builds on the shared runtime stage");
        }
    }

    @Test
    void everyBaseImageIsPinned() {
        List<String> external = DOCKERFILE.stages.stream().map(Stage::base).filter(b -> !DOCKERFILE.isStage(b)).toList();
        assertFalse(external.isEmpty());
        for (String image : external) {
            Matcher matcher = PINNED.matcher(image);
            assertTrue(matcher.matches(), "cannot read image " + image);
            String tag = matcher.group(1) == null ? "" : matcher.group(1).substring(1);
            assertTrue(matcher.group(2) != null || (tag.matches(".*\\d+\\.\\d+.*") && !tag.contains("latest")),
                image + " is not pinned: give it a full version tag (or a digest)");
        }
    }

    @Test
    void dependenciesAreCachedInALayerBeforeTheSourcesAreCopied() {
        List<Instruction> build = buildStage().instructions();
        int firstMaven = indexOf(build, i -> i.keyword().equals("RUN") && i.arguments().startsWith("mvn "));
        int sources = indexOf(build, i -> i.keyword().equals("COPY") && i.words().get(0).equals("."));
        assertTrue(firstMaven >= 0, "the build stage runs Maven");
        assertTrue(sources > firstMaven, "the sources (COPY . .) come after a first Maven run on the poms alone");
        for (Instruction copy : build.subList(0, firstMaven)) {
            if (copy.keyword().equals("COPY")) {
                List<String> words = copy.words();
                words.subList(0, words.size() - 1).forEach(source ->
                    assertTrue(source.equals("pom.xml") || source.endsWith("/pom.xml"),
                        "only poms are copied before the dependency layer, not " + source + " (" + copy + ")"));
            }
        }
        List<Instruction> mavenRuns = build.stream().filter(i -> i.keyword().equals("RUN") && i.arguments().startsWith("mvn ")).toList();
        assertEquals(2, mavenRuns.size(), "one Maven run for the dependencies, one for the jars");
        assertTrue(mavenRuns.get(1).arguments().contains(" -o "), "the real build runs offline: the dependency layer must be complete");
    }

    @Test
    void everyModulePomReachesTheDependencyLayer() {
        Set<String> copied = new TreeSet<>();
        List<Instruction> build = buildStage().instructions();
        int firstMaven = indexOf(build, i -> i.keyword().equals("RUN") && i.arguments().startsWith("mvn "));
        for (Instruction copy : build.subList(0, firstMaven)) {
            if (copy.keyword().equals("COPY")) {
                List<String> words = copy.words();
                words.subList(0, words.size() - 1).forEach(source -> copied.add(source.replaceAll("/?pom\\.xml$", "")));
            }
        }
        Set<String> expected = new TreeSet<>(Repo.modules());
        expected.add("");
        // Maven reads every module of the parent pom: a missing one fails the build.
        assertTrue(copied.containsAll(expected), "the Dockerfile copies the poms of " + copied + " but the build has " + expected);
        Set<String> extra = new TreeSet<>(copied);
        extra.removeAll(expected);
        assertEquals(new TreeSet<>(pendingModules()), extra, "the Dockerfile copies poms of modules that are not in the build");
    }

    @Test
    void mavenBuildsExactlyTheServicesThatHaveAStage() {
        List<Instruction> runs = buildStage().all("RUN");
        Instruction check = runs.get(runs.size() - 1);
        assertTrue(check.arguments().startsWith("for service in " + String.join(" ", Contract.SERVICES) + ";")
            && check.arguments().contains("Main-Class"), "the last step refuses a jar without its main class: " + check);
        for (Instruction run : runs.subList(0, runs.size() - 1)) {
            Matcher modules = Pattern.compile("-pl\\s+(\\S+)").matcher(run.arguments());
            assertTrue(modules.find(), "Maven builds the listed services with -pl: " + run);
            assertEquals(Contract.SERVICES, List.of(modules.group(1).split(",")), run.toString());
            assertTrue(run.arguments().contains(" -am "), "and the modules they need (-am): " + run);
        }
    }

    @Test
    void eachServiceStageRunsTheJarItsModuleBuildsWithTheSharedJvmOptions() {
        Map<String, String> jvmOptionsCopy = copies(DOCKERFILE.stage("runtime"));
        assertEquals("jvm.options", jvmOptionsCopy.get("/app/jvm.options"), "the runtime stage copies jvm.options to /app/jvm.options");
        for (String service : Contract.SERVICES) {
            Stage stage = DOCKERFILE.stage(service);
            String jar = "/app/" + service + ".jar";
            Instruction copy = stage.all("COPY").stream().filter(c -> c.words().get(c.words().size() - 1).equals(jar))
                .findFirst().orElseThrow(() -> new AssertionError(service + " stage copies no " + jar));
            assertEquals("build", copy.flags().get("from"), copy.toString());
            assertEquals("/src/" + service + "/target/" + service + ".jar", copy.words().get(0),
                "the jar Maven builds: <module>/target/<module>.jar (shade's finalName)");
            List<Instruction> entrypoints = DOCKERFILE.effective(stage, "ENTRYPOINT");
            assertFalse(entrypoints.isEmpty(), service + " has an ENTRYPOINT");
            List<String> exec = entrypoints.get(entrypoints.size() - 1).execForm();
            assertNotNull(exec, service + ": ENTRYPOINT in exec form, so the JVM is PID 1 and gets SIGTERM");
            assertEquals(List.of("java", "@/app/jvm.options", "-jar", jar), exec, service + " ENTRYPOINT");
            assertTrue(DOCKERFILE.effective(stage, "CMD").isEmpty(), "no CMD: nothing is appended to the java command");
        }
    }

    @Test
    void theJarPathIsTheOneEachModuleBuilds() {
        for (String service : InProcess.startable()) {
            assertTrue(Repo.modules().contains(service), service + " is a module of the build");
            assertEquals(service, Repo.artifactId(service), "the module's artifactId names its jar");
            assertTrue(Repo.declaresPlugin(service, "maven-shade-plugin"), service + " builds a fat jar with the shade plugin");
            assertNotNull(Repo.pomProperty(service, "main.class"), service + " sets main.class for the jar's manifest");
        }
        // The parent's shade execution names the jar after the artifactId: <module>/target/<module>.jar.
        String parent = Repo.read(Repo.path("pom.xml"));
        assertTrue(parent.contains("<finalName>${project.artifactId}</finalName>"), "the parent pom's shade finalName");
        InProcess.pending();
    }

    @Test
    void finalStagesRunAsANumericUserThatIsNotRoot() {
        for (String service : Contract.SERVICES) {
            List<Instruction> users = DOCKERFILE.effective(DOCKERFILE.stage(service), "USER");
            assertFalse(users.isEmpty(), service + " sets USER");
            String user = users.get(users.size() - 1).arguments().trim();
            assertTrue(user.matches("\\d+(:\\d+)?"), service + ": USER " + user + " must be numeric (uid[:gid]) for runAsNonRoot");
            for (String id : user.split(":")) {
                assertTrue(Integer.parseInt(id) > 0, service + ": USER " + user + " must not be root");
            }
        }
    }

    @Test
    void everyServiceImageExposesTheContractPort() {
        for (String service : Contract.SERVICES) {
            Set<String> exposed = new TreeSet<>();
            DOCKERFILE.effective(DOCKERFILE.stage(service), "EXPOSE").forEach(e -> exposed.addAll(e.words()));
            assertEquals(Set.of(String.valueOf(Contract.PORT)), exposed, service + " EXPOSE");
        }
    }

    @Test
    void everyServiceImageCarriesOciLabels() {
        for (String service : Contract.SERVICES) {
            Map<String, String> labels = new LinkedHashMap<>();
            for (Instruction label : DOCKERFILE.effective(DOCKERFILE.stage(service), "LABEL")) {
                Matcher pair = Pattern.compile("([\\w.-]+)=\"([^\"]*)\"").matcher(label.arguments());
                while (pair.find()) {
                    labels.put(pair.group(1), pair.group(2));
                }
            }
            assertEquals("dockercoins-" + service, labels.get("org.opencontainers.image.title"), service);
            assertNotNull(labels.get("org.opencontainers.image.description"), service);
            assertEquals("${VERSION}", labels.get("org.opencontainers.image.version"), service);
            assertEquals("docker.io/library/" + DOCKERFILE.externalBase(DOCKERFILE.stage(service)),
                labels.get("org.opencontainers.image.base.name"), service + ": base.name names the real base image");
        }
    }

    @Test
    void theVersionArgumentIsTheTagComposeGivesTheImages() {
        String version = DOCKERFILE.stage("runtime").all("ARG").stream()
            .map(a -> a.arguments().trim()).filter(a -> a.startsWith("VERSION="))
            .map(a -> a.substring("VERSION=".length())).findFirst()
            .orElseThrow(() -> new AssertionError("the runtime stage declares ARG VERSION=<default>"));
        for (String service : Contract.SERVICES) {
            assertTrue(ComposeTest.image(service).endsWith(":" + version),
                "compose.yaml tags " + service + " " + ComposeTest.image(service) + ", the Dockerfile labels it " + version);
        }
    }

    @Test
    void dockerignoreLetsInExactlyWhatTheBuildReads() {
        DockerIgnore ignore = DockerIgnore.read(Repo.path(".dockerignore"));
        List<String> needed = new ArrayList<>(List.of("pom.xml", "jvm.options"));
        for (String module : Repo.modules()) {
            needed.add(module + "/pom.xml");
        }
        for (String service : InProcess.startable()) {
            needed.add(service + "/src/main/java/dockercoins/" + service + "/" + Repo.pomProperty(service, "main.class")
                .substring(("dockercoins." + service + ".").length()) + ".java");
        }
        needed.add("shared/src/main/java/dockercoins/shared/Service.java");
        for (String path : needed) {
            assertTrue(Files.exists(Repo.path(path)), path + " exists");
            assertFalse(ignore.excludes(path), ".dockerignore keeps out " + path + ", which the build needs");
        }
        for (String path : List.of("rng/target/rng.jar", "rng/src/test/java/X.java", ".git/config", "manifests/base/rng.yaml",
            "compose.yaml", "deploy-checks/src/test/java/dockercoins/deploy/DockerfileTest.java", "README.md")) {
            assertTrue(ignore.excludes(path), ".dockerignore lets " + path + " into the build context");
        }
        // Every file the Dockerfile copies from the context exists and is let in.
        for (Stage stage : DOCKERFILE.stages) {
            for (Instruction copy : stage.all("COPY")) {
                if (copy.flags().containsKey("from")) {
                    continue;
                }
                List<String> words = copy.words();
                for (String source : words.subList(0, words.size() - 1)) {
                    if (source.equals(".") || pendingModules().stream().anyMatch(m -> source.startsWith(m + "/"))) {
                        continue;
                    }
                    assertTrue(Files.exists(Repo.path(source)), copy + ": " + source + " does not exist");
                    assertFalse(ignore.excludes(source), copy + ": .dockerignore keeps out " + source);
                }
            }
        }
    }

    /** Services of the contract whose module is not in this checkout's build yet. */
    static List<String> pendingModules() {
        return Contract.SERVICES.stream().filter(s -> !Repo.modules().contains(s)).toList();
    }

    private static Map<String, String> copies(Stage stage) {
        Map<String, String> copies = new LinkedHashMap<>();
        for (Instruction copy : stage.all("COPY")) {
            List<String> words = copy.words();
            copies.put(words.get(words.size() - 1), words.get(0));
        }
        return copies;
    }

    private static int indexOf(List<Instruction> instructions, Predicate<Instruction> test) {
        for (int i = 0; i < instructions.size(); i++) {
            if (test.test(instructions.get(i))) {
                return i;
            }
        }
        return -1;
    }
}
