package dockercoins.worker;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Capped exponential backoff with jitter: about 100, 200, 400, 800, then at most 1000 ms, so a dependency
 * that comes back is used again within a second or so (the original waited 10 s). Each delay is drawn from
 * the upper half of its range so that many loops and workers do not all retry in step.
 */
final class Backoff {

    private static final long FIRST_MS = 100;
    private static final long CAP_MS = 1000;

    private int failures;

    /** The delay before the next attempt, one failure further into the streak. */
    long next() {
        long ceiling = Math.min(CAP_MS, FIRST_MS << Math.min(failures, 4));
        failures++;
        return ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
    }

    void reset() {
        failures = 0;
    }
}
