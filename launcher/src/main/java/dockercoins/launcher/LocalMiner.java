package dockercoins.launcher;

import dockercoins.hasher.Hasher;
import dockercoins.localredis.LocalRedis;
import dockercoins.rng.Rng;
import dockercoins.shared.BadConfigException;
import dockercoins.shared.Env;
import dockercoins.shared.FailedStart;
import dockercoins.shared.Service;
import dockercoins.shared.Service.RunningService;
import dockercoins.webui.Webui;
import dockercoins.worker.Worker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The whole miner on one machine: Redis, rng, hasher, webui and N workers, each service in its
 * own Vert.x with its own port and /metrics, as separate pods would be.
 */
final class LocalMiner {

    private static final Logger LOG = LoggerFactory.getLogger("launcher");

    private final LocalRedis embeddedRedis;
    private final List<RunningService> workers = new ArrayList<>();
    private final List<RunningService> services = new ArrayList<>();

    private LocalMiner(LocalRedis embeddedRedis) {
        this.embeddedRedis = embeddedRedis;
    }

    /** A start failure of one part, told in one line that names it. */
    static final class StartFailure extends Exception {
        private static final long serialVersionUID = 1L;
        private final boolean badConfiguration;

        StartFailure(String message) {
            this(message, false);
        }

        StartFailure(String message, boolean badConfiguration) {
            super(message, null, false, false);
            this.badConfiguration = badConfiguration;
        }

        /** A bad environment variable: the user's mistake, which exits as a service's own bad variable does. */
        boolean badConfiguration() {
            return badConfiguration;
        }
    }

    /** Where the embedded Redis will be, for checking the variables before it runs: any valid URL does. */
    private static final String EMBEDDED_REDIS_TO_BE = "redis://127.0.0.1:6379";

    static LocalMiner start(LaunchOptions options, Env env) throws StartFailure {
        List<Part> services = List.of(
            new Part("rng", options.rngPort(), Rng::deployment, Map.of()),
            new Part("hasher", options.hasherPort(), Hasher::deployment, Map.of()),
            new Part("webui", options.webuiPort(), Webui::deployment, Map.of()));
        List<Part> workers = new ArrayList<>();
        for (int i = 1; i <= options.workers(); i++) {
            workers.add(new Part("worker", options.workerPort(i), Worker::deployment, Map.of("WORKER_ID", "worker-" + i)));
        }
        String givenRedisUrl = env.text("REDIS_URL", null);
        // Every variable checked before anything starts: a bad one is then one line, with nothing half-started.
        Env toCheck = common(env, options, givenRedisUrl == null ? EMBEDDED_REDIS_TO_BE : givenRedisUrl);
        List<Part> checked = new ArrayList<>(services);
        checked.add(workers.get(0));  // the workers differ only in port and id
        for (Part part : checked) {
            try {
                Service.checkConfiguration(part.name(), part.env(toCheck), part.factory());
            } catch (BadConfigException e) {
                throw new StartFailure(part.name() + ": " + e.getMessage(), true);
            }
        }

        LocalMiner miner;
        try {
            miner = new LocalMiner(givenRedisUrl == null ? LocalRedis.start(0) : null);
        } catch (IOException e) {
            throw new StartFailure("embedded redis-server: " + e.getMessage());
        }
        String redisUrl = givenRedisUrl == null ? miner.embeddedRedis.url() : givenRedisUrl;
        Env common = common(env, options, redisUrl);
        try {
            miner.startAll(services, common, miner.services);
            miner.startAll(workers, common, miner.workers);
        } catch (StartFailure e) {
            miner.stop();
            throw e;
        }
        miner.describe(options, redisUrl);
        return miner;
    }

    /** What every part reads alike: where it listens, and where Redis, rng and hasher are. */
    private static Env common(Env env, LaunchOptions options, String redisUrl) {
        return env.with(Map.of(
            "LISTEN_ADDRESS", options.listenAddress(),
            "REDIS_URL", redisUrl,
            "RNG_URL", "http://127.0.0.1:" + options.rngPort(),
            "HASHER_URL", "http://127.0.0.1:" + options.hasherPort()));
    }

    private record Part(String name, int port, Service.Factory factory, Map<String, String> ownEnv) {
        Env env(Env common) {
            Map<String, String> vars = new HashMap<>(ownEnv);
            vars.put("PORT", String.valueOf(port));
            return common.with(vars);
        }
    }

    /** Starts the parts side by side; the first failure is reported with the part's name and port. */
    private void startAll(List<Part> parts, Env common, List<RunningService> started) throws StartFailure {
        List<CompletableFuture<RunningService>> starting = new ArrayList<>();
        for (Part part : parts) {
            starting.add(Service.start(part.name(), part.env(common), part.factory()).toCompletionStage().toCompletableFuture());
        }
        StartFailure failure = null;
        for (int i = 0; i < parts.size(); i++) {
            try {
                started.add(starting.get(i).get(60, TimeUnit.SECONDS));
            } catch (ExecutionException e) {
                Part part = parts.get(i);
                if (failure == null) {
                    failure = new StartFailure(part.name() + " (port " + part.port() + "): "
                        + FailedStart.explain(e.getCause()));
                }
            } catch (Exception e) {
                if (failure == null) {
                    failure = new StartFailure(parts.get(i).name() + ": " + e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private void describe(LaunchOptions options, String redisUrl) {
        LOG.info("DockerCoins is mining. Dashboard: http://localhost:{}/", options.webuiPort());
        LOG.info("  webui   http://localhost:{}/        (/json, /metrics)", options.webuiPort());
        LOG.info("  rng     http://localhost:{}/32", options.rngPort());
        LOG.info("  hasher  http://localhost:{}/        (POST)", options.hasherPort());
        LOG.info("  workers {} x, metrics on ports {}..{}", options.workers(), options.workerPort(1),
            options.workerPort(options.workers()));
        LOG.info("  redis   {}{}", embeddedRedis != null ? "embedded redis-server at " : "", redisUrl);
        LOG.info(options.allAddresses() ? "Listening on every address of this machine."
            : "Listening on 127.0.0.1 only; --all-addresses lets other machines in (a lab VM opened by its address).");
        LOG.info("Ctrl-C stops everything; the workers flush their counted hashes to Redis first.");
    }

    /** Workers first (they flush to Redis), then the services they use, then Redis. */
    void stop() {
        stopAll(workers);
        stopAll(services);
        if (embeddedRedis != null) {
            embeddedRedis.close();
        }
        LOG.info("DockerCoins stopped");
    }

    private static void stopAll(List<RunningService> running) {
        List<CompletableFuture<Void>> stopping = new ArrayList<>();
        for (RunningService service : running) {
            stopping.add(CompletableFuture.runAsync(service::stopAndWait));
        }
        stopping.forEach(CompletableFuture::join);
        running.clear();
    }
}
