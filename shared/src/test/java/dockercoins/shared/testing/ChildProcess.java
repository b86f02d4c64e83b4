package dockercoins.shared.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A service run as its own JVM, as a container would run it: its output is kept, SIGTERM stops it. */
public final class ChildProcess implements AutoCloseable {

    private final Process process;
    /** Output goes to a file, not a pipe: nothing is lost when the process exits while we read. */
    private final Path outputFile;

    private ChildProcess(Process process, Path outputFile) {
        this.process = process;
        this.outputFile = outputFile;
    }

    /** Runs {@code mainClass} from this test's own classpath. */
    public static ChildProcess java(String mainClass, Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(javaBinary(), "-cp", System.getProperty("java.class.path"),
            mainClass));
        command.addAll(List.of(args));
        return start(command, env);
    }

    /** Runs a fat jar with {@code java -jar}. */
    public static ChildProcess jar(Path jar, Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(javaBinary(), "-jar", jar.toString()));
        command.addAll(List.of(args));
        return start(command, env);
    }

    /** Runs any command, e.g. java under another user. */
    public static ChildProcess start(List<String> command, Map<String, String> env) throws IOException {
        Path outputFile = Files.createTempFile("dockercoins-child", ".log");
        ProcessBuilder builder = new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(outputFile.toFile());
        builder.environment().putAll(env);
        return new ChildProcess(builder.start(), outputFile);
    }

    public static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Waits until a line of output matches, failing with the output so far if none does in time. */
    public String awaitLine(Predicate<String> matches, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            boolean exited = !process.isAlive();
            for (String line : lines()) {
                if (matches.test(line)) {
                    return line;
                }
            }
            if (exited) {
                throw new AssertionError("process exited " + process.exitValue() + ":\n" + output());
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no matching line within " + timeout + ":\n" + output());
    }

    /** Resident memory of the process now, in MiB (Linux). */
    public long rssMiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
            }
        }
        throw new IOException("no VmRSS for process " + process.pid());
    }

    /** Sends a POSIX signal (e.g. "STOP", "CONT") with the kill command: pauses and resumes, as a host can. */
    public void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid())).start();
        if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IOException("kill -" + name + " " + process.pid() + " failed");
        }
    }

    /**
     * Sends a POSIX signal to the process's whole group, as a terminal's Ctrl-C does ("INT"); the process must lead its
     * group (started under setsid).
     */
    public void signalGroup(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, "--", "-" + process.pid()).start();
        if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IOException("kill -" + name + " -- -" + process.pid() + " failed");
        }
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Sends SIGTERM, as Kubernetes and docker stop do, and returns the exit code. */
    public int terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        return awaitExit(timeout);
    }

    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("process did not exit within " + timeout + ":\n" + output());
        }
        return process.exitValue();
    }

    public List<String> lines() {
        try {
            return Files.readAllLines(outputFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String output() {
        return String.join("\n", lines());
    }

    /**
     * Stops the process as docker stop does: SIGTERM, then SIGKILL after 15 s. Not SIGKILL at once: a launcher killed
     * so never stops its embedded redis-server, which then outlives the test run.
     */
    @Override
    public void close() throws IOException {
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        Files.deleteIfExists(outputFile);
    }
}
