package dockercoins.shared;

import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/** SIGTERM (or Ctrl-C) stops a process gracefully, and a graceful stop exits 0. */
public final class GracefulExit {

    private GracefulExit() {
    }

    /**
     * For a process's main method, called before it starts anything: on SIGTERM (or Ctrl-C) waits for the start
     * to finish, stops what started gracefully, and exits 0; a JVM ended by SIGTERM would exit 143, yet a graceful
     * stop is a success, and says so. If the start failed there is nothing to stop, and the exit code stays the
     * one given (main's own, or 143). The hook also runs on System.exit, so {@code started} must complete,
     * successfully or not; a start still unfinished after {@link Service#GRACE} is left, and the JVM exits 143.
     */
    public static <T> void onSigterm(String name, CompletableFuture<T> started, Consumer<T> stop) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            T running;
            try {
                running = started.get(Service.GRACE.toSeconds(), TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                return;  // the start failed: nothing to stop
            } catch (TimeoutException e) {
                LoggerFactory.getLogger(name).warn("{} still starting after {} s: exiting without a graceful stop",
                    name, Service.GRACE.toSeconds());
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            stop.accept(running);
            Runtime.getRuntime().halt(0);
        }, name + "-shutdown"));
    }
}
