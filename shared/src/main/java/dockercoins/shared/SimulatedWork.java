package dockercoins.shared;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

/** The simulated work of rng and hasher, which must not block an event loop. */
public final class SimulatedWork {

    private SimulatedWork() {
    }

    /** The simulated delay: a timer, never a sleeping thread. */
    public static Future<Void> delay(Vertx vertx, long millis) {
        return millis == 0 ? Future.succeededFuture() : vertx.timer(millis).mapEmpty();
    }
}
