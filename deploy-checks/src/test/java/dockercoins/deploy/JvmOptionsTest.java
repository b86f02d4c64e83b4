package dockercoins.deploy;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** jvm.options, the one place the containers' JVM flags live, run as the image runs them. */
class JvmOptionsTest {

    private static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");
    private static final Path OPTIONS = Repo.path("jvm.options");

    @Test
    void theFlagsAreAcceptedByTheJvmWithoutWarnings() throws Exception {
        Process process = new ProcessBuilder(JAVA.toString(), "@" + OPTIONS, "-version").redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), "java @jvm.options -version:\n" + output);
        assertFalse(output.toLowerCase().contains("warning"), "the JVM warns about a flag:\n" + output);
    }

    @Test
    void theFlagsAreTheSmallFootprintOnes() {
        List<String> flags = flags();
        for (String expected : List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:+ExitOnOutOfMemoryError")) {
            assertTrue(flags.contains(expected), "jvm.options has " + expected);
        }
        assertTrue(flags.stream().anyMatch(f -> f.startsWith("-XX:MaxRAMPercentage=")), "the heap follows the container's memory limit");
        assertTrue(flags.stream().noneMatch(f -> f.startsWith("-Xmx")),
            "no fixed maximum heap: it would ignore the container's memory limit");
        // A small initial heap keeps RSS low on a big host; a large one would be kept resident once touched.
        assertTrue(flags.contains("-Xms16m"), "a small initial heap, whatever the host's RAM");
    }

    /** The image's command: java @jvm.options -jar <service>.jar; ready on /readyz, exit 0 on SIGTERM. */
    @Test
    void eachServiceStartsWithTheImageCommandAndStopsCleanlyOnSigterm() throws Exception {
        InProcess.pending();
        for (String service : InProcess.startable()) {
            int port;
            try (ServerSocket socket = new ServerSocket(0)) {
                port = socket.getLocalPort();
            }
            List<String> command = new ArrayList<>(List.of(JAVA.toString(), "@" + OPTIONS));
            Path jar = Repo.path(service + "/target/" + service + ".jar");
            if (Files.isRegularFile(jar)) {
                command.addAll(List.of("-jar", jar.toString()));
            } else {
                // `mvn test` does not package: run the same main class from the test class path.
                System.err.println(jar + " is not built (mvn test, not install): running its main class instead");
                command.addAll(List.of("-cp", System.getProperty("java.class.path"), Repo.pomProperty(service, "main.class")));
            }
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(Files.createTempFile("dockercoins-" + service, ".log").toFile());
            builder.environment().put("PORT", String.valueOf(port));
            builder.environment().put("ACCESS_LOG", "false");
            // Whatever a service calls is a closed local port: this is about starting and stopping.
            builder.environment().put("RNG_URL", "http://127.0.0.1:1");
            builder.environment().put("HASHER_URL", "http://127.0.0.1:1");
            builder.environment().put("REDIS_URL", "redis://127.0.0.1:1");
            Process process = builder.start();
            try {
                awaitReady(service, port, process);
                process.destroy();  // SIGTERM, as docker stop and Kubernetes send it
                assertTrue(process.waitFor(30, TimeUnit.SECONDS), service + " did not stop within 30 s of SIGTERM");
                assertEquals(0, process.exitValue(), service + " exits 0 after a graceful stop");
            } finally {
                process.destroyForcibly();
            }
        }
    }

    static List<String> flags() {
        List<String> flags = new ArrayList<>();
        for (String line : Repo.read(OPTIONS).split("\n")) {
            String flag = line.replaceAll("#.*", "").trim();
            if (!flag.isEmpty()) {
                flags.add(flag);
            }
        }
        return flags;
    }

    /** The heap's share of the container memory limit, from -XX:MaxRAMPercentage. */
    static double maxRamFraction() {
        return flags().stream().filter(f -> f.startsWith("-XX:MaxRAMPercentage="))
            .map(f -> Double.parseDouble(f.substring("-XX:MaxRAMPercentage=".length())) / 100)
            .findFirst().orElseThrow(() -> new AssertionError("jvm.options sets no -XX:MaxRAMPercentage"));
    }

    private static void awaitReady(String service, int port, Process process) throws InterruptedException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + Contract.READINESS_PATH))
            .timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            assertTrue(process.isAlive(), service + " exited before it was ready (exit " + exitOf(process) + ")");
            try {
                if (client.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError(service + " was not ready within 30 s");
    }

    private static String exitOf(Process process) {
        return process.isAlive() ? "none" : String.valueOf(process.exitValue());
    }
}
