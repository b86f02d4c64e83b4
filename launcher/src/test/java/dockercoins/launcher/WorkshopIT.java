package dockercoins.launcher;

import dockercoins.shared.testing.ChildProcess;
import dockercoins.shared.testing.Services;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dockercoins.shared.testing.Services.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The workshop's own diagnostics, against the packaged miner: httping's HEAD, the rng bottleneck, port 80. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class WorkshopIT {

    private static final Path JAR = Path.of("target", "launcher.jar");

    @Test
    void headIsAnsweredLikeGetOnEveryService(Vertx vertx) throws Exception {
        int base = LauncherIT.freeBasePort(1);
        try (ChildProcess launcher = LauncherIT.launch(base, 1, Map.of())) {
            WebClient client = Services.httpClient(vertx);
            // httping sends HEAD /: rng and hasher answer it 200, the webui with its redirect to the dashboard.
            assertHead(client, base + 1, "/", 200);
            assertHead(client, base + 2, "/", 200);
            assertHead(client, base, "/", 302);
            assertHead(client, base, "/index.html", 200);
            assertHead(client, base, "/json", 200);
            assertHead(client, base + 1, "/32", 200);
            for (int port = base; port <= base + 3; port++) {
                for (String probe : List.of("/healthz", "/readyz", "/metrics")) {
                    assertHead(client, port, probe, 200);
                }
            }
            assertEquals(0, launcher.terminate(Duration.ofSeconds(60)), launcher.output());
        }
    }

    private static void assertHead(WebClient client, int port, String path, int status) throws Exception {
        HttpResponse<?> response = await(client.request(HttpMethod.HEAD, port, "localhost", path).followRedirects(false).send());
        assertEquals(status, response.statusCode(), "HEAD " + path + " on port " + port);
        assertEquals(null, response.body(), "HEAD " + path + " on port " + port + " sent a body");
    }

    /** The slides' diagnosis: with ten workers, `httping rng` is slow and `httping hasher` is fast. */
    @Test
    void withRngConcurrencyOneTenWorkersMakeRngSlowToAnswerAndHasherStaysFast(Vertx vertx) throws Exception {
        int base = LauncherIT.freeBasePort(10);
        try (ChildProcess launcher = LauncherIT.launch(base, 10, Map.of("RNG_CONCURRENCY", "1"))) {
            WebClient client = Services.httpClient(vertx);
            Thread.sleep(2000);  // every worker's loop is under way, so rng's queue is full
            long rngMs = medianHeadMs(client, base + 1);
            long hasherMs = medianHeadMs(client, base + 2);
            // Ten workers queue for one rng place at 0.1 s each: HEAD / waits several hundred ms behind them.
            assertTrue(rngMs >= 300, "rng answered HEAD / in " + rngMs + " ms with its queue full");
            assertTrue(rngMs > 5 * hasherMs, "rng " + rngMs + " ms against hasher " + hasherMs + " ms");
            assertEquals(0, launcher.terminate(Duration.ofSeconds(60)), launcher.output());
        }
    }

    private static long medianHeadMs(WebClient client, int port) throws Exception {
        long[] ms = new long[5];
        for (int i = 0; i < ms.length; i++) {
            long began = System.nanoTime();
            assertEquals(200, await(client.request(HttpMethod.HEAD, port, "localhost", "/").send()).statusCode());
            ms[i] = (System.nanoTime() - began) / 1_000_000;
        }
        Arrays.sort(ms);
        return ms[ms.length / 2];
    }

    /** A non-root user on a host that keeps ports below 1024 privileged: one line that names the fix. */
    @Test
    void aNonRootServiceOnPort80FailsWithOneLineNamingTheSysctl() throws Exception {
        // readAllLines, not readString: /proc files report a size of 0, and readString then reads one byte only.
        int firstUnprivileged = Integer.parseInt(
            Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_unprivileged_port_start")).get(0).trim());
        assumeTrue(firstUnprivileged > 80, "this host lets any user bind port 80: nothing to refuse");
        List<String> command = new ArrayList<>();
        Path dir = Files.createTempDirectory("dockercoins-nonroot");
        try {
            Path jar = dir.resolve("launcher.jar");
            if ("root".equals(System.getProperty("user.name"))) {
                // As root, become nobody; the jar must then be readable by nobody.
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
                Files.copy(JAR, jar, StandardCopyOption.REPLACE_EXISTING);
                Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
                command.addAll(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
            } else {
                Files.copy(JAR, jar, StandardCopyOption.REPLACE_EXISTING);
            }
            command.addAll(List.of(ChildProcess.javaBinary(), "-cp", jar.toString(), "dockercoins.rng.Rng"));
            try (ChildProcess rng = ChildProcess.start(command, Map.of("PORT", "80"))) {
                assertEquals(1, rng.awaitExit(Duration.ofSeconds(60)), rng.output());
                List<String> lines = rng.lines();
                assertEquals(1, lines.size(), "one line, no stack trace:\n" + rng.output());
                assertTrue(lines.get(0).contains("cannot start:")
                    && lines.get(0).contains("net.ipv4.ip_unprivileged_port_start=0")
                    && lines.get(0).contains("set PORT to 1024 or above"), lines.get(0));
            }
        } finally {
            Files.deleteIfExists(dir.resolve("launcher.jar"));
            Files.delete(dir);
        }
    }
}
