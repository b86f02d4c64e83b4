package dockercoins.webui;

import java.time.Duration;
import java.util.concurrent.Callable;

/** Waits for something the webui shows within a second or a few, and says what it last saw if it never does. */
final class Eventually {

    private Eventually() {
    }

    @FunctionalInterface
    interface Check {
        void run() throws Exception;
    }

    /** Runs {@code check} until it passes (returns without throwing) or {@code within} has passed. */
    static void passes(Duration within, Check check) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            try {
                check.run();
                return;
            } catch (AssertionError | Exception notYet) {
                if (System.nanoTime() > deadline) {
                    throw notYet;
                }
                Thread.sleep(100);
            }
        }
    }

    /** The first value of {@code probe} that {@code done} accepts. */
    static <T> T value(Duration within, Callable<T> probe, java.util.function.Predicate<T> done) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        T last = null;
        while (System.nanoTime() < deadline) {
            last = probe.call();
            if (done.test(last)) {
                return last;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("not as expected within " + within + "; last seen: " + last);
    }
}
