package dockercoins.deploy;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The code stays readable as it grows: a newcomer opens one short file per service first, and no class of main code
 * is long enough to hide several concerns.
 */
class CodeShapeTest {

    /** Past this a class is doing more than one thing: split it by concern, as shared's armour is. */
    private static final int MOST_LINES_A_CLASS = 200;

    @Test
    void noMainClassIsOverTwoHundredLines() throws IOException {
        List<String> tooLong;
        try (Stream<Path> files = Files.walk(Repo.ROOT)) {
            tooLong = files
                .filter(file -> file.toString().endsWith(".java"))
                .filter(file -> Repo.ROOT.relativize(file).toString().contains("/src/main/java/"))
                .filter(file -> lineCount(file) > MOST_LINES_A_CLASS)
                .map(file -> Repo.ROOT.relativize(file) + " (" + lineCount(file) + " lines)")
                .sorted()
                .toList();
        }
        assertEquals(List.of(), tooLong, "main classes over " + MOST_LINES_A_CLASS + " lines");
    }

    @Test
    void eachServiceHasAFirstFileThatSaysWhereTheRestLives() {
        for (String service : List.of("rng/Rng", "hasher/Hasher", "worker/Worker", "webui/Webui")) {
            String module = service.substring(0, service.indexOf('/'));
            String file = module + "/src/main/java/dockercoins/" + service + ".java";
            String text = Repo.read(file);
            int lines = (int) text.lines().count();
            assertTrue(lines <= MOST_LINES_A_CLASS, file + " is " + lines + " lines");
            // The first comment is the map: it names the service's other classes, or says it has none.
            String firstComment = text.substring(text.indexOf("/**"), text.indexOf("*/") + 2);
            assertTrue(firstComment.contains("rest") || firstComment.contains("shared"),
                file + "'s first comment does not say where the rest of the service lives: " + firstComment);
        }
    }

    private static long lineCount(Path file) {
        try (Stream<String> lines = Files.lines(file)) {
            return lines.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
