package dockercoins.deploy;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The docs say what the files do: nothing they point to is missing, every section a link names is there, README
 * leads to every page of docs/, and compose.yaml is described as it is.
 */
class DocsTest {

    private static final List<String> DOCS = docs();
    /** A Markdown link's target, without its #anchor; URLs and pure anchors left out. */
    private static final Pattern LINK = Pattern.compile("\\]\\((?!https?:|#|mailto:)([^)#\\s]+)");
    /** A Markdown link to a section: the file (empty for the same file) and the anchor. */
    private static final Pattern SECTION_LINK = Pattern.compile("\\]\\((?!https?:|mailto:)([^)#\\s]*)#([^)\\s]+)\\)");
    /** A path in backquotes, e.g. `containers/run-java.sh`; placeholders and globs left out. */
    private static final Pattern QUOTED_PATH = Pattern.compile("`([A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+/?)`");
    /** A project document named in any text file, e.g. BENCHMARKS.md. */
    private static final Pattern DOCUMENT = Pattern.compile("\\b([A-Z][A-Z_]+\\.md)\\b");

    @Test
    void everyFileTheDocsPointToExists() throws IOException {
        Set<String> topLevel = new TreeSet<>();
        try (Stream<Path> entries = Files.list(Repo.path(""))) {
            entries.forEach(entry -> topLevel.add(entry.getFileName().toString()));
        }
        List<String> missing = new ArrayList<>();
        for (String doc : DOCS) {
            Path folder = Repo.path(doc).getParent();
            for (String line : Repo.read(doc).split("\n")) {
                for (Matcher link = LINK.matcher(line); link.find(); ) {
                    if (!Files.exists(folder.resolve(link.group(1)))) {
                        missing.add(doc + " links to " + link.group(1));
                    }
                }
                // Paths of this repository only: the workshop's own files (slides/k8s/…) are named too, and what a
                // build writes (…/target/…) is not in a fresh clone.
                for (Matcher quoted = QUOTED_PATH.matcher(line); quoted.find(); ) {
                    String path = quoted.group(1);
                    if (topLevel.contains(path.substring(0, path.indexOf('/'))) && !path.contains("target/")
                        && !Files.exists(Repo.path(path))) {
                        missing.add(doc + " names " + path);
                    }
                }
            }
        }
        assertEquals(List.of(), missing);
    }

    @Test
    void everySectionTheDocsLinkToExists() {
        List<String> missing = new ArrayList<>();
        for (String doc : DOCS) {
            Path folder = Repo.path(doc).getParent();
            for (Matcher link = SECTION_LINK.matcher(Repo.read(doc)); link.find(); ) {
                Path target = link.group(1).isEmpty() ? Repo.path(doc) : folder.resolve(link.group(1)).normalize();
                String relative = Repo.path("").relativize(target).toString();
                if (relative.endsWith(".md") && Files.isRegularFile(target)
                    && !anchors(Repo.read(relative)).contains(link.group(2))) {
                    missing.add(doc + " links to " + link.group(1) + "#" + link.group(2));
                }
            }
        }
        assertEquals(List.of(), missing);
    }

    @Test
    void readmeLeadsToEveryDocsPage() {
        String readme = Repo.read("README.md");
        List<String> unlinked = DOCS.stream().filter(doc -> doc.startsWith("docs/"))
            .filter(doc -> !readme.contains("](" + doc + ")")).toList();
        assertEquals(List.of(), unlinked, "docs pages README does not link to");
    }

    @Test
    void noTextNamesAProjectDocumentTheRepositoryLacks() throws IOException {
        Set<String> documents = new TreeSet<>();
        List<Path> texts = new ArrayList<>();
        Path root = Repo.path("");
        try (Stream<Path> files = Files.walk(root)) {
            files.filter(Files::isRegularFile)
                .filter(file -> Stream.of(".git", "target", "node_modules").noneMatch(skip ->
                    ("/" + root.relativize(file)).contains("/" + skip + "/")))
                .forEach(file -> {
                    documents.add(file.getFileName().toString());
                    if (file.toString().matches(".*\\.(java|md|sh|yaml|yml|lua|js|html|txt|tpl|awk)$")
                        || file.getFileName().toString().equals("Dockerfile")) {
                        texts.add(file);
                    }
                });
        }
        List<String> missing = new ArrayList<>();
        for (Path text : texts) {
            String content;
            try {
                content = Files.readString(text);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            for (Matcher named = DOCUMENT.matcher(content); named.find(); ) {
                if (!documents.contains(named.group(1))) {
                    missing.add(root.relativize(text) + " names " + named.group(1));
                }
            }
        }
        assertEquals(List.of(), missing, "documents named but not in the repository");
    }

    @Test
    void composeIsDescribedAsItIs() {
        // compose.yaml has no top-level name: (docker-compose 1 refuses it), so no doc may say it has, or needs v2.
        assertFalse(Repo.yaml("compose.yaml").has("name"), "compose.yaml has a top-level name:");
        for (String doc : DOCS) {
            String text = Repo.read(doc);
            assertFalse(text.contains("has a top-level `name:`") || text.contains("top-level `name:` is v2"),
                doc + " says compose.yaml has a top-level name:");
            assertFalse(text.contains("You need Docker with Compose v2"), doc + " says Compose v2 is needed");
        }
    }

    /** README, BENCHMARKS, every page of docs/ and the modules' own READMEs. */
    private static List<String> docs() {
        List<String> docs = new ArrayList<>(
            List.of("README.md", "BENCHMARKS.md", "webui/README.md", "worker/README.md"));
        try (Stream<Path> pages = Files.list(Repo.path("docs"))) {
            pages.map(page -> "docs/" + page.getFileName()).filter(page -> page.endsWith(".md")).sorted()
                .forEach(docs::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return List.copyOf(docs);
    }

    /**
     * The anchors GitHub gives a page's headings (not a shell comment in a code block): lower case, punctuation
     * dropped, spaces as hyphens.
     */
    private static Set<String> anchors(String markdown) {
        Set<String> anchors = new TreeSet<>();
        boolean inCode = false;
        for (String line : markdown.split("\n")) {
            if (line.startsWith("```")) {
                inCode = !inCode;
            } else if (!inCode && line.matches("#{1,6} .*")) {
                anchors.add(line.replaceFirst("#+ ", "").strip().toLowerCase(Locale.ROOT)
                    .replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-'));
            }
        }
        return anchors;
    }
}
