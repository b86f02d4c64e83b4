package dockercoins.rng;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;

/**
 * RNG_CONCURRENCY's slots: at most {@code limit} requests are served at once, the rest wait for a slot in
 * arrival order. With a limit of 1 this is the original rng's single-threaded bottleneck. Shared by every
 * event loop of the service, hence the (short) lock.
 */
final class Slots {

    private final int limit;
    private final Queue<Runnable> waiting = new ArrayDeque<>();
    private int serving;

    /** @param limit 0 for no limit */
    Slots(int limit) {
        this.limit = limit;
    }

    /** Runs {@code serve} now if a slot is free, else when one frees up; it must call {@link #free()} once. */
    void whenFree(Runnable serve) {
        if (limit == 0) {
            serve.run();
            return;
        }
        synchronized (this) {
            if (serving >= limit) {
                waiting.add(serve);
                return;
            }
            serving++;
        }
        serve.run();
    }

    void free() {
        if (limit == 0) {
            return;
        }
        Runnable next;
        synchronized (this) {
            next = waiting.poll();
            if (next == null) {
                serving--;
            }
        }
        if (next != null) {
            next.run();
        }
    }

    /** On stop: every request waiting is let through at once, to be answered 503 rather than served in turn. */
    void freeAll() {
        List<Runnable> released;
        synchronized (this) {
            released = new ArrayList<>(waiting);
            waiting.clear();
            serving += released.size();  // each one leaves as it is answered
        }
        released.forEach(Runnable::run);
    }

    synchronized int waiting() {
        return waiting.size();
    }
}
