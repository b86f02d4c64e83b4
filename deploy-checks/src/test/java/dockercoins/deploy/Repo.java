package dockercoins.deploy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.*;
import java.nio.file.*;
import java.util.*;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** The repository the tests check: its files, read strictly (a duplicate YAML key is an error). */
final class Repo {

    static final Path ROOT = findRoot();
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
        .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private Repo() {
    }

    static Path path(String relative) {
        return ROOT.resolve(relative);
    }

    static String read(String relative) {
        Path file = path(relative);
        assertTrue(Files.isRegularFile(file), "missing file " + relative);
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode yaml(String relative) {
        return parse(YAML, relative);
    }

    static JsonNode json(String relative) {
        return parse(JSON, relative);
    }

    private static JsonNode parse(ObjectMapper mapper, String relative) {
        try {
            return mapper.readTree(read(relative));
        } catch (IOException e) {
            throw new AssertionError(relative + " does not parse: " + e.getMessage(), e);
        }
    }

    /** Every document of a multi-document YAML text (empty documents left out). */
    static List<JsonNode> yamlDocuments(String text, String origin) {
        List<JsonNode> documents = new ArrayList<>();
        try (var values = YAML.readerFor(JsonNode.class).<JsonNode>readValues(text)) {
            while (values.hasNextValue()) {
                JsonNode document = values.nextValue();
                if (document != null && !document.isNull() && !document.isMissingNode()) {
                    documents.add(document);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new AssertionError(origin + " is not valid YAML: " + e.getMessage(), e);
        }
        return documents;
    }

    /** The texts of a YAML or JSON list. */
    static List<String> texts(JsonNode list) {
        List<String> texts = new ArrayList<>();
        list.forEach(item -> texts.add(item.asText()));
        return texts;
    }

    static Set<String> keys(JsonNode object) {
        Set<String> keys = new TreeSet<>();
        object.fieldNames().forEachRemaining(keys::add);
        return keys;
    }

    /** The modules the parent pom builds. */
    static List<String> modules() {
        return all("<module>([^<]+)</module>", read("pom.xml"));
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
        Matcher matcher = Pattern.compile(regex).matcher(text);
        while (matcher.find()) {
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
}
