package dockercoins.shared;

import dockercoins.shared.Service.RunningService;
import dockercoins.shared.testing.ChildProcess;
import dockercoins.shared.testing.Promtool;
import dockercoins.shared.testing.Services;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The promises every service makes: probes, metrics, plain-text errors, graceful stop. */
@ExtendWith(VertxExtension.class)
class ServiceLifecycleTest {

    /** Counted down when a GET /slow reaches its handler: a request is then surely in flight. */
    private static volatile CountDownLatch slowStarted = new CountDownLatch(1);

    /** A minimal service: GET /slow answers "done" after 1 s of simulated work. */
    static Service.Deployment slowService(Env env, HttpEdge http) {
        return Service.Deployment.single("test", () -> new VerticleBase() {
            @Override
            public Future<?> start() {
                Router router = http.router(vertx);
                router.get("/slow").handler(rc -> {
                    slowStarted.countDown();
                    SimulatedWork.delay(vertx, 1000).onSuccess(done -> PlainText.reply(rc, 200, "done"));
                });
                return http.listen(vertx, router);
            }
        });
    }

    private RunningService service;

    @BeforeEach
    void newLatch() {
        slowStarted = new CountDownLatch(1);
    }

    /** Waits until the service has accepted a GET /slow, rather than guessing how long that takes. */
    private static void awaitSlowStarted() throws InterruptedException {
        assertTrue(slowStarted.await(10, TimeUnit.SECONDS), "GET /slow never reached its handler");
    }

    @AfterEach
    void stop() {
        if (service != null) {
            service.stopAndWait();
        }
    }

    private static Buffer await(Future<HttpResponse<Buffer>> response) throws Exception {
        HttpResponse<Buffer> r = response.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        return Buffer.buffer(r.statusCode() + " " + r.bodyAsString());
    }

    @Test
    void healthzAndReadyzAnswer200WhileRunning(Vertx vertx) throws Exception {
        service = Services.start("test", ServiceLifecycleTest::slowService, Map.of());
        WebClient client = WebClient.create(vertx);
        assertEquals("200 ok\n", await(client.get(service.port(), "localhost", "/healthz").send()).toString());
        assertEquals("200 ready\n", await(client.get(service.port(), "localhost", "/readyz").send()).toString());
    }

    @Test
    void requestInFlightWhenShutdownStartsStillGetsItsAnswer(Vertx vertx) throws Exception {
        service = Services.start("test", ServiceLifecycleTest::slowService, Map.of());
        WebClient client = WebClient.create(vertx);
        Future<HttpResponse<Buffer>> inFlight = client.get(service.port(), "localhost", "/slow").send();
        awaitSlowStarted();
        Future<Void> stopped = service.stop();
        assertEquals("200 done\n", await(inFlight).toString());
        stopped.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void readyzAnswers503AndNewWorkIsRefusedOnceShutdownHasBegun(Vertx vertx) throws Exception {
        service = Services.start("test", ServiceLifecycleTest::slowService, Map.of());
        WebClient client = WebClient.create(vertx);
        Future<HttpResponse<Buffer>> inFlight = client.get(service.port(), "localhost", "/slow").send();
        awaitSlowStarted();
        service.stop();
        // A fresh client: new connections, as a kubelet probe makes them.
        WebClient probe = WebClient.create(vertx);
        assertEquals("503 shutting down\n", await(probe.get(service.port(), "localhost", "/readyz").send()).toString());
        assertEquals("200 ok\n", await(probe.get(service.port(), "localhost", "/healthz").send()).toString());
        assertEquals("503 test is shutting down\n",
            await(probe.get(service.port(), "localhost", "/slow").send()).toString());
        assertEquals("200 done\n", await(inFlight).toString());
    }

    /** A process whose /readyz answers 200 five seconds before its start completes, as a slow last instance would. */
    public static final class SlowToFinishStarting {
        public static void main(String[] args) {
            Service.main("test", (env, http) -> Service.Deployment.single("slow to finish starting",
                () -> new VerticleBase() {
                    @Override
                    public Future<?> start() {
                        return http.listen(vertx, http.router(vertx))
                            .compose(listening -> vertx.timer(5, TimeUnit.SECONDS));
                    }
                }));
        }
    }

    @Test
    void sigtermOnceReadyButBeforeTheStartCompletedStillStopsGracefullyAndExitsZero() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        try (ChildProcess process = ChildProcess.java(SlowToFinishStarting.class.getName(),
            Map.of("PORT", String.valueOf(port)))) {
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest readyz = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz")).build();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!answers200(http, readyz)) {
                assertTrue(System.nanoTime() < deadline, "never ready: " + process.output());
                Thread.sleep(20);
            }
            assertEquals(0, process.terminate(Duration.ofSeconds(60)), process.output());
            assertTrue(process.output().contains("test stopped in"), process.output());
        }
    }

    private static boolean answers200(HttpClient http, HttpRequest request) throws InterruptedException {
        try {
            return http.send(request, java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException notListeningYet) {
            return false;
        }
    }

    @Test
    void unknownPathsAndMethodsGetAOneLine4xx(Vertx vertx) throws Exception {
        service = Services.start("test", ServiceLifecycleTest::slowService, Map.of());
        WebClient client = WebClient.create(vertx);
        assertEquals("404 not found: /nope\n", await(client.get(service.port(), "localhost", "/nope").send()).toString());
        assertEquals("405 method DELETE not allowed on /slow\n",
            await(client.delete(service.port(), "localhost", "/slow").send()).toString());
    }

    @Test
    void metricsHoldHttpHistogramsAndJvmMetricsAndPassPromtool(Vertx vertx) throws Exception {
        service = Services.start("test", ServiceLifecycleTest::slowService, Map.of());
        WebClient client = WebClient.create(vertx);
        await(client.get(service.port(), "localhost", "/slow").send());
        HttpResponse<Buffer> metrics = client.get(service.port(), "localhost", "/metrics").send()
            .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        String text = metrics.bodyAsString();
        assertTrue(metrics.getHeader("content-type").startsWith("text/plain; version=0.0.4"));
        assertTrue(text.contains("vertx_http_server_requests_total{"), text);
        assertTrue(text.contains("vertx_http_server_response_time_seconds_bucket{"), "no latency histogram");
        assertTrue(text.contains("le=\"0.1\""), "no bucket at the 100 ms delay");
        assertTrue(text.contains("jvm_memory_used_bytes{"), "no JVM metrics");
        assertTrue(text.contains("process_cpu_usage"), "no process metrics");
        assertTrue(!text.contains("service=\"") && !text.contains("application=\""), "constant labels found");
        Promtool.checkMetrics(text);
    }

    @Test
    void aBadValueFailsStartUpWithOneLine() {
        assertEquals("ACCESS_LOG=\"sometimes\" is invalid: expected true or false",
            Services.startFailure("test", ServiceLifecycleTest::slowService, Map.of("ACCESS_LOG", "sometimes")));
    }

    @Test
    void aPortInUseFailsStartUpWithOneLine() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            String failure = Services.startFailure("test", ServiceLifecycleTest::slowService,
                Map.of("PORT", String.valueOf(taken.getLocalPort())));
            assertTrue(failure.startsWith("the port is already in use"), failure);
            assertTrue(!failure.contains("\n"), failure);
        }
    }
}
