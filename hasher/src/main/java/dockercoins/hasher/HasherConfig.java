package dockercoins.hasher;

import dockercoins.shared.Env;

/** hasher's settings, from the environment (README, "Configuration"). */
record HasherConfig(int delayMs, int maxBytes) {

    static HasherConfig from(Env env) {
        return new HasherConfig(
            env.millis("HASHER_DELAY_MS", 100),
            env.count("HASHER_MAX_BYTES", 1_048_576, 0, Integer.MAX_VALUE - 1024));
    }

    String describe() {
        return "delay " + delayMs + " ms, bodies up to " + maxBytes + " bytes";
    }
}
