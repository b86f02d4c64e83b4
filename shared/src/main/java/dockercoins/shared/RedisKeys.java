package dockercoins.shared;

/**
 * The Redis keys of DockerCoins. {@code hashes} and {@code wallet} are the original's; the per-worker
 * keys are ours, written by the worker's report script in the same atomic step as {@code INCRBY hashes}.
 */
public final class RedisKeys {

    /** String integer: loops done by all workers ({@code INCRBY}). */
    public static final String HASHES = "hashes";
    /** Hash: hex digest of a coin → the random bytes that produced it ({@code HSET}). */
    public static final String WALLET = "wallet";
    /** Hash: worker id → loops that worker has reported ({@code HINCRBY}); its fields add up to {@code hashes}. */
    public static final String WORKER_HASHES = "worker_hashes";
    /** Sorted set: worker id → epoch milliseconds of its last report ({@code ZADD}); says who is active. */
    public static final String WORKER_SEEN = "worker_seen";
    /** Hash: worker id → the version it runs (APP_VERSION), so a rolling update shows on the dashboard. */
    public static final String WORKER_VERSION = "worker_version";

    private RedisKeys() {
    }
}
