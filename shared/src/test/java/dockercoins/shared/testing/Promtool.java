package dockercoins.shared.testing;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Prometheus' own linter, {@code promtool} (Debian package "prometheus"), as a test oracle.
 * Without it a local run skips the check loudly; under CI (CI=true) its absence is a failure.
 */
public final class Promtool {

    private Promtool() {
    }

    public static void checkMetrics(String exposition) throws IOException, InterruptedException {
        Path promtool = find();
        Process process = new ProcessBuilder(promtool.toString(), "check", "metrics")
            .redirectErrorStream(true)
            .start();
        process.getOutputStream().write(exposition.getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "promtool did not finish");
        assertEquals(0, process.exitValue(), "promtool check metrics found problems:\n" + output);
    }

    public static void checkConfig(Path prometheusYml) throws IOException, InterruptedException {
        Path promtool = find();
        Process process = new ProcessBuilder(promtool.toString(), "check", "config", "--syntax-only",
            prometheusYml.toString()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "promtool did not finish");
        assertEquals(0, process.exitValue(), "promtool check config found problems:\n" + output);
    }

    private static Path find() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path candidate = Path.of(dir, "promtool");
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        String message = "promtool is not installed (apt-get install prometheus): the Prometheus format check is SKIPPED";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(message + " — and CI must not skip it");
        }
        System.err.println("\n!!! " + message + " !!!\n");
        Assumptions.abort(message);
        return null;
    }
}
