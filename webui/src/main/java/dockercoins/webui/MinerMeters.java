package dockercoins.webui;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/** The webui's own metrics: the miner's figures as last read from Redis. */
final class MinerMeters {

    private final MeterRegistry registry;
    private volatile MinerSnapshot latest;
    private boolean registered;

    MinerMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * The figures the meters show from now on. The meters appear with the first figures read from Redis: a counter
     * that started at 0 and then jumped to the real total would look, to Prometheus, like a burst of hashing.
     */
    void show(MinerSnapshot snapshot) {
        latest = snapshot;
        if (registered || !snapshot.redisOk()) {
            return;
        }
        registered = true;
        Gauge.builder("dockercoins.coins", this, meters -> meters.latest.coins())
            .description("Coins in the wallet (HLEN wallet), as last read from Redis")
            .register(registry);
        FunctionCounter.builder("dockercoins.hashes", this, meters -> meters.latest.hashes())
            .description("Hashes computed by all workers (GET hashes), as last read from Redis")
            .register(registry);
        Gauge.builder("dockercoins.workers.active", this, meters -> meters.latest.workers().size())
            .description("Workers that reported within the last " + MinerWatch.ACTIVE_MS / 1000
                + " s, as last read from Redis")
            .register(registry);
    }
}
