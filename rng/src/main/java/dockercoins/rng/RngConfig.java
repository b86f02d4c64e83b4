package dockercoins.rng;

import dockercoins.shared.Env;

/** rng's settings, from the environment (README, "Configuration"). */
record RngConfig(int delayMs, int maxBytes, int concurrency) {

    static RngConfig from(Env env) {
        return new RngConfig(
            env.millis("RNG_DELAY_MS", 100),
            env.count("RNG_MAX_BYTES", 1_048_576, 0, Integer.MAX_VALUE - 1024),
            env.count("RNG_CONCURRENCY", 0, 0, 1_000_000));
    }

    String describe() {
        return "delay " + delayMs + " ms, at most " + maxBytes + " bytes, "
            + (concurrency == 0 ? "unlimited concurrency" : concurrency + " request(s) at once, the rest queued");
    }
}
