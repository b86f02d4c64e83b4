package dockercoins.webui;

import dockercoins.localredis.LocalRedis;
import dockercoins.shared.RedisKeys;
import dockercoins.shared.Service.RunningService;
import dockercoins.shared.testing.Promtool;
import dockercoins.shared.testing.Services;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** webui's promises (README, "Services"; webui/README.md) and the dashboard's, against a real Redis over real HTTP. */
@ExtendWith(VertxExtension.class)
class WebuiTest {

    private static final Duration FEW_SECONDS = Duration.ofSeconds(10);

    private LocalRedis redis;
    private Redis redisClient;
    private RunningService webui;
    private WebClient client;
    private final List<FakeWorker> workers = new ArrayList<>();

    @BeforeEach
    void startRedis(Vertx vertx) throws Exception {
        redis = LocalRedis.start(0, LocalRedis.REDIS_5_COMMANDS_ONLY);  // the oldest Redis DockerCoins supports
        redisClient = Redis.createClient(vertx, redis.url());
        client = WebClient.create(vertx, new WebClientOptions().setFollowRedirects(false));
    }

    @AfterEach
    void stopAll() {
        workers.forEach(FakeWorker::close);
        if (webui != null) {
            webui.stopAndWait();
        }
        redisClient.close();
        redis.close();
    }

    private void startWebui() {
        startWebui(redis.url());
    }

    private void startWebui(String redisUrl) {
        webui = Services.start("webui", Webui::deployment, Map.of("REDIS_URL", redisUrl));
    }

    private FakeWorker startWorker(Vertx vertx, String id) {
        FakeWorker worker = FakeWorker.start(vertx, redis.url(), id);
        workers.add(worker);
        return worker;
    }

    private HttpResponse<Buffer> get(String path) throws Exception {
        return Services.await(client.get(webui.port(), "localhost", path).send());
    }

    private JsonObject json() throws Exception {
        return get("/json").bodyAsJsonObject();
    }

    private Response redis(Request command) throws Exception {
        return Services.await(redisClient.send(command));
    }

    @Test
    void jsonAgreesWithRedis(Vertx vertx) throws Exception {
        startWebui();
        JsonObject empty = Eventually.value(FEW_SECONDS, this::json, body -> "ok".equals(body.getString("redis")));
        assertTrue(empty.getValue("hashes") instanceof Number, "hashes unset in Redis is the number 0: " + empty);
        assertEquals(0, empty.getLong("hashes"));
        assertEquals(0, empty.getLong("coins"));

        FakeWorker worker = startWorker(vertx, "worker-7d9f8-abcde");
        Eventually.passes(Duration.ofSeconds(15), () -> {
            JsonObject seen = json();
            assertEquals(1, seen.getJsonArray("workers").size(), seen.encode());
            assertTrue(seen.getLong("coins") >= 1, seen.encode());
        });
        worker.close();  // returns once its last report has landed
        // Redis no longer moves: the next polls must show exactly what Redis holds.
        long hashes = Long.parseLong(redis(Request.cmd(Command.GET).arg(RedisKeys.HASHES)).toString());
        long coins = redis(Request.cmd(Command.HLEN).arg(RedisKeys.WALLET)).toLong();
        Eventually.passes(FEW_SECONDS, () -> assertEquals(hashes, json().getLong("hashes")));
        HttpResponse<Buffer> response = get("/json");
        JsonObject body = response.bodyAsJsonObject();
        assertEquals(200, response.statusCode());
        assertTrue(response.getHeader("content-type").startsWith("application/json"));
        assertTrue(body.getValue("hashes") instanceof Number, "hashes is a JSON number, as the contract says");
        assertEquals(hashes, body.getLong("hashes"));
        assertEquals(coins, body.getLong("coins"));
        double now = body.getDouble("now");
        assertTrue(Math.abs(now - System.currentTimeMillis() / 1000.0) < 3, "now is epoch seconds: " + now);
        assertTrue(response.bodyAsString().matches(".*\"now\":\\d{10}\\.\\d{1,3}[,}].*"),
            "now is written plainly, with its fraction of a second: " + response.bodyAsString());
        JsonObject reported = body.getJsonArray("workers").getJsonObject(0);
        assertEquals("worker-7d9f8-abcde", reported.getString("id"));
        assertEquals(hashes, reported.getLong("hashes"), "one worker's count is all of hashes");
    }

    /** HEAD /events answers a stream's headers and ends: it holds neither its connection nor a viewer's place. */
    @Test
    void headOfEventsEndsAndLeavesItsConnectionToTheNextRequest(Vertx vertx) throws Exception {
        startWebui();
        WebClient oneConnection = WebClient.create(vertx, new WebClientOptions().setKeepAlive(true),
            new PoolOptions().setHttp1MaxSize(1));
        HttpResponse<Buffer> head = Services.await(oneConnection.head(webui.port(), "localhost", "/events").send());
        assertEquals(200, head.statusCode());
        assertTrue(head.getHeader("content-type").startsWith("text/event-stream"), head.getHeader("content-type"));
        HttpResponse<Buffer> next = oneConnection.get(webui.port(), "localhost", "/json").send()
            .toCompletionStage().toCompletableFuture().get(5, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(200, next.statusCode(), "the request after HEAD /events on the same connection");
    }

    @Test
    void rootRedirectIsRelative() throws Exception {
        startWebui();
        HttpResponse<Buffer> root = get("/");
        assertEquals(302, root.statusCode());
        assertEquals("index.html", root.getHeader("location"));
        HttpResponse<Buffer> head = Services.await(client.head(webui.port(), "localhost", "/").send());
        assertEquals(302, head.statusCode(), "HEAD / answers as GET / does");
        assertEquals("index.html", head.getHeader("location"));
        HttpResponse<Buffer> page = get("/index.html");
        assertEquals(200, page.statusCode());
        assertTrue(page.getHeader("content-type").startsWith("text/html"));
    }

    @Test
    void unknownPathIs404AndHeadersAreSafe() throws Exception {
        startWebui();
        Eventually.passes(FEW_SECONDS, () -> assertEquals("ok", json().getString("redis")));
        for (String path : List.of("/", "/index.html", "/dashboard.js", "/json", "/metrics", "/healthz", "/nope",
            "/vendor/", "/vendor/chart.umd.js")) {
            HttpResponse<Buffer> response = get(path);
            String csp = response.getHeader("content-security-policy");
            assertTrue(csp != null && csp.startsWith("default-src 'self';"), path + ": CSP " + csp);
            assertFalse(csp.contains("unsafe") || csp.contains("*") || csp.contains("http"), path + ": CSP " + csp);
            assertEquals("nosniff", response.getHeader("x-content-type-options"), path);
        }
        HttpResponse<Buffer> unknown = get("/nope");
        assertEquals(404, unknown.statusCode());
        assertEquals("not found: /nope\n", unknown.bodyAsString());
        assertEquals(404, get("/vendor/").statusCode(), "no directory listing");
        assertEquals(404, get("/webroot/index.html").statusCode());
        assertEquals(200, get("/vendor/chart.umd.js").statusCode(), "the chart library ships in the jar");

        // The page itself: no inline script or style, and every URL it uses relative to where it is.
        String page = get("/index.html").bodyAsString();
        Matcher scripts = Pattern.compile("<script([^>]*)>").matcher(page);
        while (scripts.find()) {
            assertTrue(scripts.group(1).contains("src="), "inline script: " + scripts.group());
        }
        assertFalse(page.contains("<style") || page.contains("style="), "inline style");
        Matcher urls = Pattern.compile("(?:src|href)=\"([^\"]*)\"").matcher(page);
        int count = 0;
        while (urls.find()) {
            String url = urls.group(1);
            assertFalse(url.startsWith("/") || url.contains(":"), "not relative: " + url);
            assertEquals(200, get("/" + url).statusCode(), url);
            count++;
        }
        assertTrue(count >= 4, "the page's own assets were found: " + count);
        String script = get("/dashboard.js").bodyAsString();
        assertTrue(script.contains("new EventSource('events')"), "the event stream is asked for by a relative URL");
    }

    @Test
    void hundredSubscribersCostRedisWhatOneCosts(Vertx vertx) throws Exception {
        startWebui();
        HttpClient http = vertx.createHttpClient(new HttpClientOptions(), new PoolOptions().setHttp1MaxSize(200));
        List<EventStream> viewers = new ArrayList<>();
        viewers.add(Services.await(EventStream.open(http, webui.port())));
        Eventually.passes(FEW_SECONDS, () -> assertEquals("ok", viewers.get(0).last().getString("redis")));
        double oneViewer = commandsPerSecond(Duration.ofSeconds(5));

        List<Future<EventStream>> opening = new ArrayList<>();
        for (int i = 1; i < 100; i++) {
            opening.add(EventStream.open(http, webui.port()));
        }
        for (Future<EventStream> stream : opening) {
            viewers.add(Services.await(stream));
        }
        Eventually.passes(FEW_SECONDS, () -> viewers.forEach(viewer -> assertFalse(viewer.events().isEmpty())));
        int[] before = viewers.stream().mapToInt(viewer -> viewer.events().size()).toArray();
        double hundredViewers = commandsPerSecond(Duration.ofSeconds(5));
        for (int i = 0; i < viewers.size(); i++) {
            int heard = viewers.get(i).events().size() - before[i];
            assertTrue(heard >= 4, "viewer " + i + " heard only " + heard + " events in 5 s");
        }

        System.out.printf("Redis commands per second: %.1f with 1 viewer, %.1f with 100 viewers%n",
            oneViewer, hundredViewers);
        assertTrue(oneViewer > 0 && oneViewer <= 10, "one poll a second is a few commands: " + oneViewer);
        assertTrue(hundredViewers <= oneViewer * 1.5 + 1,
            "100 viewers cost " + hundredViewers + " commands/s, one viewer " + oneViewer);
    }

    /** Commands Redis ran per second over {@code window}, not counting the INFO that measures them. */
    private double commandsPerSecond(Duration window) throws Exception {
        long start = commandsRun();
        long began = System.nanoTime();
        Thread.sleep(window.toMillis());
        long end = commandsRun();
        return (end - start) * 1e9 / (System.nanoTime() - began);
    }

    private long commandsRun() throws Exception {
        return commandCalls("");
    }

    /** Calls of commands named {@code prefix}… since Redis started, from INFO commandstats; never INFO itself. */
    private long commandCalls(String prefix) throws Exception {
        String stats = redis(Request.cmd(Command.INFO).arg("commandstats")).toString();
        Matcher line = Pattern.compile("cmdstat_(" + prefix + "[a-z|]*):calls=(\\d+)").matcher(stats);
        long calls = 0;
        while (line.find()) {
            if (!line.group(1).equals("info")) {
                calls += Long.parseLong(line.group(2));
            }
        }
        return calls;
    }

    /** A value DockerCoins never writes is bad data, said as such with the key and what was expected: not an outage. */
    @Test
    void badDataInRedisIsSaidAsSuchAndNotAsAnOutage(Vertx vertx) throws Exception {
        startWebui();
        startWorker(vertx, "worker-1");
        Eventually.passes(FEW_SECONDS, () -> assertEquals(1, json().getJsonArray("workers").size()));
        JsonObject worker = json().getJsonArray("workers").getJsonObject(0);
        assertEquals(FakeWorker.VERSION, worker.getString("version"), "each worker's version is shown: " + worker);

        workers.forEach(FakeWorker::close);
        redis(Request.cmd(Command.SET).arg(RedisKeys.HASHES).arg("12.5"));
        Eventually.passes(FEW_SECONDS, () -> assertEquals("bad-data", json().getString("redis")));
        HttpResponse<Buffer> json = get("/json");
        assertEquals(200, json.statusCode(), "Redis answers: no outage");
        assertEquals("hashes holds \"12.5\", expected an integer", json.bodyAsJsonObject().getString("redisProblem"));

        redis(Request.cmd(Command.DEL).arg(RedisKeys.WALLET));
        redis(Request.cmd(Command.SET).arg(RedisKeys.HASHES).arg("7"));
        redis(Request.cmd(Command.SET).arg(RedisKeys.WALLET).arg("not a hash"));
        Eventually.passes(FEW_SECONDS, () -> assertTrue(json().getString("redisProblem", "").startsWith("wallet: WRONGTYPE"),
            json().encode()));

        redis(Request.cmd(Command.DEL).arg(RedisKeys.WALLET));
        Eventually.passes(FEW_SECONDS, () -> {
            assertEquals("ok", json().getString("redis"));
            assertEquals(7, json().getLong("hashes"));
            assertNull(json().getValue("redisProblem"));
        });
    }

    @Test
    void redisStoppedJsonAndEventsSayUnreachableThenRecover(Vertx vertx) throws Exception {
        startWebui();
        startWorker(vertx, "worker-1");
        HttpClient http = vertx.createHttpClient();
        EventStream viewer = Services.await(EventStream.open(http, webui.port()));
        Eventually.passes(FEW_SECONDS, () -> assertEquals(1, viewer.last().getJsonArray("workers").size()));
        long lastHashes = json().getLong("hashes");

        redis.stop();
        long stoppedAt = System.currentTimeMillis();
        Eventually.passes(FEW_SECONDS, () -> assertEquals("unreachable", viewer.last().getString("redis")));
        JsonObject down = viewer.last();
        assertNull(down.getValue("speed"), "the speed is unknown, not 0");
        assertTrue(Math.abs(down.getDouble("redisSince") * 1000 - stoppedAt) < 5_000, "since when: " + down);
        assertTrue(down.getLong("hashes") >= lastHashes, "the last figures read are still shown");
        HttpResponse<Buffer> json = get("/json");
        assertEquals(503, json.statusCode());
        assertEquals("unreachable", json.bodyAsJsonObject().getString("redis"));
        for (String text : List.of(json.bodyAsString(), down.encode())) {
            assertFalse(text.toLowerCase().matches(".*(refused|exception|connection|timeout|127\\.0\\.0\\.1).*"),
                "Redis error text leaked: " + text);
        }
        assertEquals(200, get("/readyz").statusCode(), "the webui stays ready without Redis");
        int eventsWhileDown = viewer.events().size();
        Thread.sleep(3_500);
        assertTrue(viewer.events().size() - eventsWhileDown >= 2,
            "viewers still hear every second while Redis is down");

        redis.start();
        Eventually.passes(FEW_SECONDS, () -> {
            assertEquals("ok", viewer.last().getString("redis"));
            assertTrue(viewer.last().getDouble("speed") > 0, "speed again: " + viewer.last());
        });
        assertEquals(200, get("/json").statusCode());
    }

    @Test
    void frozenRedisGetsNoPileOfPollsAndIsUnreachableUntilThawed() throws Exception {
        startWebui();
        Eventually.passes(FEW_SECONDS, () -> assertEquals("ok", json().getString("redis")));
        long pollsBefore = commandCalls("hgetall");

        redis.freeze();
        try {
            Eventually.passes(FEW_SECONDS, () -> assertEquals("unreachable", json().getString("redis")));
            assertEquals(200, get("/readyz").statusCode());
            Thread.sleep(8_000);
            assertEquals("unreachable", json().getString("redis"));
        } finally {
            redis.thaw();
        }
        Eventually.passes(FEW_SECONDS, () -> assertEquals("ok", json().getString("redis")));
        // Over 10 s or more frozen, one poll a second would have queued ten; one stuck poll at a time queues one.
        long polls = commandCalls("hgetall") - pollsBefore;
        System.out.printf("Polls run for a frozen Redis and the first one after it: %d%n", polls);
        // (About 2 are seen; 5 leaves room for a slow machine, and is still far from a pile.)
        assertTrue(polls <= 5, polls + " polls ran for 10 s or more of frozen Redis and the first one after it");
    }

    @Test
    void webuiStartsAndStaysReadyWithoutRedis() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        startWebui("redis://127.0.0.1:" + closedPort);
        assertEquals(200, get("/readyz").statusCode());
        assertEquals(200, get("/index.html").statusCode());
        JsonObject body = Eventually.value(FEW_SECONDS, this::json,
            seen -> "unreachable".equals(seen.getString("redis")));
        assertNull(body.getValue("hashes"), "never read, so unknown: " + body);
        assertEquals(503, get("/json").statusCode());
        assertEquals(200, get("/readyz").statusCode());
    }

    @Test
    void aScaledInWorkerAppearsAndARemovedOneDisappears(Vertx vertx) throws Exception {
        startWebui();
        FakeWorker first = startWorker(vertx, "worker-a");
        Eventually.passes(FEW_SECONDS, () -> assertEquals(List.of("worker-a"), ids(json())));

        // Timed by the webui's clock: the poll time ("now") of the first event listing worker-b, however late
        // this busy test thread gets to look.
        EventStream viewer = Services.await(EventStream.open(vertx.createHttpClient(), webui.port()));
        long scaledAtMs = System.currentTimeMillis();
        startWorker(vertx, "worker-b");
        Eventually.passes(FEW_SECONDS, () -> assertEquals(List.of("worker-a", "worker-b"), ids(json())));
        JsonObject firstWithB = Eventually.value(FEW_SECONDS,
            () -> viewer.events().stream().filter(event -> ids(event).contains("worker-b")).findFirst().orElse(null),
            Objects::nonNull);
        double shownAfterMs = firstWithB.getDouble("now") * 1000 - scaledAtMs;
        assertTrue(shownAfterMs < 3000, "a new worker shows within a few seconds, not " + shownAfterMs + " ms");
        // Both at about 3.3 hashes/s, measured between each one's own reports; together they make the speed.
        JsonObject both = Eventually.value(FEW_SECONDS, this::json, seen -> speeds(seen).stream()
            .allMatch(speed -> speed != null && Math.abs(speed - 10.0 / 3) < 0.5));
        assertEquals(speeds(both).get(0) + speeds(both).get(1), both.getDouble("speed"), 0.02);

        long removedAt = System.nanoTime();
        first.close();
        Eventually.passes(Duration.ofSeconds(10), () -> assertEquals(List.of("worker-b"), ids(json())));
        double tookSeconds = (System.nanoTime() - removedAt) / 1e9;
        assertTrue(tookSeconds >= MinerWatch.ACTIVE_MS / 1000.0 - 1.5, "gone too soon: " + tookSeconds + " s");
    }

    @Test
    void aFleetMixedWithTheOriginalsWorkersCountsEveryHash(Vertx vertx) throws Exception {
        // The rollout chapter runs the original's workers (INCRBY hashes only) beside ours: both kinds mine.
        startWebui();
        startWorker(vertx, "worker-a");
        startWorker(vertx, "worker-b");
        workers.add(FakeWorker.original(vertx, redis.url(), 17));
        double ours = 10.0 / 3;
        double rateOfHashes = 17 + 2 * ours;
        Eventually.value(Duration.ofSeconds(15), this::json, seen -> seen.getJsonObject("otherWorkers")
            .getValue("speed") != null && speeds(seen).size() == 2 && !speeds(seen).contains(null));

        long firstHashes = hashesInRedis();
        long firstAt = System.nanoTime();
        List<Double> shown = new ArrayList<>();
        JsonObject last = null;
        for (int poll = 0; poll < 12; poll++) {
            Thread.sleep(1_000);
            last = json();
            shown.add(last.getDouble("speed"));
            double others = last.getJsonObject("otherWorkers").getDouble("speed");
            assertEquals(17, others, 17 * 0.1, "the workers without per-worker figures: " + last.encode());
            assertEquals(last.getDouble("speed"), speeds(last).get(0) + speeds(last).get(1) + others, 0.02,
                "the breakdown adds up to the speed: " + last.encode());
        }
        double measured = (hashesInRedis() - firstHashes) / ((System.nanoTime() - firstAt) / 1e9);
        assertEquals(rateOfHashes, measured, rateOfHashes * 0.15, "the workers mine as they should");
        for (double speed : shown) {
            assertEquals(rateOfHashes, speed, rateOfHashes * 0.1, "the speed is the rate of hashes: " + shown);
        }
        JsonArray versions = last.getJsonArray("versions");
        assertEquals(1, versions.size(), last.encode());
        assertEquals(FakeWorker.VERSION, versions.getJsonObject(0).getString("version"));
        assertEquals(2, versions.getJsonObject(0).getInteger("workers"));
        assertEquals(2 * ours, versions.getJsonObject(0).getDouble("speed"), 2 * ours * 0.1);
    }

    private long hashesInRedis() throws Exception {
        return Long.parseLong(redis(Request.cmd(Command.GET).arg(RedisKeys.HASHES)).toString());
    }

    private static List<String> ids(JsonObject body) {
        List<String> ids = new ArrayList<>();
        body.getJsonArray("workers").forEach(worker -> ids.add(((JsonObject) worker).getString("id")));
        return ids;
    }

    private static List<Double> speeds(JsonObject body) {
        List<Double> speeds = new ArrayList<>();
        JsonArray workers = body.getJsonArray("workers");
        workers.forEach(worker -> speeds.add(((JsonObject) worker).getDouble("speed")));
        return speeds;
    }

    @Test
    void aNewViewerGetsTheSpeedHistoryFirst(Vertx vertx) throws Exception {
        startWebui();
        startWorker(vertx, "worker-1");
        Eventually.passes(FEW_SECONDS, () -> assertEquals("ok", json().getString("redis")));
        Thread.sleep(3_000);  // three polls or so, since Redis was first read
        EventStream viewer = Services.await(EventStream.open(vertx.createHttpClient(), webui.port()));
        Eventually.passes(FEW_SECONDS, () -> assertTrue(viewer.events().size() >= 2));
        JsonArray history = viewer.events().get(0).getJsonArray("history");
        assertTrue(history.size() >= 3, "one point per second so far: " + history);
        assertNull(viewer.events().get(1).getJsonArray("history"), "later events carry the new point only");
        JsonObject page = viewer.events().get(0).getJsonObject("page");
        assertEquals(new JsonObject().put("historySeconds", 250).put("silentAfterMs", 5000).put("reconnectMs", 2000),
            page, "the page's timings come with the first event, so the page repeats none of them");
        assertNull(viewer.events().get(1).getJsonObject("page"), "and only with the first");
        assertEquals("text/event-stream; charset=utf-8", viewer.response().getHeader("content-type"));
    }

    @Test
    void openDashboardsDoNotHoldUpAGracefulStop(Vertx vertx) throws Exception {
        startWebui();
        HttpClient http = vertx.createHttpClient(new HttpClientOptions(), new PoolOptions().setHttp1MaxSize(10));
        List<EventStream> viewers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            viewers.add(Services.await(EventStream.open(http, webui.port())));
        }
        long stopping = System.nanoTime();
        Services.await(webui.stop());
        double tookSeconds = (System.nanoTime() - stopping) / 1e9;
        webui = null;
        // Held up by the open streams, the stop would wait out its whole grace period (Service.GRACE, 20 s).
        assertTrue(tookSeconds < 10, "stopping took " + tookSeconds + " s with open dashboards");
        Eventually.passes(FEW_SECONDS, () -> viewers.forEach(viewer -> assertTrue(viewer.ended(), "stream ended")));
    }

    @Test
    void metricsPassPromtool(Vertx vertx) throws Exception {
        startWebui();
        startWorker(vertx, "worker-1");
        Eventually.passes(FEW_SECONDS, () -> assertTrue(json().getLong("coins") >= 1));
        // hashes only grows, and the metric is the latest poll's figure, as /json is: read in this order,
        // the poll /json showed <= the one the metric showed <= what Redis holds after.
        long jsonBefore = json().getLong("hashes");
        String metrics = get("/metrics").bodyAsString();
        long redisAfter = Long.parseLong(redis(Request.cmd(Command.GET).arg(RedisKeys.HASHES)).toString());
        assertTrue(metrics.contains("# TYPE dockercoins_coins gauge"), metrics);
        assertTrue(metrics.contains("# TYPE dockercoins_hashes_total counter"), metrics);
        assertTrue(metrics.contains("# TYPE dockercoins_workers_active gauge"), metrics);
        assertTrue(metrics.contains("dockercoins_workers_active 1.0"), metrics);
        Matcher counted = Pattern.compile("(?m)^dockercoins_hashes_total (\\S+)$").matcher(metrics);
        assertTrue(counted.find(), metrics);
        double metric = Double.parseDouble(counted.group(1));
        assertTrue(jsonBefore <= metric && metric <= redisAfter,
            "hashes_total follows Redis: /json " + jsonBefore + ", the metric " + metric + ", Redis " + redisAfter);
        assertTrue(metrics.contains("vertx_http_server_requests_total{"), "the shared HTTP metrics");
        assertTrue(metrics.contains("jvm_memory_used_bytes{"), "the shared JVM metrics");
        Promtool.checkMetrics(metrics);
    }
}
