package dockercoins.localredis;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalRedisTest {

    /** One inline command over a raw socket, so this test depends on nothing but the JDK. */
    private static String command(int port, String command) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(2000);
            OutputStream out = socket.getOutputStream();
            out.write((command + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String line = in.readLine();
            if (line.startsWith("$") && !line.equals("$-1")) {
                return in.readLine();
            }
            return line;
        }
    }

    @Test
    void keepsItsDataAcrossAStopAndAStart() throws Exception {
        try (LocalRedis redis = LocalRedis.start(0)) {
            assertEquals(":5", command(redis.port(), "INCRBY hashes 5"));
            redis.stop();
            assertThrows(IOException.class, () -> command(redis.port(), "PING"));
            redis.start();
            assertEquals("5", command(redis.port(), "GET hashes"));
        }
    }

    @Test
    void aFrozenRedisAnswersNothingUntilThawed() throws Exception {
        try (LocalRedis redis = LocalRedis.start(0)) {
            redis.freeze();
            assertThrows(SocketTimeoutException.class, () -> command(redis.port(), "PING"));
            redis.thaw();
            assertEquals("+PONG", command(redis.port(), "PING"));
        }
    }

    /**
     * Windows has no kill command: closing must still stop redis-server and remove its folder, and a start that
     * fails must leave no folder either. Run in a JVM of its own whose PATH finds no kill, and whose temporary
     * folder is this test's alone.
     */
    @Test
    void closeStopsRedisAndRemovesItsFolderWithoutAKillCommandAndAFailedStartLeavesNoFolder() throws Exception {
        Path tmp = Files.createTempDirectory("local-redis-test");
        Path output = tmp.resolveSibling(tmp.getFileName() + ".log");
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Djava.io.tmpdir=" + tmp, "-cp", System.getProperty("java.class.path"), WithoutKill.class.getName())
            .redirectErrorStream(true).redirectOutput(output.toFile());
        // embedded-redis runs uname to pick its binary; kill is the one command missing.
        Path bin = Files.createDirectories(tmp.resolveSibling(tmp.getFileName() + "-bin"));
        Files.createSymbolicLink(bin.resolve("uname"), Stream.of("/usr/bin/uname", "/bin/uname").map(Path::of)
            .filter(Files::isExecutable).findFirst().orElseThrow());
        builder.environment().put("PATH", bin.toString());
        Process child = builder.start();
        try {
            assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child JVM ends");
            String said = Files.readString(output);
            assertEquals(0, child.exitValue(), said);
            int port = Integer.parseInt(said.lines().filter(line -> line.startsWith("port ")).findFirst()
                .orElseThrow(() -> new AssertionError(said)).substring(5));
            assertThrows(IOException.class, () -> command(port, "PING"), "redis-server stopped");
            try (Stream<Path> left = Files.list(tmp)) {
                assertEquals(List.of(), left.toList(), "nothing left in the temporary folder");
            }
        } finally {
            child.destroyForcibly();
            // Should the close have failed: no redis-server left behind by this test either.
            if (Files.exists(output)) {
                Files.readString(output).lines().filter(line -> line.startsWith("pid "))
                    .forEach(line -> ProcessHandle.of(Long.parseLong(line.substring(4)))
                        .ifPresent(ProcessHandle::destroyForcibly));
            }
            try (Stream<Path> files = Files.walk(tmp)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
            Files.deleteIfExists(output);
            Files.deleteIfExists(bin.resolve("uname"));
            Files.deleteIfExists(bin);
        }
    }

    /** The child of the test above: a failed start, then a start and a close; says the port it used. */
    public static final class WithoutKill {
        public static void main(String[] args) throws Exception {
            try {
                LocalRedis.start(0, "--no-such-setting", "yes").close();
                throw new AssertionError("redis-server started with a setting it does not know");
            } catch (IOException expected) {
                System.out.println("failed start: " + expected.getMessage().lines().findFirst().orElse(""));
            }
            LocalRedis redis = LocalRedis.start(0);
            System.out.println("port " + redis.port());
            ProcessHandle.current().children().forEach(server -> System.out.println("pid " + server.pid()));
            redis.close();
        }
    }
}
