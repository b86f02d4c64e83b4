package dockercoins.launcher;

import dockercoins.localredis.LocalRedis;
import dockercoins.shared.RedisKeys;
import dockercoins.shared.testing.ChildProcess;
import dockercoins.shared.testing.Services;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dockercoins.shared.testing.Services.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The packaged launcher as a user runs it: {@code java -jar launcher/target/launcher.jar}. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class LauncherIT {

    private static final Path JAR = Path.of("target", "launcher.jar");
    private static final Pattern EMBEDDED_REDIS = Pattern.compile("embedded redis-server at (redis://\\S+)");
    private static final Pattern TALLY = Pattern.compile("worker (\\S+) counted (\\d+) hashes in all, (\\d+) of them");

    /** A base port with room for webui, rng, hasher and the workers (the contract's 8000 may be taken here). */
    static int freeBasePort(int workers) throws IOException {
        for (int base = 21_000; base < 31_000; base += 50) {
            if (allFree(base, 3 + workers)) {
                return base;
            }
        }
        throw new IOException("no free block of ports");
    }

    private static boolean allFree(int base, int count) {
        for (int port = base; port < base + count; port++) {
            try (ServerSocket socket = new ServerSocket(port)) {
                socket.setReuseAddress(true);
            } catch (IOException taken) {
                return false;
            }
        }
        return true;
    }

    static ChildProcess launch(int base, int workers, Map<String, String> env) throws Exception {
        Map<String, String> vars = new HashMap<>(Map.of("ACCESS_LOG", "false"));
        vars.putAll(env);
        ChildProcess launcher = ChildProcess.jar(JAR, vars, "--workers", String.valueOf(workers),
            "--ports", String.valueOf(base));
        launcher.awaitLine(line -> line.contains("DockerCoins is mining"), Duration.ofSeconds(90));
        return launcher;
    }

    /**
     * Whether the dashboard shows at least these figures. Until the webui's first Redis poll has finished
     * (its "connecting" state), /json holds no figures at all: hashes and coins are null, not 0.
     */
    private static boolean hasMined(JsonObject figures, long hashes, long coins) {
        Long shownHashes = figures.getLong("hashes");
        Long shownCoins = figures.getLong("coins");
        return shownHashes != null && shownCoins != null && shownHashes >= hashes && shownCoins >= coins;
    }

    private static JsonObject json(WebClient client, int base) throws Exception {
        return await(client.get(base, "localhost", "/json").send()).bodyAsJsonObject();
    }

    /** hashes/s over a window, read from the workers' own count in Redis. */
    private static double speed(RedisAPI redis, Duration window) throws Exception {
        long before = hashes(redis);
        long began = System.nanoTime();
        Thread.sleep(window.toMillis());
        long after = hashes(redis);
        return (after - before) / ((System.nanoTime() - began) / 1e9);
    }

    private static long hashes(RedisAPI redis) throws Exception {
        Response value = await(redis.get(RedisKeys.HASHES));
        return value == null ? 0 : value.toLong();
    }

    /** The first /json whose figures come from a Redis poll begun at {@code sinceMs} or later ("now" is when). */
    private static JsonObject pollMadeSince(WebClient client, int base, long sinceMs) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        JsonObject figures = json(client, base);
        while (!("ok".equals(figures.getString("redis")) && Math.round(figures.getDouble("now") * 1000) >= sinceMs)) {
            assertTrue(System.nanoTime() < deadline, "no poll of Redis since " + sinceMs + ": " + figures);
            Thread.sleep(100);
            figures = json(client, base);
        }
        return figures;
    }

    @Test
    void theWholeMinerMinesAndTheDashboardAgreesWithRedis(Vertx vertx) throws Exception {
        int base = freeBasePort(3);
        try (ChildProcess launcher = launch(base, 3, Map.of("WORKER_DELAY_MS", "20"))) {
            Matcher redisUrl = EMBEDDED_REDIS.matcher(launcher.awaitLine(
                line -> EMBEDDED_REDIS.matcher(line).find(), Duration.ofSeconds(5)));
            assertTrue(redisUrl.find());
            RedisAPI redis = RedisAPI.api(Redis.createClient(vertx, redisUrl.group(1)));
            WebClient client = Services.httpClient(vertx);

            // Hashes climb and coins appear (one hash in 16 is a coin).
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            JsonObject figures = json(client, base);
            while (!hasMined(figures, 50, 2) && System.nanoTime() < deadline) {
                Thread.sleep(500);
                figures = json(client, base);
            }
            assertTrue(hasMined(figures, 50, 2), "hashes did not climb or no coins: " + figures);

            // Every coin in the wallet is the SHA-256 of its bytes and starts with 0.
            Response wallet = await(redis.hgetall(RedisKeys.WALLET));
            assertTrue(wallet.size() >= 2);
            for (String hex : wallet.getKeys()) {
                byte[] bytes = wallet.get(hex).toBytes();
                assertEquals(32, bytes.length);
                assertEquals(hex, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
                assertTrue(hex.startsWith("0"), hex);
            }

            // /json agrees with Redis: a poll made after a first read of Redis lies between it and a second read.
            long hashesBefore = hashes(redis);
            long coinsBefore = await(redis.hlen(RedisKeys.WALLET)).toLong();
            long readAtMs = System.currentTimeMillis();
            JsonObject now = pollMadeSince(client, base, readAtMs);
            long hashesAfter = hashes(redis);
            long coinsAfter = await(redis.hlen(RedisKeys.WALLET)).toLong();
            assertTrue(hashesBefore <= now.getLong("hashes") && now.getLong("hashes") <= hashesAfter,
                hashesBefore + " <= " + now.getLong("hashes") + " <= " + hashesAfter);
            assertTrue(coinsBefore <= now.getLong("coins") && now.getLong("coins") <= coinsAfter,
                coinsBefore + " <= " + now.getLong("coins") + " <= " + coinsAfter);

            // The per-worker view lists every worker.
            JsonArray workers = now.getJsonArray("workers");
            List<String> ids = workers.stream().map(w -> ((JsonObject) w).getString("id")).sorted().toList();
            assertEquals(List.of("worker-1", "worker-2", "worker-3"), ids, now.encodePrettily());

            // Each service is its own Vert.x with its own /metrics.
            assertTrue(await(client.get(base + 1, "localhost", "/metrics").send()).bodyAsString()
                .contains("dockercoins_rng_bytes_total"));
            assertTrue(await(client.get(base + 3, "localhost", "/metrics").send()).bodyAsString()
                .contains("dockercoins_worker_hashes_total"));
            assertEquals(0, launcher.terminate(Duration.ofSeconds(60)), launcher.output());
        }
    }

    @Test
    void eightWorkersMineAtLeastSixTimesAsFastAsOne(Vertx vertx) throws Exception {
        try (LocalRedis redisServer = LocalRedis.start(0)) {
            RedisAPI redis = RedisAPI.api(Redis.createClient(vertx, redisServer.url()));
            double one;
            int base = freeBasePort(8);
            // Reports every 0.1 s, so that Redis's count trails the hashes done by little.
            Map<String, String> env = Map.of("REDIS_URL", redisServer.url(), "WORKER_REPORT_MS", "100");
            try (ChildProcess launcher = launch(base, 1, env)) {
                Thread.sleep(3000); // every loop under way, the first report made
                one = speed(redis, Duration.ofSeconds(12));
                assertEquals(0, launcher.terminate(Duration.ofSeconds(60)));
            }
            double eight;
            try (ChildProcess launcher = launch(base, 8, env)) {
                Thread.sleep(3000);
                eight = speed(redis, Duration.ofSeconds(12));
                assertEquals(0, launcher.terminate(Duration.ofSeconds(60)));
            }
            // At the default delays one worker does about 3.3 hashes/s; eight should do about eight times that.
            assertTrue(one > 2.0, "one worker mined only " + one + " hashes/s");
            assertTrue(eight >= 6 * one, "8 workers: " + eight + " hashes/s, 1 worker: " + one);
        }
    }

    @Test
    void sigtermExitsZeroAndRedisHoldsEveryHashTheWorkersCounted(Vertx vertx) throws Exception {
        try (LocalRedis redisServer = LocalRedis.start(0)) {
            int base = freeBasePort(4);
            ChildProcess launcher = launch(base, 4, Map.of("REDIS_URL", redisServer.url(),
                "WORKER_DELAY_MS", "10", "WORKER_CONCURRENCY", "4",
                // A long report interval: nearly everything counted is still unreported at SIGTERM.
                "WORKER_REPORT_MS", "60000"));
            List<String> output;
            try (launcher) {
                Thread.sleep(4000);
                assertEquals(0, launcher.terminate(Duration.ofSeconds(60)), launcher.output());
                output = launcher.lines();
            }
            long counted = 0;
            int tallies = 0;
            for (String line : output) {
                Matcher tally = TALLY.matcher(line);
                if (tally.find()) {
                    counted += Long.parseLong(tally.group(2));
                    assertEquals("0", tally.group(3), line);
                    tallies++;
                }
            }
            assertEquals(4, tallies, String.join("\n", output));
            assertTrue(counted > 0, "nothing was mined");
            RedisAPI redis = RedisAPI.api(Redis.createClient(vertx, redisServer.url()));
            assertEquals(counted, hashes(redis));
        }
    }

    @Test
    void ctrlCInATerminalLosesNoHashOfTheEmbeddedRedis() throws Exception {
        // setsid makes the launcher lead a process group, as a shell makes a command it runs in the foreground; the
        // terminal's Ctrl-C is SIGINT to that whole group, the embedded redis-server included unless it keeps apart.
        List<String> command = List.of("setsid", ChildProcess.javaBinary(), "-jar", JAR.toString(),
            "--workers", "2", "--ports", String.valueOf(freeBasePort(2)));
        List<String> output;
        try (ChildProcess launcher = ChildProcess.start(command, Map.of("ACCESS_LOG", "false",
            "WORKER_DELAY_MS", "10",
            // A long report interval: nearly everything counted is still unreported at Ctrl-C.
            "WORKER_REPORT_MS", "60000"))) {
            launcher.awaitLine(line -> line.contains("DockerCoins is mining"), Duration.ofSeconds(90));
            Thread.sleep(3000);
            launcher.signalGroup("INT");
            assertEquals(0, launcher.awaitExit(Duration.ofSeconds(60)), launcher.output());
            output = launcher.lines();
        }
        List<String> tallies = output.stream().filter(line -> TALLY.matcher(line).find()).toList();
        assertEquals(2, tallies.size(), String.join("\n", output));
        for (String line : tallies) {
            Matcher tally = TALLY.matcher(line);
            assertTrue(tally.find() && Long.parseLong(tally.group(2)) > 0, "nothing was mined: " + line);
            assertEquals("0", tally.group(3), String.join("\n", output));
        }
    }

    @Test
    void listensOnLoopbackOnlyUnlessAskedForEveryAddress() throws Exception {
        // A laptop on a conference network shows nothing to it; a lab VM, opened by its address, needs the flag.
        InetAddress own = ownNonLoopbackAddress();
        for (boolean all : List.of(false, true)) {
            int base = freeBasePort(1);
            Map<String, String> env = Map.of("ACCESS_LOG", "false");
            String[] args = all ? new String[] {"--ports", String.valueOf(base), "--all-addresses"}
                : new String[] {"--ports", String.valueOf(base)};
            try (ChildProcess launcher = ChildProcess.jar(JAR, env, args)) {
                launcher.awaitLine(line -> line.contains("DockerCoins is mining"), Duration.ofSeconds(90));
                for (int port = base; port <= base + 3; port++) {
                    assertTrue(accepts(InetAddress.getLoopbackAddress(), port), "127.0.0.1:" + port);
                    assertEquals(all, accepts(own, port), own + ":" + port + (all ? " with" : " without")
                        + " --all-addresses");
                }
            }
        }
    }

    private static boolean accepts(InetAddress address, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, port), 2_000);
            return true;
        } catch (IOException refused) {
            return false;
        }
    }

    /** An IPv4 address of this machine other than loopback: every CI machine has one. */
    private static InetAddress ownNonLoopbackAddress() throws IOException {
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (nic.isUp() && !nic.isLoopback()) {
                for (InetAddress address : Collections.list(nic.getInetAddresses())) {
                    if (address instanceof Inet4Address) {
                        return address;
                    }
                }
            }
        }
        throw new AssertionError("this machine has no IPv4 address but loopback: nothing to check against");
    }

    @Test
    void aPortInUseGetsOneClearLineAndANonZeroExit() throws Exception {
        int base = freeBasePort(1);
        try (ServerSocket taken = new ServerSocket(base + 1);
             ChildProcess launcher = ChildProcess.jar(JAR, Map.of(), "--ports", String.valueOf(base))) {
            int exit = launcher.awaitExit(Duration.ofSeconds(90));
            assertTrue(exit != 0, "exit " + exit + " although port " + taken.getLocalPort() + " was taken");
            String line = launcher.awaitLine(l -> l.contains("cannot start:"), Duration.ofSeconds(1));
            assertTrue(line.contains("rng (port " + (base + 1) + "): the port is already in use"), line);
            assertTrue(launcher.lines().stream().noneMatch(l -> l.startsWith("\tat ")), "a stack trace: " + launcher.output());
        }
    }

    @Test
    void aBadFlagGetsOneClearLineAndANonZeroExit() throws Exception {
        try (ChildProcess launcher = ChildProcess.jar(JAR, Map.of(), "--workers", "lots")) {
            assertEquals(2, launcher.awaitExit(Duration.ofSeconds(30)));
            assertEquals(1, launcher.lines().size(), launcher.output());
            assertTrue(launcher.lines().get(0).endsWith("--workers \"lots\" is invalid: expected a number from 1 to 200"));
        }
    }

    @Test
    void aBadVariableGetsOneClearLineAndExitsAsAServiceWould() throws Exception {
        int base = freeBasePort(1);
        try (ChildProcess launcher = ChildProcess.jar(JAR, Map.of("RNG_DELAY_MS", "soon"),
                "--ports", String.valueOf(base))) {
            assertEquals(2, launcher.awaitExit(Duration.ofSeconds(90)), launcher.output());
            // Checked before anything starts: no service comes up only to be stopped again.
            assertEquals(1, launcher.lines().size(), launcher.output());
            assertTrue(launcher.lines().get(0).endsWith("cannot start: rng: RNG_DELAY_MS=\"soon\" is invalid: "
                + "expected a whole number of milliseconds, 0 or more"), launcher.output());
        }
    }
}
