package dockercoins.worker;

import dockercoins.shared.Service;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ThreadLocalRandom;

/**
 * The retry schedule of one dependency (rng, hasher or redis): the one place that decides how long to wait after a
 * failure. Capped exponential backoff with jitter, about 100, 200, 400, 800, then at most 1000 ms, so a dependency
 * that comes back is used again within a second or so (the original waited 10 s); each delay is drawn from the upper
 * half of its range so that loops and workers do not all retry in step. Every failure is counted, but only the first
 * of a streak is logged, and its end gets one "recovered" line: an outage reads as two lines in the log however many
 * loops keep retrying. Used from the worker's one event loop only.
 */
final class RetrySchedule {

    private static final Logger LOG = LoggerFactory.getLogger("worker");
    private static final long FIRST_MS = 100;
    private static final long CAP_MS = 1000;

    private final String dependency;
    private final String call;
    private final Counter errors;
    private int failures;
    private long beganNanos;

    /** @param call what is attempted, for the log: e.g. "GET http://rng/32" */
    RetrySchedule(String dependency, String call, MeterRegistry registry) {
        this.dependency = dependency;
        this.call = call;
        // Registered now, so every stage shows at 0 before its first failure.
        this.errors = Counter.builder("dockercoins.worker.errors")
            .description("Failed calls to rng, hasher or Redis, each retried")
            .tag("stage", dependency)
            .register(registry);
    }

    /** One failure more in the streak: counted, logged if it is the first; answers the delay before the next try. */
    long delayAfter(Throwable cause) {
        long ceiling = Math.min(CAP_MS, FIRST_MS << Math.min(failures, 4));
        long delayMs = ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
        errors.increment();
        if (failures++ == 0) {
            beganNanos = System.nanoTime();
            LOG.warn("{} failed: {} ({}); retrying in {} ms", dependency, call, Service.reason(cause), delayMs);
        }
        return delayMs;
    }

    /** The streak, if any, is over. */
    void succeeded() {
        if (failures > 0) {
            LOG.info("{} recovered after {} failed attempt(s) in {} ms", dependency, failures,
                (System.nanoTime() - beganNanos) / 1_000_000);
            failures = 0;
        }
    }
}
