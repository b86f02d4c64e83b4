package dockercoins.worker;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Timer;
import io.vertx.core.Vertx;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** The mining loops' sleeps between turns, which a stop cuts short. Used from the worker's one event loop only. */
final class Pauses {

    private final Vertx vertx;
    private final Set<Timer> sleeping = new HashSet<>();

    Pauses(Vertx vertx) {
        this.vertx = vertx;
    }

    /**
     * Completes after {@code ms}, or when {@link #cutShort} is called. 0 is not a timer, which takes 1 ms at least:
     * that capped 32 loops at about 19,000 hashes/s (BENCHMARKS.md); queued, not called, so the stack never grows.
     */
    Future<Void> of(long ms) {
        if (ms == 0) {
            Promise<Void> now = Promise.promise();
            vertx.runOnContext(now::complete);
            return now.future();
        }
        Timer timer = vertx.timer(ms, TimeUnit.MILLISECONDS);
        sleeping.add(timer);
        return timer.andThen(fired -> sleeping.remove(timer));
    }

    /** Ends every pause now (its future fails, cancelled). */
    void cutShort() {
        List.copyOf(sleeping).forEach(Timer::cancel);
    }
}
