package dockercoins.worker;

import dockercoins.localredis.LocalRedis;
import dockercoins.shared.Env;
import dockercoins.shared.RedisKeys;
import dockercoins.shared.RedisUrl;
import dockercoins.shared.testing.ChildProcess;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** The `audit` command, against a real Redis: good wallets pass, any bad coin fails and is named. */
@ExtendWith(VertxExtension.class)
class WalletAuditTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    private LocalRedis localRedis;

    @AfterEach
    void stopRedis() {
        if (localRedis != null) {
            localRedis.close();
        }
    }

    private record Outcome(int exitCode, String output) { }

    private static Outcome audit(String redisUrl) {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        int exitCode = WalletAudit.run(Env.of(Map.of("REDIS_URL", redisUrl)),
            new PrintStream(printed, true, StandardCharsets.UTF_8));
        return new Outcome(exitCode, printed.toString(StandardCharsets.UTF_8));
    }

    /** Mines n real coins as the worker does (random bytes whose SHA-256 starts with 0) into the wallet. */
    private static void mine(Redis redis, int n) throws Exception {
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        Request hset = Request.cmd(Command.HSET).arg(RedisKeys.WALLET);
        for (int found = 0; found < n; ) {
            byte[] bytes = new byte[32];
            RANDOM.nextBytes(bytes);
            String hex = HexFormat.of().formatHex(sha256.digest(bytes));
            if (hex.startsWith("0")) {
                hset.arg(hex).arg(bytes);
                found++;
            }
        }
        redis.send(hset).await(10, TimeUnit.SECONDS);
    }

    private static void hset(Redis redis, String field, byte[] value) throws Exception {
        redis.send(Request.cmd(Command.HSET).arg(RedisKeys.WALLET).arg(field).arg(value)).await(10, TimeUnit.SECONDS);
    }

    /** More coins than one HSCAN page, in database 1 behind a password: all read, all good. */
    @Test
    void aGoodWalletPassesReadPageByPageWithThePasswordAndDatabaseOfRedisUrl(Vertx vertx) throws Exception {
        localRedis = LocalRedis.start(0, "--requirepass", "s3cret");
        String url = "redis://:s3cret@127.0.0.1:" + localRedis.port() + "/1";
        mine(RedisUrl.client(vertx, URI.create(url)), 2500);
        Outcome outcome = audit(url);
        assertEquals(WalletAudit.EXIT_GOOD, outcome.exitCode(), outcome.output());
        assertTrue(outcome.output().contains("2500 coins in the wallet at redis://127.0.0.1:" + localRedis.port()
            + ", every one good"), outcome.output());
        assertFalse(outcome.output().contains("s3cret"), "the password is never printed");
    }

    /** A coin whose bytes hash to another name, and a hash that does not start with 0: each named, exit 1. */
    @Test
    void aForgedCoinFailsTheAuditWithItsKeyNamed(Vertx vertx) throws Exception {
        localRedis = LocalRedis.start(0);
        Redis redis = RedisUrl.client(vertx, URI.create(localRedis.url()));
        mine(redis, 100);
        String forged = "0" + "f".repeat(63);
        hset(redis, forged, new byte[32]);
        byte[] notACoin = "hello".getBytes(StandardCharsets.UTF_8);
        String notZero = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(notACoin));
        assertFalse(notZero.startsWith("0"));
        hset(redis, notZero, notACoin);
        Outcome outcome = audit(localRedis.url());
        assertEquals(WalletAudit.EXIT_BAD_COIN, outcome.exitCode(), outcome.output());
        assertTrue(outcome.output().contains("bad coin " + forged + ": its bytes hash to 66687aad"),
            outcome.output());
        assertTrue(outcome.output().contains("bad coin " + notZero + ": its hash does not start with 0"),
            outcome.output());
        assertTrue(outcome.output().contains("2 bad of 102 coins"), outcome.output());
        // The Job's command: the worker's own main with the argument "audit", its exit code the process's.
        try (ChildProcess job = ChildProcess.java(Worker.class.getName(), Map.of("REDIS_URL", localRedis.url()),
            "audit")) {
            assertEquals(WalletAudit.EXIT_BAD_COIN, job.awaitExit(Duration.ofSeconds(60)), job.output());
            assertTrue(job.output().contains("bad coin " + forged), job.output());
        }
    }

    @Test
    void anEmptyWalletPassesSayingSo() throws Exception {
        localRedis = LocalRedis.start(0);
        Outcome outcome = audit(localRedis.url());
        assertEquals(WalletAudit.EXIT_GOOD, outcome.exitCode(), outcome.output());
        assertTrue(outcome.output().contains("is empty: no coins to check"), outcome.output());
    }

    /** Nothing to audit is not a pass: exit 2 with one line naming where it looked (a Job retries it). */
    @Test
    void anUnreachableRedisOrABadUrlIsExitTwoWithOneClearLine() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        Outcome outcome = audit("redis://:s3cret@127.0.0.1:" + closed);
        assertEquals(WalletAudit.EXIT_UNREADABLE, outcome.exitCode(), outcome.output());
        assertTrue(outcome.output().startsWith("audit: cannot read the wallet at redis://127.0.0.1:" + closed + ": "),
            outcome.output());
        assertFalse(outcome.output().contains("s3cret"), outcome.output());
        Outcome badUrl = audit("http://redis");
        assertEquals(WalletAudit.EXIT_UNREADABLE, badUrl.exitCode());
        assertTrue(badUrl.output().contains("REDIS_URL"), badUrl.output());
    }
}
