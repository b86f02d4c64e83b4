package dockercoins.launcher;

import dockercoins.shared.ConnectionDeadlines;
import dockercoins.shared.testing.ChildProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Attacks a client can make, each against a service run as its container runs it (jvm.options, and the heap that
 * the manifests' 256 MiB limit gives), on loopback, bounded in count and time. Each must leave the service alive,
 * answering /healthz within 1 s meanwhile, under its memory bound, with no stack trace in its log. BENCHMARKS.md,
 * "Reliability", has the figures measured.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class HostileClientIT {

    private static final Path JAR = Path.of("target", "launcher.jar");
    private static final Pattern READY = Pattern.compile("ready on port (\\d+)");
    /** The memory limit of every pod, as its RSS bound: the JVM may use it, and must not need more. */
    private static final long RSS_BOUND_MIB = 256;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();

    private record Running(ChildProcess process, int port) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            process.close();
        }
    }

    private static Running start(String mainClass, Map<String, String> env) throws Exception {
        List<String> command = new ArrayList<>(List.of(ChildProcess.javaBinary(), "@" + Path.of("..", "jvm.options"),
            "-XX:MaxRAM=256m", "-cp", JAR.toString(), mainClass));
        Map<String, String> vars = new java.util.HashMap<>(Map.of("PORT", "0"));
        vars.putAll(env);
        ChildProcess process = ChildProcess.start(command, vars);
        Matcher ready = READY.matcher(process.awaitLine(line -> READY.matcher(line).find(), Duration.ofSeconds(60)));
        assertTrue(ready.find());
        return new Running(process, Integer.parseInt(ready.group(1)));
    }

    /**
     * Alive, /healthz within 2 s (1 s measured on an idle machine; the attacking client shares the same 2 cores),
     * under the RSS bound, and no stack trace logged.
     */
    private static void assertStillWell(Running service, String after) throws Exception {
        assertTrue(service.process().isAlive(), "died " + after + ":\n" + service.process().output());
        long began = System.nanoTime();
        assertEquals(200, get(service.port(), "/healthz").statusCode());
        long tookMs = (System.nanoTime() - began) / 1_000_000;
        assertTrue(tookMs < 2_000, "/healthz took " + tookMs + " ms " + after);
        long rss = service.process().rssMiB();
        assertTrue(rss < RSS_BOUND_MIB, "RSS " + rss + " MiB " + after);
        assertFalse(service.process().output().contains("\tat "), "a stack trace " + after + ":\n"
            + service.process().output());
        System.out.printf("%s: alive, /healthz in %d ms, RSS %d MiB%n", after, tookMs, rss);
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void hundredConcurrentOneMiBUploadsAreHashedInBoundedMemory() throws Exception {
        try (Running hasher = start("dockercoins.hasher.Hasher", Map.of("ACCESS_LOG", "false"))) {
            byte[] body = new byte[1 << 20];
            ThreadLocalRandom.current().nextBytes(body);
            String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
            List<CompletableFuture<HttpResponse<String>>> uploads = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                uploads.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + hasher.port() + "/"))
                    .header("Content-Type", "multipart/form-data; boundary=x")  // hashed as sent, never decoded
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString()));
            }
            assertStillWell(hasher, "during 100 concurrent 1 MiB uploads");
            for (CompletableFuture<HttpResponse<String>> upload : uploads) {
                HttpResponse<String> response = upload.get(60, TimeUnit.SECONDS);
                assertEquals(200, response.statusCode());
                assertEquals(expected, response.body());
            }
            assertStillWell(hasher, "after 100 concurrent 1 MiB uploads");
        }
    }

    @Test
    void slowReadersOfLargeAnswersNeitherStarveOthersNorFillMemory() throws Exception {
        try (Running rng = start("dockercoins.rng.Rng", Map.of("RNG_DELAY_MS", "0", "ACCESS_LOG", "false"))) {
            List<Socket> readers = new ArrayList<>();
            try {
                for (int i = 0; i < 50; i++) {
                    Socket reader = new Socket();
                    reader.setReceiveBufferSize(4096);
                    reader.connect(new InetSocketAddress("127.0.0.1", rng.port()));
                    reader.getOutputStream().write(("GET /1048576 HTTP/1.1\r\nHost: rng\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                    readers.add(reader);  // and never read from
                }
                Thread.sleep(1000);
                long began = System.nanoTime();
                HttpResponse<String> other = get(rng.port(), "/32");
                long tookMs = (System.nanoTime() - began) / 1_000_000;
                assertEquals(200, other.statusCode());
                assertTrue(tookMs < 1_000, "GET /32 took " + tookMs + " ms beside 50 slow readers");
                assertStillWell(rng, "with 50 slow readers of /1048576");
            } finally {
                for (Socket reader : readers) {
                    reader.close();
                }
            }
        }
    }

    @Test
    void connectionsThatSendNoCompleteRequestAreClosedWithinTheBound() throws Exception {
        try (Running webui = start("dockercoins.webui.Webui", Map.of("REDIS_URL", "redis://127.0.0.1:1"));
             Running hasher = start("dockercoins.hasher.Hasher", Map.of("HASHER_DELAY_MS", "0"))) {
            List<Socket> slow = new ArrayList<>();
            // A body that stops coming: answered 408. A keep-alive connection silent after its answer: closed.
            Socket slowBody = new Socket("127.0.0.1", hasher.port());
            slowBody.getOutputStream().write("POST / HTTP/1.1\r\nHost: hasher\r\nContent-Length: 100\r\n\r\n0123456789"
                .getBytes(StandardCharsets.US_ASCII));
            Socket keptAlive = new Socket("127.0.0.1", hasher.port());
            keptAlive.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: hasher\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
            try {
                for (int i = 0; i < 300; i++) {
                    Socket socket = new Socket("127.0.0.1", webui.port());
                    socket.getOutputStream().write("GET /json HTTP/1.1\r\nHost: webui\r\nX-Slow: ".getBytes(
                        StandardCharsets.US_ASCII));  // headers that never end (slowloris)
                    slow.add(socket);
                }
                for (int i = 0; i < 50; i++) {
                    slow.add(new Socket("127.0.0.1", webui.port()));  // and connections that say nothing at all
                }
                assertStillWell(webui, "with 350 slow or silent connections");
                Thread.sleep(TimeUnit.SECONDS.toMillis(ConnectionDeadlines.REQUEST_HEADERS_S) + 2_000);
                for (Socket socket : slow) {
                    assertTrue(closedByServer(socket), "a connection still open after "
                        + ConnectionDeadlines.REQUEST_HEADERS_S + " s without a complete request");
                }
                assertStillWell(webui, "after closing 350 slow or silent connections");
                String late = answerThenClose(slowBody);
                assertTrue(late.startsWith("HTTP/1.1 408"), "a body 10 s late is a 408: " + late);
                assertTrue(answerThenClose(keptAlive).startsWith("HTTP/1.1 200"), "an idle keep-alive is closed");
            } finally {
                for (Socket socket : slow) {
                    socket.close();
                }
                slowBody.close();
                keptAlive.close();
            }
        }
    }

    /** What the server sent before closing the connection; fails if it is still open 2 s from now. */
    private static String answerThenClose(Socket socket) throws IOException {
        socket.setSoTimeout(2_000);
        try {
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        } catch (SocketTimeoutException stillOpen) {
            throw new AssertionError("the connection is still open", stillOpen);
        }
    }

    private static boolean closedByServer(Socket socket) throws IOException {
        socket.setSoTimeout(2_000);
        try (InputStream in = socket.getInputStream()) {
            while (in.read() != -1) {
                // a 408 or nothing: either way the server must end the connection
            }
            return true;
        } catch (SocketTimeoutException stillOpen) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    @Test
    void http2IsNotSpokenAndOddRequestsGetOneLineAnswers() throws Exception {
        try (Running rng = start("dockercoins.rng.Rng", Map.of("RNG_DELAY_MS", "0"))) {
            // An h2c upgrade is ignored: the answer is HTTP/1.1.
            HttpResponse<String> upgraded = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build()
                .send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + rng.port() + "/8")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(HttpClient.Version.HTTP_1_1, upgraded.version());
            assertEquals("HTTP/1.1 200", rawStatus(rng.port(), "GET /000000000032 HTTP/1.1\r\nHost: rng\r\n\r\n"));
            HttpResponse<String> escaped = get(rng.port(), "/%1b%5b31mred%0d%0aforged");
            assertEquals(404, escaped.statusCode());
            assertTrue(escaped.body().startsWith("not found: /\\x1b[31mred\\x0d\\x0aforged"), escaped.body());
            assertEquals(1, escaped.body().split("\n").length, "one line: " + escaped.body());
            assertTrue(rng.process().output().contains("\"GET /%1b%5b31mred%0d%0aforged\" 404")
                || rng.process().output().contains("\\x1b"), "escaped in the access log too");
            assertFalse(rng.process().output().contains("\u001b"), "a raw ESC reached the log");
            assertStillWell(rng, "after odd requests");
        }
    }

    private static String rawStatus(int port, String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            byte[] head = new byte[12];
            int read = socket.getInputStream().readNBytes(head, 0, 12);
            return new String(head, 0, read, StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void sigtermAnswersTheQueueAtOnceAndEndsInAFewSeconds() throws Exception {
        try (Running rng = start("dockercoins.rng.Rng", Map.of("RNG_CONCURRENCY", "1", "RNG_DELAY_MS", "1000",
            "ACCESS_LOG", "false"))) {
            List<CompletableFuture<HttpResponse<String>>> queued = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                queued.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + rng.port() + "/32"))
                    .build(), HttpResponse.BodyHandlers.ofString()));
            }
            Thread.sleep(1_500);
            long began = System.nanoTime();
            assertEquals(0, rng.process().terminate(Duration.ofSeconds(30)), rng.process().output());
            long tookMs = (System.nanoTime() - began) / 1_000_000;
            assertTrue(tookMs < 5_000, "the stop took " + tookMs + " ms with 100 requests queued");
            int served = 0;
            int refused = 0;
            for (CompletableFuture<HttpResponse<String>> request : queued) {
                int status = request.get(10, TimeUnit.SECONDS).statusCode();
                served += status == 200 ? 1 : 0;
                refused += status == 503 ? 1 : 0;
            }
            assertEquals(100, served + refused, "every queued request got an answer: 200 or 503");
            assertTrue(refused > 90, refused + " of 100 refused at once");
        }
    }
}
