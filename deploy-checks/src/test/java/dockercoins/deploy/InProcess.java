package dockercoins.deploy;

import dockercoins.hasher.Hasher;
import dockercoins.rng.Rng;
import dockercoins.shared.Env;
import dockercoins.shared.Service;
import dockercoins.shared.Service.RunningService;
import dockercoins.webui.Webui;
import dockercoins.worker.Worker;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * A service started in-process with the environment a deployment file gives it, to ask the code
 * itself which variables it reads and which paths it serves.
 */
final class InProcess implements AutoCloseable {

    /** The services whose code this module can start. */
    static final Map<String, Service.Factory> FACTORIES = Map.of(
        "rng", Rng::deployment,
        "hasher", Hasher::deployment,
        "worker", Worker::deployment,
        "webui", Webui::deployment);

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Env env;
    private final RunningService running;

    private InProcess(Env env, RunningService running) {
        this.env = env;
        this.running = running;
    }

    /** The Java services of the contract whose code this module can start, in contract order. */
    static List<String> startable() {
        return Contract.SERVICES.stream().filter(FACTORIES::containsKey).toList();
    }

    /** The Java services of the contract this module cannot start yet; announced loudly by the caller. */
    static List<String> pending() {
        List<String> pending = Contract.SERVICES.stream().filter(s -> !FACTORIES.containsKey(s)).toList();
        if (!pending.isEmpty()) {
            System.err.println("!!! not yet checked against their code (modules not merged): " + pending + " !!!");
        }
        return pending;
    }

    /**
     * Starts a service with a deployment's variables, except that it listens on a free port and its
     * URLs point at a closed local port (the variable names, and every other value, stay as written).
     */
    static InProcess start(String service, Map<String, String> deploymentEnv) {
        Service.Factory factory = FACTORIES.get(service);
        if (factory == null) {
            throw new AssertionError("no code to start for " + service);
        }
        Map<String, String> vars = new HashMap<>();
        deploymentEnv.forEach((name, value) -> vars.put(name, harmless(value)));
        vars.put("PORT", "0");
        vars.put("ACCESS_LOG", "false");
        Env env = Env.of(vars);
        try {
            RunningService running = Service.start(service, env, factory)
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            return new InProcess(env, running);
        } catch (Exception e) {
            throw new AssertionError(service + " does not start with " + deploymentEnv + ": " + e, e);
        }
    }

    /** The variables the service asked for, set or not. */
    Set<String> namesRead() {
        return new TreeSet<>(env.namesRead());
    }

    int status(String method, String path) {
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + running.port() + path))
                .method(method, HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(10))
                .build();
            return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            throw new AssertionError("GET " + path + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    int get(String path) {
        return status("GET", path);
    }

    String body(String path) {
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + running.port() + path))
                .timeout(Duration.ofSeconds(10)).build();
            HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new AssertionError("GET " + path + " answered " + response.statusCode());
            }
            return response.body();
        } catch (IOException e) {
            throw new AssertionError("GET " + path + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        running.stopAndWait();
    }

    private static String harmless(String value) {
        if (value.startsWith("http://") || value.startsWith("https://")) {
            return "http://127.0.0.1:1";
        }
        if (value.startsWith("redis://") || value.startsWith("rediss://")) {
            return "redis://127.0.0.1:1";
        }
        return value;
    }
}
