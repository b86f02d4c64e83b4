package dockercoins.deploy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The repository the tests check: its files, read strictly (a duplicate YAML key is an error). */
final class Repo {

    static final Path ROOT = findRoot();

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
        .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    static final ObjectMapper JSON = new ObjectMapper()
        .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private Repo() {
    }

    static Path path(String relative) {
        return ROOT.resolve(relative);
    }

    static String read(Path file) {
        assertTrue(Files.isRegularFile(file), "missing file " + ROOT.relativize(file));
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode yaml(Path file) {
        try {
            return YAML.readTree(read(file));
        } catch (IOException e) {
            throw new AssertionError(ROOT.relativize(file) + " is not valid YAML: " + e.getMessage(), e);
        }
    }

    /** Every document of a multi-document YAML file (empty documents left out). */
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

    static JsonNode json(Path file) {
        try {
            return JSON.readTree(read(file));
        } catch (IOException e) {
            throw new AssertionError(ROOT.relativize(file) + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    /** The modules the parent pom builds. */
    static Set<String> modules() {
        Set<String> modules = new TreeSet<>();
        NodeList list = pom(path("pom.xml")).getElementsByTagName("module");
        for (int i = 0; i < list.getLength(); i++) {
            modules.add(list.item(i).getTextContent().trim());
        }
        return modules;
    }

    /** A module pom's own artifactId (not its parent's). */
    static String artifactId(String module) {
        return childText(pom(path(module + "/pom.xml")).getDocumentElement(), "artifactId");
    }

    /** A property of a module pom, e.g. main.class; null when it has none. */
    static String pomProperty(String module, String name) {
        Element root = pom(path(module + "/pom.xml")).getDocumentElement();
        for (Element properties : children(root, "properties")) {
            String value = childText(properties, name);
            if (value != null) {
                return value;
            }
        }
        return null;
    }

    /** Whether a pom's build declares a plugin, by artifactId (plugins, not pluginManagement). */
    static boolean declaresPlugin(String module, String artifactId) {
        Element root = pom(path(module + "/pom.xml")).getDocumentElement();
        for (Element build : children(root, "build")) {
            for (Element plugins : children(build, "plugins")) {
                for (Element plugin : children(plugins, "plugin")) {
                    if (artifactId.equals(childText(plugin, "artifactId"))) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    static Document pom(Path file) {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(false);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            return factory.newDocumentBuilder().parse(file.toFile());
        } catch (Exception e) {
            throw new AssertionError("cannot read " + ROOT.relativize(file) + ": " + e, e);
        }
    }

    static List<Element> children(Element parent, String tag) {
        List<Element> found = new ArrayList<>();
        for (Node child = parent.getFirstChild(); child != null; child = child.getNextSibling()) {
            if (child instanceof Element element && element.getTagName().equals(tag)) {
                found.add(element);
            }
        }
        return found;
    }

    static String childText(Element parent, String tag) {
        List<Element> found = children(parent, tag);
        return found.isEmpty() ? null : found.get(0).getTextContent().trim();
    }

    private static Path findRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            if (Files.isRegularFile(dir.resolve("compose.yaml")) && Files.isDirectory(dir.resolve("deploy-checks"))) {
                return dir;
            }
            dir = dir.getParent();
        }
        throw new AssertionError("cannot find the repository root (a directory with compose.yaml and deploy-checks/) above "
            + Path.of("").toAbsolutePath());
    }
}
