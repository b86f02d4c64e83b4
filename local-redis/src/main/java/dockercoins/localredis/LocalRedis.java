package dockercoins.localredis;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.embedded.core.ExecutableProvider;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real redis-server process on 127.0.0.1, from the binary that the embedded-redis artifact ships
 * on Maven Central, so that neither the local run nor the tests need Redis installed.
 * Data is kept in an append-only file, so a {@link #stop()} then {@link #start()} loses nothing:
 * tests use that to cut Redis off and bring it back.
 */
public final class LocalRedis implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger("local-redis");

    /**
     * Settings that take away every command added after Redis 5.0, for tests that prove DockerCoins needs no more
     * than 5.0 (the embedded Windows binary, the workshop's Helm chapter's 6.0). Newer options of old commands
     * (ZRANGE … BYSCORE) cannot be taken away this way: a source check holds those.
     */
    public static final String[] REDIS_5_COMMANDS_ONLY = redis5Only("HELLO", "ACL", "RESET", "GETDEL", "GETEX", "COPY",
        "LMOVE", "BLMOVE", "LPOS", "SMISMEMBER", "ZMSCORE", "ZRANDMEMBER", "HRANDFIELD", "ZRANGESTORE", "ZUNION",
        "ZINTER", "ZDIFF", "ZDIFFSTORE", "GEOSEARCH", "GEOSEARCHSTORE", "FAILOVER", "STRALGO");

    private static String[] redis5Only(String... newerCommands) {
        List<String> settings = new ArrayList<>();
        for (String command : newerCommands) {
            settings.addAll(List.of("--rename-command", command, ""));
        }
        return settings.toArray(String[]::new);
    }

    private final int port;
    /** Redis' data, and the redis-server binary copied out of the embedded-redis jar: both removed by close(). */
    private final Path dataDir;
    private final File binary;
    private final List<String> settings;
    private Process process;
    private boolean frozen;

    private LocalRedis(int port, Path dataDir, File binary, List<String> settings) {
        this.port = port;
        this.dataDir = dataDir;
        this.binary = binary;
        this.settings = settings;
    }

    /**
     * Starts redis-server on {@code port} (0: any free port), with more of its command-line settings if given
     * (e.g. {@code "--requirepass", "secret"}).
     */
    public static LocalRedis start(int port, String... settings) throws IOException {
        Path dir = Files.createTempDirectory("dockercoins-redis");
        try {
            // Into our own directory: embedded-redis's default is a new temporary directory per copy (10 MB), deleted
            // only at a normal JVM exit, which a launcher stopped by SIGTERM never has.
            LocalRedis redis = new LocalRedis(port == 0 ? freePort() : port, dir,
                ExecutableProvider.newJarResourceProvider(dir.toFile()).get(), List.of(settings));
            try {
                redis.start();
            } catch (IOException | RuntimeException e) {
                redis.stop();
                throw e;
            }
            return redis;
        } catch (IOException | RuntimeException e) {
            remove(dir);
            throw e;
        }
    }

    public int port() {
        return port;
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** (Re)starts the server on the same port, with the data it had. */
    public synchronized void start() throws IOException {
        if (process != null && process.isAlive()) {
            return;
        }
        List<String> command = new ArrayList<>(OWN_SESSION);
        command.addAll(List.of(binary.getAbsolutePath(),
            "--port", String.valueOf(port),
            "--bind", "127.0.0.1",
            "--dir", dataDir.toString(),
            "--save", "",
            "--appendonly", "yes",
            "--appendfsync", "always"));
        command.addAll(settings);
        process = new ProcessBuilder(command)
            .redirectErrorStream(true)
            .start();
        try {
            ServerOutput.awaitReady(process);
        } catch (IOException e) {
            process.destroyForcibly();
            throw new IOException("redis-server did not start on port " + port + ": " + e.getMessage(), e);
        }
    }

    /** Stops the server (SIGTERM: Redis finishes writing its data and exits). */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
        frozen = false;
    }

    /** Freezes the server (SIGSTOP): connections stay open but nothing answers, as with a hung node. */
    public synchronized void freeze() {
        signal("STOP");
    }

    /** Undoes {@link #freeze()}. */
    public synchronized void thaw() {
        signal("CONT");
    }

    /** Stops the server and removes its folder, whatever fails on the way (e.g. no kill command to thaw it). */
    @Override
    public void close() {
        try {
            if (frozen) {
                thaw();  // else stop()'s SIGTERM would wait, unheard, for its 10 s before SIGKILL
            }
        } catch (RuntimeException e) {
            LOG.warn("could not thaw redis-server on port {}: {}", port, e.toString());
        } finally {
            try {
                stop();
            } finally {
                remove(dataDir);
            }
        }
    }

    private static void remove(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            LOG.warn("could not remove {}: {}", dir, e.toString());
        }
    }

    /** Needs the kill command, which Linux and macOS have and Windows lacks: tests only. */
    private void signal(String signal) {
        if (process == null) {
            return;
        }
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(process.pid())).start();
            kill.waitFor(5, TimeUnit.SECONDS);
            frozen = "STOP".equals(signal);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Ctrl-C in a terminal signals the whole foreground process group: redis-server would exit before the workers'
     * last report. In a session of its own (setsid runs it in place) it hears only us, and stops after the workers.
     */
    private static final List<String> OWN_SESSION = Stream.of("/usr/bin/setsid", "/bin/setsid")
        .filter(setsid -> Files.isExecutable(Path.of(setsid))).limit(1).toList();

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
