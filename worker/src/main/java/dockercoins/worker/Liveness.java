package dockercoins.worker;

import dockercoins.shared.PlainText;
import io.vertx.ext.web.RoutingContext;

import java.util.function.BooleanSupplier;

/**
 * The worker's /healthz: fails when no loop has got anywhere for longer than a turn can take however rng, hasher and
 * Redis fare. A failed turn still ends and is retried within a second, and a loop holding off while Redis is away wakes
 * every report interval, so only a worker whose loops are stuck goes past it, and a restart is what helps it.
 */
final class Liveness {

    /** Beyond the longest a turn can take, before the worker calls itself stuck: a long GC pause is not stuck. */
    private static final int STUCK_MARGIN_MS = 5000;

    private final long turnAtMostMs;
    /** A stopping worker's loops end on purpose: that is not stuck. */
    private final BooleanSupplier stopping;
    /** When a loop last got anywhere: finished a turn, failed one, or held off for Redis. */
    private volatile long progressedAtNanos = System.nanoTime();

    Liveness(WorkerConfig config, BooleanSupplier stopping) {
        this.stopping = stopping;
        this.turnAtMostMs = config.delayMs() + config.reportMs()
            + 2L * (RngAndHasher.CONNECT_TIMEOUT_MS + RngAndHasher.REQUEST_TIMEOUT_MS) + STUCK_MARGIN_MS;
    }

    /** A loop got somewhere. */
    void progressed() {
        progressedAtNanos = System.nanoTime();
    }

    void handle(RoutingContext rc) {
        long stuckForMs = (System.nanoTime() - progressedAtNanos) / 1_000_000;
        if (stopping.getAsBoolean() || stuckForMs <= turnAtMostMs) {
            PlainText.reply(rc, 200, "ok");
            return;
        }
        PlainText.reply(rc, 503, "stuck: no mining loop has finished a turn for " + stuckForMs / 1000 + " s");
    }
}
