package dockercoins.shared;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.concurrent.Callable;

/** The two kinds of "work" rng and hasher do, neither of which may block an event loop. */
public final class SimulatedWork {

    /** Above this many bytes, generating or hashing takes long enough to move off the event loop. */
    private static final int OFFLOAD_ABOVE_BYTES = 64 * 1024;

    private SimulatedWork() {
    }

    /** The simulated delay: a timer, never a sleeping thread. */
    public static Future<Void> delay(Vertx vertx, long millis) {
        return millis == 0 ? Future.succeededFuture() : vertx.timer(millis).mapEmpty();
    }

    /** Real work on {@code bytes} bytes: inline when small, on a worker thread when large. */
    public static <T> Future<T> compute(Vertx vertx, int bytes, Callable<T> work) {
        if (bytes <= OFFLOAD_ABOVE_BYTES) {
            try {
                return Future.succeededFuture(work.call());
            } catch (Exception e) {
                return Future.failedFuture(e);
            }
        }
        return vertx.executeBlocking(work, false);
    }
}
