package dockercoins.worker;

import dockercoins.shared.Env;
import dockercoins.shared.Hostname;
import dockercoins.shared.RedisUrl;

import java.net.URI;
import java.util.Set;

/** The worker's settings, from the environment (docs/configuration.md). */
record WorkerConfig(URI rngUrl, URI hasherUrl, URI redisUrl, int delayMs, int concurrency, int reportMs,
                    String workerId, String version) {

    private static final Set<String> HTTP = Set.of("http", "https");

    static WorkerConfig from(Env env) {
        return new WorkerConfig(
            env.url("RNG_URL", "http://rng", HTTP),
            env.url("HASHER_URL", "http://hasher", HTTP),
            RedisUrl.from(env),
            env.millis("WORKER_DELAY_MS", 100),
            env.count("WORKER_CONCURRENCY", 1, 1, 10_000),
            env.positiveMillis("WORKER_REPORT_MS", 1000),
            env.text("WORKER_ID", Hostname.get()),
            // The image sets APP_VERSION from its tag; a bare jar knows the version it was built as.
            env.text("APP_VERSION", builtVersion()));
    }

    private static String builtVersion() {
        String version = WorkerConfig.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }

    /** Where the 32 random bytes of one loop come from, as the original's {@code http://rng/32}. */
    String randomBytesUrl() {
        return withoutTrailingSlash(rngUrl) + "/32";
    }

    /** Where bytes are POSTed to be hashed, as the original's {@code http://hasher/}. */
    String hashUrl() {
        return withoutTrailingSlash(hasherUrl) + "/";
    }

    /** REDIS_URL without its password, fit for logs. */
    String redisAddress() {
        return RedisUrl.withoutPassword(redisUrl);
    }

    String describe() {
        return "worker " + workerId + " " + version + ": " + concurrency + " loop(s), delay " + delayMs + " ms, rng " + randomBytesUrl()
            + ", hasher " + hashUrl() + ", redis " + redisAddress() + ", reporting every " + reportMs + " ms";
    }

    private static String withoutTrailingSlash(URI url) {
        String text = url.toString();
        return text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
    }
}
