package dockercoins.worker;

import dockercoins.shared.Service;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The failures of one dependency (rng, hasher or redis): every failure is counted, but only the first of a
 * streak is logged, and its end gets one "recovered" line, so that an outage reads as two lines in the log
 * however many loops keep retrying. Used from the worker's one event loop only.
 */
final class Outage {

    private static final Logger LOG = LoggerFactory.getLogger("worker");

    private final String dependency;
    private final Counter errors;
    private int failures;
    private long beganNanos;

    Outage(String dependency, MeterRegistry registry) {
        this.dependency = dependency;
        // Registered now, so every stage shows at 0 before its first failure.
        this.errors = Counter.builder("dockercoins.worker.errors")
            .description("Failed calls to rng, hasher or Redis, each retried")
            .tag("stage", dependency)
            .register(registry);
    }

    /** @param call what was attempted, e.g. "GET http://rng/32" */
    void failed(String call, Throwable cause, long retryInMs) {
        errors.increment();
        if (failures++ == 0) {
            beganNanos = System.nanoTime();
            LOG.warn("{} failed: {} ({}); retrying in {} ms", dependency, call, Service.reason(cause), retryInMs);
        }
    }

    void succeeded() {
        if (failures > 0) {
            LOG.info("{} recovered after {} failed attempt(s) in {} ms", dependency, failures,
                (System.nanoTime() - beganNanos) / 1_000_000);
            failures = 0;
        }
    }
}
