package dockercoins.deploy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.*;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Assumptions;

import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import java.util.concurrent.TimeUnit;
import java.util.regex.*;
import java.util.stream.*;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The repository the tests check, its files read strictly (a duplicate YAML key is an error), and the real tools
 * CI installs (.ci/run) to render and check them: kubectl (with kustomize), helm and promtool.
 */
final class Repo {

    static final Path ROOT = findRoot();
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
        .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    record Ran(int exit, String out, String err) { }

    static Path path(String relative) {
        return ROOT.resolve(relative);
    }

    static String read(String relative) {
        assertTrue(Files.isRegularFile(path(relative)), "missing file " + relative);
        try {
            return Files.readString(path(relative));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A YAML file, or a JSON one (*.json). */
    static JsonNode yaml(String relative) {
        try {
            return (relative.endsWith(".json") ? JSON : YAML).readTree(read(relative));
        } catch (IOException e) {
            throw new AssertionError(relative + " does not parse: " + e.getMessage(), e);
        }
    }

    /** Every document of a multi-document YAML text (empty documents left out). */
    static List<JsonNode> yamlDocuments(String text, String origin) {
        try (var values = YAML.readerFor(JsonNode.class).<JsonNode>readValues(text)) {
            return values.readAll().stream().filter(d -> d != null && !d.isNull() && !d.isMissingNode()).toList();
        } catch (IOException | RuntimeException e) {
            throw new AssertionError(origin + " is not valid YAML: " + e.getMessage(), e);
        }
    }

    static List<String> texts(JsonNode list) {
        return StreamSupport.stream(list.spliterator(), false).map(JsonNode::asText).toList();
    }

    static Set<String> keys(JsonNode object) {
        return new TreeSet<>(object.properties().stream().map(Map.Entry::getKey).toList());
    }

    /** A module pom's own element or property, e.g. artifactId or main.class; null when it has none. */
    static String pomValue(String module, String element) {
        String pom = read(module + "/pom.xml").replaceAll("(?s)<parent>.*?</parent>", "");
        List<String> values = all("<" + Pattern.quote(element) + ">([^<]+)</", pom);
        return values.isEmpty() ? null : values.get(0);
    }

    /** The first group of every match of a regular expression. */
    static List<String> all(String regex, String text) {
        List<String> found = new ArrayList<>();
        for (Matcher matcher = Pattern.compile(regex).matcher(text); matcher.find(); ) {
            found.add(matcher.group(1).trim());
        }
        return found;
    }

    private static Path findRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("compose.yaml")) && Files.isDirectory(dir.resolve("deploy-checks"))) {
                return dir;
            }
        }
        throw new AssertionError("no repository root (compose.yaml and deploy-checks/) above " + Path.of(""));
    }

    /** The output of a tool's run that must succeed. */
    static String tool(String tool, String... args) {
        Ran ran = run(tool, args);
        assertEquals(0, ran.exit(), ran.err() + ran.out());
        return ran.out();
    }

    /** Runs a tool to its end; errors go through a file, so that no full pipe can hang it. */
    static Ran run(String tool, String... args) {
        List<String> command = Stream.concat(Stream.of(find(tool).toString()), Stream.of(args)).toList();
        try {
            Path errors = Files.createTempFile("dockercoins-tool", ".err");
            try {
                Process process = new ProcessBuilder(command).redirectError(errors.toFile()).start();
                process.getOutputStream().close();
                String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(process.waitFor(60, TimeUnit.SECONDS), command + " did not finish");
                return new Ran(process.exitValue(), out, Files.readString(errors));
            } finally {
                Files.delete(errors);
            }
        } catch (IOException | InterruptedException e) {
            throw new AssertionError("cannot run " + command + ": " + e, e);
        }
    }

    /** Where .ci/run installs it, or on PATH; missing: skipped loudly, or a failure under CI. */
    private static Path find(String tool) {
        List<Path> dirs = new ArrayList<>();
        Path cache = Path.of(System.getProperty("user.home"), ".cache", "dockercoins-ci");
        try (Stream<Path> cached = Files.isDirectory(cache) ? Files.list(cache) : Stream.empty()) {
            dirs.addAll(cached.sorted().toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Stream.of(System.getenv().getOrDefault("PATH", "").split(":")).map(Path::of).forEach(dirs::add);
        return dirs.stream().map(d -> d.resolve(tool)).filter(Files::isExecutable).findFirst().orElseGet(() -> {
            String message = tool + " is not installed (.ci/run installs it): the checks that need it did NOT run";
            assertFalse("true".equalsIgnoreCase(System.getenv("CI")), message + ", and CI must not skip them");
            System.err.println("\n!!! " + message + " !!!\n");
            Assumptions.abort(message);
            return null;
        });
    }
}
