package dockercoins.localredis;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** redis-server's output: watched until it says it is ready, then drained so that it never blocks on a full pipe. */
final class ServerOutput {

    private static final long READY_WITHIN_S = 20;

    private ServerOutput() {
    }

    /** Returns once redis-server is ready; throws with what it said if it exits or takes too long first. */
    static void awaitReady(Process process) throws IOException {
        CompletableFuture<Void> ready = new CompletableFuture<>();
        StringBuilder early = new StringBuilder();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    if (!ready.isDone()) {
                        early.append(line).append('\n');
                        if (line.contains("Ready to accept connections")) {
                            ready.complete(null);
                        }
                    }
                }
            } catch (IOException e) {
                ready.completeExceptionally(e);
            }
            ready.completeExceptionally(new IOException("redis-server exited:\n" + early));
        }, "local-redis-output");
        reader.setDaemon(true);
        reader.start();
        try {
            ready.get(READY_WITHIN_S, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
