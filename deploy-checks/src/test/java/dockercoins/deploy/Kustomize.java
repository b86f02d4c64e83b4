package dockercoins.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Kustomizations: followed by hand (every file they name, recursively), rendered by hand for the
 * simple base (resources, labels, images), and rendered by the real kustomize when it is installed
 * (kubectl kustomize) for everything with components, patches and generators.
 */
final class Kustomize {

    /** What a kustomization here may say; anything else is a mistake or a feature to review first. */
    private static final Set<String> KNOWN_KEYS =
        Set.of("apiVersion", "kind", "resources", "components", "labels", "images", "patches", "configMapGenerator",
            "secretGenerator", "generatorOptions");

    /** Everything a kustomization tree names. */
    static final class Tree {
        final Set<Path> kustomizations = new LinkedHashSet<>();
        final Set<Path> resourceFiles = new LinkedHashSet<>();
        final Set<Path> patchFiles = new LinkedHashSet<>();
        final Set<Path> generatorFiles = new LinkedHashSet<>();
    }

    private Kustomize() {
    }

    static Path fileIn(Path dir) {
        Path file = dir.resolve("kustomization.yaml");
        assertTrue(Files.isRegularFile(file), "no kustomization.yaml in " + Repo.ROOT.relativize(dir));
        return file;
    }

    /** A kustomization, checked for its kind and for keys this project does not use. */
    static JsonNode read(Path dir, boolean component) {
        JsonNode doc = Repo.yaml(fileIn(dir));
        String where = Repo.ROOT.relativize(dir) + "/kustomization.yaml";
        if (component) {
            assertEquals("kustomize.config.k8s.io/v1alpha1", doc.path("apiVersion").asText(), where + " apiVersion");
            assertEquals("Component", doc.path("kind").asText(), where + " is named in components: it must be a Component");
        } else {
            assertEquals("kustomize.config.k8s.io/v1beta1", doc.path("apiVersion").asText(), where + " apiVersion");
            assertEquals("Kustomization", doc.path("kind").asText(), where + " kind");
        }
        doc.fieldNames().forEachRemaining(key -> {
            if (key.equals("commonLabels")) {
                fail(where + ": commonLabels rewrites selectors (immutable on a Deployment); use labels with includeSelectors: false");
            }
            assertTrue(KNOWN_KEYS.contains(key), where + ": unexpected key " + key);
        });
        return doc;
    }

    /** Follows resources, components, patches and generators from a kustomization, recursively. */
    static Tree walk(Path dir) {
        Tree tree = new Tree();
        walk(dir.toAbsolutePath().normalize(), false, tree);
        return tree;
    }

    /** The same, from a component. */
    static Tree walkComponent(Path dir) {
        Tree tree = new Tree();
        walk(dir.toAbsolutePath().normalize(), true, tree);
        return tree;
    }

    private static void walk(Path dir, boolean component, Tree tree) {
        if (!tree.kustomizations.add(dir)) {
            return;
        }
        JsonNode doc = read(dir, component);
        for (JsonNode entry : doc.path("resources")) {
            Path target = dir.resolve(entry.asText()).normalize();
            if (Files.isDirectory(target)) {
                walk(target, false, tree);
            } else {
                assertTrue(Files.isRegularFile(target), "resources: " + entry.asText() + " of " + Repo.ROOT.relativize(dir) + " does not exist");
                tree.resourceFiles.add(target);
            }
        }
        for (JsonNode entry : doc.path("components")) {
            Path target = dir.resolve(entry.asText()).normalize();
            assertTrue(Files.isDirectory(target), "components: " + entry.asText() + " of " + Repo.ROOT.relativize(dir) + " is not a directory");
            walk(target, true, tree);
        }
        for (JsonNode patch : doc.path("patches")) {
            if (patch.has("patch")) {
                continue;  // an inline JSON patch: kustomize itself checks it, when it renders
            }
            Path target = dir.resolve(patch.path("path").asText()).normalize();
            assertTrue(Files.isRegularFile(target), "patch " + target + " does not exist");
            tree.patchFiles.add(target);
        }
        for (JsonNode generator : doc.path("configMapGenerator")) {
            for (JsonNode file : generator.path("files")) {
                String source = file.asText().contains("=") ? file.asText().substring(file.asText().indexOf('=') + 1) : file.asText();
                Path target = dir.resolve(source).normalize();
                assertTrue(Files.isRegularFile(target), "configMapGenerator file " + target + " does not exist");
                assertTrue(target.startsWith(dir), "kustomize reads no file outside its kustomization's directory: " + target);
                tree.generatorFiles.add(target);
            }
        }
    }

    /**
     * The base rendered by hand: its resources, the labels transformer (metadata, and pod templates
     * when includeTemplates, never selectors) and the images transformer. Anything else is refused.
     */
    static List<JsonNode> renderSimple(Path dir) {
        JsonNode doc = read(dir, false);
        for (String unsupported : List.of("components", "patches", "configMapGenerator")) {
            assertTrue(doc.path(unsupported).isMissingNode(),
                "the hand-made rendering does not do " + unsupported + ": keep the base simple, or render it with kustomize");
        }
        List<JsonNode> objects = new ArrayList<>();
        for (JsonNode entry : doc.path("resources")) {
            Path target = dir.resolve(entry.asText()).normalize();
            if (Files.isDirectory(target)) {
                objects.addAll(renderSimple(target));
            } else {
                objects.addAll(Repo.yamlDocuments(Repo.read(target), Repo.ROOT.relativize(target).toString()));
            }
        }
        for (JsonNode labels : doc.path("labels")) {
            assertTrue(labels.path("includeSelectors").isBoolean() && !labels.path("includeSelectors").asBoolean(),
                "labels must say includeSelectors: false: selectors stay app=<name>");
            for (JsonNode object : objects) {
                labels.path("pairs").properties().forEach(pair -> {
                    ((ObjectNode) object.path("metadata")).withObjectProperty("labels").set(pair.getKey(), pair.getValue());
                    JsonNode template = object.path("spec").path("template");
                    if (labels.path("includeTemplates").asBoolean(false) && template.isObject()) {
                        ((ObjectNode) template).withObjectProperty("metadata").withObjectProperty("labels").set(pair.getKey(), pair.getValue());
                    }
                });
            }
        }
        for (JsonNode image : doc.path("images")) {
            for (JsonNode object : objects) {
                JsonNode podSpec = object.path("spec").path("template").path("spec");
                for (String list : List.of("initContainers", "containers")) {
                    for (JsonNode container : podSpec.path(list)) {
                        String current = container.path("image").asText();
                        String name = current.contains(":") ? current.substring(0, current.lastIndexOf(':')) : current;
                        if (name.equals(image.path("name").asText())) {
                            String newName = image.path("newName").asText(name);
                            String newTag = image.has("newTag") ? image.path("newTag").asText()
                                : current.substring(current.lastIndexOf(':') + 1);
                            ((ObjectNode) container).put("image", newName + ":" + newTag);
                        }
                    }
                }
            }
        }
        return objects;
    }

    /** The real kustomize's rendering of a kustomization directory (kubectl kustomize, or kustomize build). */
    static String render(Path dir) {
        List<String> command = new ArrayList<>(kustomizeCommand());
        command.add(dir.toString());
        Ran ran = run(command);
        assertEquals(0, ran.exit(), String.join(" ", command) + " failed:\n" + ran.err());
        return ran.out();
    }

    /** Runs kubectl (from PATH) with these arguments and returns what it printed; it must succeed. */
    static String kubectl(String... args) {
        List<String> command = new ArrayList<>();
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (command.isEmpty() && Files.isExecutable(Path.of(dir, "kubectl"))) {
                command.add(Path.of(dir, "kubectl").toString());
            }
        }
        if (command.isEmpty()) {
            unavailable("kubectl is not installed");
        }
        command.addAll(List.of(args));
        Ran ran = run(command);
        assertEquals(0, ran.exit(), String.join(" ", command) + " failed:\n" + ran.err());
        return ran.out();
    }

    /** A throw-away kustomization that puts the base and some components together. */
    static Path overlay(Path tempDir, String name, List<String> components) throws IOException {
        Path dir = Files.createDirectories(tempDir.resolve(name));
        StringBuilder yaml = new StringBuilder("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n")
            .append("resources:\n  - ").append(dir.relativize(Repo.path("manifests/base"))).append('\n');
        if (!components.isEmpty()) {
            // kustomize takes relative paths only
            yaml.append("components:\n");
            components.forEach(c -> yaml.append("  - ").append(dir.relativize(Repo.path("manifests/components/" + c))).append('\n'));
        }
        Files.writeString(dir.resolve("kustomization.yaml"), yaml);
        return dir;
    }

    /** The kustomize features used here (labels' includeTemplates among them) need kustomize 5. */
    private static final int KUSTOMIZE_MAJOR_NEEDED = 5;
    private static final Pattern KUSTOMIZE_VERSION = Pattern.compile("(?:Kustomize Version: |kustomize/|^)v(\\d+)\\.");

    /** Found and version-checked once for all renderings. */
    private static List<String> kustomizeCommand;

    private static synchronized List<String> kustomizeCommand() {
        if (kustomizeCommand == null) {
            kustomizeCommand = findKustomize();
        }
        return kustomizeCommand;
    }

    private static List<String> findKustomize() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, "kustomize"))) {
                String kustomize = Path.of(dir, "kustomize").toString();
                return usable(List.of(kustomize, "build"), List.of(kustomize, "version"));
            }
            if (Files.isExecutable(Path.of(dir, "kubectl"))) {
                String kubectl = Path.of(dir, "kubectl").toString();
                return usable(List.of(kubectl, "kustomize"), List.of(kubectl, "version", "--client"));
            }
        }
        return unavailable("neither kubectl nor kustomize is installed");
    }

    /** The command, if the kustomize behind it is recent enough to read these kustomizations. */
    private static List<String> usable(List<String> command, List<String> versionCommand) {
        Ran ran = run(versionCommand);
        String version = ran.out() + ran.err();
        Matcher major = KUSTOMIZE_VERSION.matcher(version);
        if (!major.find()) {
            return unavailable(String.join(" ", versionCommand) + " names no kustomize version: " + version.strip());
        }
        if (Integer.parseInt(major.group(1)) < KUSTOMIZE_MAJOR_NEEDED) {
            return unavailable(command.get(0) + " has kustomize v" + major.group(1) + ", and these kustomizations need v"
                + KUSTOMIZE_MAJOR_NEEDED + " (kubectl 1.27 or later)");
        }
        return List.copyOf(command);
    }

    private record Ran(int exit, String out, String err) {
    }

    /** Runs a command to its end; its errors go through a file, so that neither output can fill a pipe and hang it. */
    private static Ran run(List<String> command) {
        Path errors = null;
        try {
            errors = Files.createTempFile("kustomize", ".err");
            Process process = new ProcessBuilder(command).redirectError(errors.toFile()).start();
            process.getOutputStream().close();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
            return new Ran(process.exitValue(), out, Files.readString(errors));
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } finally {
            if (errors != null) {
                errors.toFile().delete();
            }
        }
    }

    private static List<String> unavailable(String why) {
        String message = why + ": the rendering of overlays and components is NOT checked";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(message + " — and CI must not skip it (.ci/run installs kubectl)");
        }
        System.err.println("\n!!! " + message + " !!!\n");
        Assumptions.abort(message);
        return List.of();
    }
}
