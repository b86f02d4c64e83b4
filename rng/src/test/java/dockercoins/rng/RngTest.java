package dockercoins.rng;

import dockercoins.shared.Hostname;
import dockercoins.shared.Service.RunningService;
import dockercoins.shared.testing.Promtool;
import dockercoins.shared.testing.Services;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** rng's promises (README, "Services"), against the real service over real HTTP. */
@ExtendWith(VertxExtension.class)
class RngTest {

    private RunningService rng;

    @AfterEach
    void stop() {
        if (rng != null) {
            rng.stopAndWait();
        }
    }

    private void start(Map<String, String> env) {
        rng = Services.start("rng", Rng::deployment, env);
    }

    private static WebClient client(Vertx vertx) {
        return Services.httpClient(vertx);
    }

    private HttpResponse<Buffer> get(WebClient client, String path) throws Exception {
        return await(client.get(rng.port(), "localhost", path).send());
    }

    private static <T> T await(Future<T> future) throws Exception {
        return Services.await(future);
    }

    @Test
    void rngServesExactlyNBytesAsOctetStream(Vertx vertx) throws Exception {
        start(Map.of("RNG_DELAY_MS", "0"));
        WebClient client = client(vertx);
        for (int n : new int[] {0, 1, 32, 1_048_576}) {
            HttpResponse<Buffer> response = get(client, "/" + n);
            assertEquals(200, response.statusCode());
            assertEquals("application/octet-stream", response.getHeader("content-type"));
            assertEquals(n, response.body() == null ? 0 : response.body().length(), "bytes for /" + n);
        }
    }

    /** HEAD /{n} answers GET's headers and makes none of the n bytes it would not send. */
    @Test
    void headOfNAnswersTheHeadersOfGetWithoutMakingTheBytes(Vertx vertx) throws Exception {
        start(Map.of("RNG_DELAY_MS", "0"));
        HttpResponse<Buffer> head = await(client(vertx).head(rng.port(), "localhost", "/1048576").send());
        assertEquals(200, head.statusCode());
        assertEquals("application/octet-stream", head.getHeader("content-type"));
        assertEquals("1048576", head.getHeader("content-length"));
        assertEquals(0, rng.metrics().registry().get("dockercoins.rng.bytes").counter().count(),
            "random bytes made for a HEAD");
    }

    @Test
    void twoResponsesDiffer(Vertx vertx) throws Exception {
        start(Map.of("RNG_DELAY_MS", "0"));
        WebClient client = client(vertx);
        byte[] first = get(client, "/32").body().getBytes();
        byte[] second = get(client, "/32").body().getBytes();
        assertFalse(java.util.Arrays.equals(first, second), "two draws of 32 random bytes were equal");
        assertFalse(java.util.Arrays.equals(first, new byte[32]), "32 zero bytes are not random");
    }

    @Test
    void bannerSaysRngRunningOnTheHost(Vertx vertx) throws Exception {
        start(Map.of());
        HttpResponse<Buffer> response = get(client(vertx), "/");
        assertEquals(200, response.statusCode());
        assertTrue(response.getHeader("content-type").startsWith("text/plain"));
        assertEquals("RNG running on " + Hostname.get() + "\n", response.bodyAsString());
    }

    @Test
    void nonNumericOrNegativeNIs404WithAReason(Vertx vertx) throws Exception {
        start(Map.of());
        WebClient client = client(vertx);
        for (String bad : new String[] {"/abc", "/-1", "/1.5", "/32x", "/%D9%A3%D9%A2" /* 32 in Arabic-Indic digits */}) {
            HttpResponse<Buffer> response = get(client, bad);
            assertEquals(404, response.statusCode(), bad);
            assertOneLineReason(response);
        }
    }

    @Test
    void nOverRngMaxBytesIs400WithAReason(Vertx vertx) throws Exception {
        start(Map.of("RNG_MAX_BYTES", "100", "RNG_DELAY_MS", "0"));
        WebClient client = client(vertx);
        assertEquals(100, get(client, "/100").body().length());
        HttpResponse<Buffer> tooMany = get(client, "/101");
        assertEquals(400, tooMany.statusCode());
        assertEquals("n=101 is over RNG_MAX_BYTES (100)\n", tooMany.bodyAsString());
        assertEquals(400, get(client, "/99999999999999999999").statusCode(), "a number too big for any limit");
        assertEquals(32, get(client, "/0032").body().length(), "leading zeros mean nothing");
    }

    @Test
    void unknownPathsAndMethodsAre4xx(Vertx vertx) throws Exception {
        start(Map.of());
        WebClient client = client(vertx);
        HttpResponse<Buffer> deeper = get(client, "/32/more");
        assertEquals(404, deeper.statusCode());
        assertOneLineReason(deeper);
        HttpResponse<Buffer> post = await(client.post(rng.port(), "localhost", "/32").send());
        assertEquals(405, post.statusCode());
        assertOneLineReason(post);
    }

    @Test
    void delayDoesNotBlockHundredConcurrentRequests(Vertx vertx) throws Exception {
        start(Map.of("RNG_DELAY_MS", "100"));
        WebClient client = client(vertx);
        get(client, "/1"); // warm up connections and JIT outside the measurement
        long began = System.nanoTime();
        List<Future<HttpResponse<Buffer>>> responses = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            responses.add(client.get(rng.port(), "localhost", "/32").send());
        }
        await(Future.all(responses));
        long elapsedMs = (System.nanoTime() - began) / 1_000_000;
        responses.forEach(r -> assertEquals(32, r.result().body().length()));
        // Serially this would take 100 × 100 ms = 10 s; concurrently about 100 ms. Half allows for a busy machine.
        assertTrue(elapsedMs < 5_000, "100 concurrent requests took " + elapsedMs + " ms");
    }

    @Test
    void concurrencyOneSerialisesRequestsLikeTheOriginal(Vertx vertx) throws Exception {
        start(Map.of("RNG_DELAY_MS", "100", "RNG_CONCURRENCY", "1"));
        WebClient client = client(vertx);
        get(client, "/1");
        long began = System.nanoTime();
        List<Future<HttpResponse<Buffer>>> responses = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            responses.add(client.get(rng.port(), "localhost", "/32").send());
        }
        await(Future.all(responses));
        long elapsedMs = (System.nanoTime() - began) / 1_000_000;
        assertTrue(elapsedMs >= 10 * 100, "10 requests at concurrency 1 took only " + elapsedMs + " ms");
    }

    @Test
    void queuedRequestsAreServedInArrivalOrder(Vertx vertx) throws Exception {
        start(Map.of("RNG_DELAY_MS", "500", "RNG_CONCURRENCY", "1"));
        WebClient client = client(vertx);
        get(client, "/1");
        Gauge waiting = rng.metrics().registry().get("dockercoins.rng.waiting.requests").gauge();
        AtomicInteger answered = new AtomicInteger();
        List<Integer> finished = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Future<?>> all = new ArrayList<>();
        // A first request to take the one place, so that each numbered request has to queue.
        all.add(client.get(rng.port(), "localhost", "/32").send().onSuccess(r -> answered.incrementAndGet()));
        for (int i = 0; i < 5; i++) {
            int arrival = i;
            all.add(client.get(rng.port(), "localhost", "/" + (arrival + 1)).send()
                .onSuccess(r -> {
                    finished.add(arrival);
                    answered.incrementAndGet();
                }));
            // Each request is sent only once every earlier one has reached rng, so the arrival order is known
            // rather than assumed from a pause. (The first request and request 0 may arrive either way round;
            // either way 0 is ahead of 1.)
            awaitArrived(all.size(), waiting, answered);
        }
        await(Future.all(all));
        assertEquals(List.of(0, 1, 2, 3, 4), finished);
    }

    @Test
    void bannerWaitsInTheQueueButProbesNeverDo(Vertx vertx) throws Exception {
        start(Map.of("RNG_DELAY_MS", "1000", "RNG_CONCURRENCY", "1"));
        WebClient client = client(vertx);
        get(client, "/");
        Gauge waiting = rng.metrics().registry().get("dockercoins.rng.waiting.requests").gauge();
        AtomicInteger answered = new AtomicInteger();
        Future<HttpResponse<Buffer>> slow = client.get(rng.port(), "localhost", "/32").send()
            .onSuccess(r -> answered.incrementAndGet());
        awaitServing(1);
        Future<HttpResponse<Buffer>> banner = client.request(HttpMethod.HEAD, rng.port(), "localhost", "/").send();
        awaitArrived(2, waiting, answered);
        // The probes answer while /32 holds the one place and the banner waits behind it.
        for (String probe : List.of("/healthz", "/readyz", "/metrics")) {
            assertEquals(200, get(client, probe).statusCode(), probe);
        }
        assertFalse(slow.isComplete() || banner.isComplete(), "/32 took its 1 s and the banner waited behind it");
        assertEquals(200, await(banner).statusCode());
        assertTrue(slow.isComplete(), "the banner was answered before the request ahead of it");
    }

    /** Waits until rng is serving {@code count} requests, as its own HTTP server metrics say. */
    private void awaitServing(int count) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (rng.metrics().registry().find("vertx.http.server.active.requests").gauges().stream()
                .mapToDouble(Gauge::value).sum() < count) {
            assertTrue(System.nanoTime() < deadline, "rng was not serving " + count + " request(s) within 30 s");
            Thread.sleep(5);
        }
    }

    /**
     * Waits until rng has seen all {@code sent} requests: one is served (it holds the one place) and the others
     * are either waiting or answered already, so {@code sent - 1} of those means all are there.
     */
    private static void awaitArrived(int sent, Gauge waiting, AtomicInteger answered) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (waiting.value() + answered.get() < sent - 1) {
            assertTrue(System.nanoTime() < deadline, "rng did not see " + sent + " requests within 30 s");
            Thread.sleep(5);
        }
    }

    @Test
    void metricsCountBytesServedAndPassPromtool(Vertx vertx) throws Exception {
        start(Map.of("RNG_DELAY_MS", "0"));
        WebClient client = client(vertx);
        get(client, "/32");
        get(client, "/10");
        String metrics = get(client, "/metrics").bodyAsString();
        assertTrue(metrics.contains("\ndockercoins_rng_bytes_total 42.0\n"), metrics);
        Promtool.checkMetrics(metrics);
    }

    @Test
    void badEnvValueFailsStartUpWithOneLine() {
        assertEquals("RNG_DELAY_MS=\"soon\" is invalid: expected a whole number of milliseconds, 0 or more",
            Services.startFailure("rng", Rng::deployment, Map.of("RNG_DELAY_MS", "soon")));
        assertEquals("RNG_CONCURRENCY=\"-1\" is invalid: expected a whole number from 0 to 1000000",
            Services.startFailure("rng", Rng::deployment, Map.of("RNG_CONCURRENCY", "-1")));
    }

    private static void assertOneLineReason(HttpResponse<Buffer> response) {
        assertTrue(response.getHeader("content-type").startsWith("text/plain"));
        String body = response.bodyAsString();
        assertTrue(body.endsWith("\n") && body.indexOf('\n') == body.length() - 1 && body.length() > 5,
            "not a one-line reason: " + body);
    }

    @Test
    void randomBytesAreNotAllTheSame() {
        byte[] bytes = RandomBytes.next(4096).getBytes();
        int[] seen = new int[256];
        for (byte b : bytes) {
            seen[b & 0xff]++;
        }
        // 4096 uniform bytes: each value expected 16 times; none should be absent or dominate.
        for (int count : seen) {
            assertTrue(count > 0 && count < 64, "byte distribution is off: " + java.util.Arrays.toString(seen));
        }
    }
}
