package dockercoins.rng;

import dockercoins.shared.testing.ChildProcess;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** rng as its own process: what a container runtime sees at start and at SIGTERM. */
class RngProcessTest {

    private static final Pattern READY = Pattern.compile("rng ready on port (\\d+)");
    private static final Pattern ACTIVE_REQUESTS =
        Pattern.compile("(?m)^vertx_http_server_active_requests\\{[^}]*} (\\S+)$");

    @Test
    void badEnvValuePrintsOneLineAndExitsNonZero() throws Exception {
        try (ChildProcess rng = ChildProcess.java("dockercoins.rng.Rng", Map.of("RNG_MAX_BYTES", "lots"))) {
            int exit = rng.awaitExit(Duration.ofSeconds(30));
            assertEquals(2, exit);
            List<String> lines = rng.lines();
            assertEquals(1, lines.size(), rng.output());
            assertTrue(lines.get(0).endsWith(
                "cannot start: RNG_MAX_BYTES=\"lots\" is invalid: expected a whole number from 0 to 2147482623"),
                lines.get(0));
        }
    }

    @Test
    void accessLogFalsePrintsNoRequestLines() throws Exception {
        try (ChildProcess rng = ChildProcess.java("dockercoins.rng.Rng",
            Map.of("PORT", "0", "RNG_DELAY_MS", "0", "ACCESS_LOG", "false"))) {
            Matcher ready = READY.matcher(rng.awaitLine(line -> READY.matcher(line).find(), Duration.ofSeconds(30)));
            assertTrue(ready.find());
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            assertEquals(200, http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + ready.group(1) + "/8"))
                .build(), HttpResponse.BodyHandlers.discarding()).statusCode());
            assertEquals(0, rng.terminate(Duration.ofSeconds(30)));
            assertTrue(rng.lines().stream().noneMatch(line -> line.contains("rng.access")), rng.output());
        }
    }

    @Test
    void sigtermFinishesTheRequestInFlightAndExitsZero() throws Exception {
        try (ChildProcess rng = ChildProcess.java("dockercoins.rng.Rng", Map.of("PORT", "0", "RNG_DELAY_MS", "3000"))) {
            Matcher ready = READY.matcher(rng.awaitLine(line -> READY.matcher(line).find(), Duration.ofSeconds(30)));
            assertTrue(ready.find());
            int port = Integer.parseInt(ready.group(1));
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            // A first request warms the fresh JVM up, so that the next one is seen well inside its 3 s.
            assertEquals(200, http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/")).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode());
            CompletableFuture<HttpResponse<byte[]>> inFlight = http.sendAsync(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/32")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
            awaitInFlight(http, port, inFlight);  // the request is now waiting out its 3 s of simulated work
            int exit = rng.terminate(Duration.ofSeconds(30));
            HttpResponse<byte[]> response = inFlight.get();
            assertEquals(200, response.statusCode());
            assertEquals(32, response.body().length);
            assertEquals(0, exit, rng.output());
            assertTrue(rng.output().contains("rng stopped in"), rng.output());
            assertTrue(rng.output().contains("rng.access - 127.0.0.1 \"GET /32\" 200 32 "), "no access-log line");
        }
    }

    /**
     * Waits until rng's /metrics counts a request in progress besides the scrape asking, rather than guessing how
     * long the request takes to arrive. (Should it be answered first, on a very slow machine, there is no waiting.)
     */
    private static void awaitInFlight(HttpClient http, int port, CompletableFuture<?> request) throws Exception {
        HttpRequest scrape = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics")).build();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!request.isDone()) {
            String metrics = http.send(scrape, HttpResponse.BodyHandlers.ofString()).body();
            double active = 0;
            Matcher line = ACTIVE_REQUESTS.matcher(metrics);
            while (line.find()) {
                active += Double.parseDouble(line.group(1));
            }
            if (active >= 2) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, "GET /32 never reached rng: " + metrics);
            Thread.sleep(20);
        }
    }
}
