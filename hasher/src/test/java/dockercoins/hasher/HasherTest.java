package dockercoins.hasher;

import dockercoins.shared.Hostname;
import dockercoins.shared.Service.RunningService;
import dockercoins.shared.testing.Promtool;
import dockercoins.shared.testing.Services;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static dockercoins.shared.testing.Services.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** hasher's promises (README, "Services"), against the real service over real HTTP. */
@ExtendWith(VertxExtension.class)
class HasherTest {

    private RunningService hasher;

    @AfterEach
    void stop() {
        if (hasher != null) {
            hasher.stopAndWait();
        }
    }

    private WebClient start(Vertx vertx, Map<String, String> env) {
        hasher = Services.start("hasher", Hasher::deployment, env);
        return Services.httpClient(vertx);
    }

    private HttpResponse<Buffer> post(WebClient client, byte[] body) throws Exception {
        return await(client.post(hasher.port(), "localhost", "/").sendBuffer(Buffer.buffer(body)));
    }

    private static String expectedHex(byte[] body) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
    }

    @Test
    void digestEqualsMessageDigestsSha256ForBodiesOf0And1And32BytesAnd1MiB(Vertx vertx) throws Exception {
        WebClient client = start(vertx, Map.of("HASHER_DELAY_MS", "0"));
        Random random = new Random(42);
        for (int size : new int[] {0, 1, 32, 1_048_576}) {
            byte[] body = new byte[size];
            random.nextBytes(body);
            HttpResponse<Buffer> response = post(client, body);
            assertEquals(200, response.statusCode(), "status for " + size + " bytes");
            assertEquals("text/plain", response.getHeader("content-type"));
            assertEquals(expectedHex(body), response.bodyAsString(), "digest of " + size + " bytes");
            assertTrue(response.bodyAsString().matches("[0-9a-f]{64}"));
        }
    }

    @Test
    void bodyOverHasherMaxBytesIs413WithAReason(Vertx vertx) throws Exception {
        WebClient client = start(vertx, Map.of("HASHER_DELAY_MS", "0", "HASHER_MAX_BYTES", "1024"));
        assertEquals(200, post(client, new byte[1024]).statusCode());
        HttpResponse<Buffer> tooBig = post(client, new byte[1025]);
        assertEquals(413, tooBig.statusCode());
        assertEquals("request body is over HASHER_MAX_BYTES (1024 bytes)\n", tooBig.bodyAsString());
        // The limit is the hasher route's only: the service goes on answering.
        assertEquals(200, post(client, new byte[10]).statusCode());
    }

    @Test
    void bodyOverTheDefaultLimitOf1MiBIs413(Vertx vertx) throws Exception {
        WebClient client = start(vertx, Map.of("HASHER_DELAY_MS", "0"));
        assertEquals(413, post(client, new byte[1_048_577]).statusCode());
    }

    @Test
    void bannerSaysHasherRunningOnTheHost(Vertx vertx) throws Exception {
        WebClient client = start(vertx, Map.of());
        HttpResponse<Buffer> response = await(client.get(hasher.port(), "localhost", "/").send());
        assertEquals(200, response.statusCode());
        assertEquals("HASHER running on " + Hostname.get() + "\n", response.bodyAsString());
    }

    @Test
    void unknownPathsAndMethodsAre4xxWithAReason(Vertx vertx) throws Exception {
        WebClient client = start(vertx, Map.of());
        HttpResponse<Buffer> unknown = await(client.post(hasher.port(), "localhost", "/sha1").send());
        assertEquals(404, unknown.statusCode());
        assertEquals("not found: /sha1\n", unknown.bodyAsString());
        HttpResponse<Buffer> put = await(client.put(hasher.port(), "localhost", "/").send());
        assertEquals(405, put.statusCode());
        assertEquals("method PUT not allowed on /\n", put.bodyAsString());
    }

    @Test
    void delayDoesNotBlockHundredConcurrentRequests(Vertx vertx) throws Exception {
        WebClient client = start(vertx, Map.of("HASHER_DELAY_MS", "100"));
        post(client, new byte[1]);
        long began = System.nanoTime();
        List<Future<HttpResponse<Buffer>>> responses = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            responses.add(client.post(hasher.port(), "localhost", "/").sendBuffer(Buffer.buffer("body " + i)));
        }
        await(Future.all(responses));
        long elapsedMs = (System.nanoTime() - began) / 1_000_000;
        for (int i = 0; i < 100; i++) {
            assertEquals(expectedHex(("body " + i).getBytes()), responses.get(i).result().bodyAsString());
        }
        // Serially 100 × 100 ms = 10 s; concurrently about 100 ms. Half allows for a busy machine.
        assertTrue(elapsedMs < 5_000, "100 concurrent requests took " + elapsedMs + " ms");
    }

    @Test
    void metricsCountHashesAndPassPromtool(Vertx vertx) throws Exception {
        WebClient client = start(vertx, Map.of("HASHER_DELAY_MS", "0"));
        post(client, new byte[32]);
        post(client, new byte[32]);
        post(client, new byte[5000]);
        String metrics = await(client.get(hasher.port(), "localhost", "/metrics").send()).bodyAsString();
        assertTrue(metrics.contains("\ndockercoins_hasher_hashes_total 3.0\n"), metrics);
        Promtool.checkMetrics(metrics);
    }

    /**
     * A stop waits for the work in flight, but not on a client whose upload has stalled: its connection is cut
     * {@value StalledUploads#UPLOAD_GRACE_MS} ms into the stop, without an answer, not when the body's own bound
     * (10 s, a 408) runs out.
     */
    @Test
    void aStalledUploadIsCutTwoSecondsIntoTheStop() throws Exception {
        hasher = Services.start("hasher", Hasher::deployment, Map.of("HASHER_DELAY_MS", "0"));
        try (Socket stalled = new Socket("127.0.0.1", hasher.port())) {
            stalled.setSoTimeout(15_000);
            stalled.getOutputStream().write(("POST / HTTP/1.1\r\nHost: hasher\r\nContent-Length: 100\r\n\r\n"
                + "ten bytes.").getBytes(StandardCharsets.US_ASCII));
            stalled.getOutputStream().flush();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (hasher.metrics().registry().find("vertx.http.server.active.requests").gauges().stream()
                    .mapToDouble(Gauge::value).sum() < 1) {
                assertTrue(System.nanoTime() < deadline, "the upload never reached hasher");
                Thread.sleep(5);
            }
            // The server counts a request as begun just before its routes run: a stop in between would refuse it.
            Thread.sleep(200);
            long began = System.nanoTime();
            Future<Void> stopped = hasher.stop();
            byte[] answer = stalled.getInputStream().readAllBytes();
            long cutAfterMs = (System.nanoTime() - began) / 1_000_000;
            assertEquals("", new String(answer, StandardCharsets.US_ASCII), "the stalled upload got an answer");
            assertTrue(cutAfterMs >= StalledUploads.UPLOAD_GRACE_MS - 100 && cutAfterMs < 6_000,
                "the stalled upload was cut " + cutAfterMs + " ms into the stop");
            await(stopped);
        }
    }

    @Test
    void badEnvValueFailsStartUpWithOneLine() {
        assertEquals("HASHER_DELAY_MS=\"-5\" is invalid: expected a whole number of milliseconds, 0 or more",
            Services.startFailure("hasher", Hasher::deployment, Map.of("HASHER_DELAY_MS", "-5")));
    }
}
