package dockercoins.deploy;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** The real tools CI installs (.ci/run): kubectl (with kustomize), helm and promtool. */
final class Tools {

    private Tools() {
    }

    record Ran(int exit, String out, String err) {
    }

    static String kustomize(Path dir) {
        return ok("kubectl", "kustomize", dir.toString());
    }

    /** The output of a run that must succeed. */
    static String ok(String tool, String... args) {
        Ran ran = run(tool, args);
        assertEquals(0, ran.exit(), ran.err() + ran.out());
        return ran.out();
    }

    /** Runs a tool to its end; errors go through a file, so that no full pipe can hang it. */
    static Ran run(String tool, String... args) {
        List<String> command = new ArrayList<>(List.of(find(tool).toString()));
        command.addAll(List.of(args));
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
        Path cache = Path.of(System.getProperty("user.home"), ".cache", "dockercoins-ci");
        List<Path> dirs = new ArrayList<>();
        if (Files.isDirectory(cache)) {
            try (Stream<Path> cached = Files.list(cache)) {
                dirs.addAll(cached.sorted().toList());
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
        Stream.of(System.getenv().getOrDefault("PATH", "").split(":")).map(Path::of).forEach(dirs::add);
        return dirs.stream().map(d -> d.resolve(tool)).filter(Files::isExecutable).findFirst().orElseGet(() -> {
            String message = tool + " is not installed: the checks that need it did NOT run";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(message + ", and CI must not skip them (.ci/run installs it)");
            }
            System.err.println("\n!!! " + message + " !!!\n");
            Assumptions.abort(message);
            return null;
        });
    }
}
