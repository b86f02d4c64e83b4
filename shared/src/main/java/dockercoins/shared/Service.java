package dockercoins.shared;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.BindException;
import java.net.SocketException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Runs one service the same way everywhere (its own jar, the launcher, the tests):
 * read the environment, start its own Vert.x with its own metrics, deploy, and stop gracefully.
 */
public final class Service {

    /** How long in-flight work may take to finish on stop; well inside Kubernetes' 30 s grace period. */
    public static final Duration GRACE = Duration.ofSeconds(20);
    /** The exit code for a bad environment variable or flag: a user's mistake, not a crash (1). */
    public static final int EXIT_BAD_CONFIGURATION = 2;

    /** What a service deploys, decided from its environment (which is where a bad value is refused). */
    @FunctionalInterface
    public interface Factory {
        Deployment create(Env env, ServiceHttp http);
    }

    /**
     * @param settings  one line on what this instance will do, logged at start
     * @param instances how many verticle instances (event loops) serve the port
     */
    public record Deployment(String settings, int instances, Supplier<? extends Deployable> verticle) {
        public static Deployment single(String settings, Supplier<? extends Deployable> verticle) {
            return new Deployment(settings, 1, verticle);
        }
    }

    private Service() {
    }

    /** A service's main method: start from the process environment, stop on SIGTERM, exit 0. */
    public static void main(String name, Factory factory) {
        Logger log = LoggerFactory.getLogger(name);
        CompletableFuture<RunningService> started = new CompletableFuture<>();
        // Before the start: /readyz answers 200 as soon as the first instance listens, before the start has
        // completed, and a SIGTERM in between must still stop gracefully and exit 0.
        stopOnShutdown(name, started, RunningService::stopAndWait);
        try {
            start(name, Env.system(), factory).onComplete(done -> {
                if (done.succeeded()) {
                    started.complete(done.result());
                } else {
                    started.completeExceptionally(done.cause());
                }
            });
        } catch (RuntimeException | Error e) {
            started.completeExceptionally(e);  // else the hook would wait for it as the JVM exits
        }
        try {
            started.get();
        } catch (ExecutionException | InterruptedException e) {
            log.error("cannot start: {}", startFailure(e.getCause() == null ? e : e.getCause()));
            System.exit(e.getCause() instanceof BadConfigException ? EXIT_BAD_CONFIGURATION : 1);
        }
    }

    /**
     * For a process's main method, called before it starts anything: on SIGTERM (or Ctrl-C) waits for the start
     * to finish, stops what started gracefully, and exits 0; a JVM ended by SIGTERM would exit 143, yet a graceful
     * stop is a success, and says so. If the start failed there is nothing to stop, and the exit code stays the
     * one given (main's own, or 143). The hook also runs on System.exit, so {@code started} must complete,
     * successfully or not; a start still unfinished after {@link #GRACE} is left, and the JVM exits 143.
     */
    public static <T> void stopOnShutdown(String name, CompletableFuture<T> started, Consumer<T> stop) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            T running;
            try {
                running = started.get(GRACE.toSeconds(), TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                return;  // the start failed: nothing to stop
            } catch (TimeoutException e) {
                LoggerFactory.getLogger(name).warn("{} still starting after {} s: exiting without a graceful stop",
                    name, GRACE.toSeconds());
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            stop.accept(running);
            Runtime.getRuntime().halt(0);
        }, name + "-shutdown"));
    }

    /**
     * Reads every variable the service would read at start, and starts nothing: for a launcher that checks all its
     * services before starting any, so that a bad value leaves nothing half-started to undo.
     *
     * @throws BadConfigException naming the first bad variable
     */
    public static void checkConfiguration(String name, Env env, Factory factory) {
        ServiceMetrics metrics = new ServiceMetrics();
        try {
            factory.create(env, httpFor(name, env, metrics));
        } finally {
            metrics.close();
        }
    }

    private static ServiceHttp httpFor(String name, Env env, ServiceMetrics metrics) {
        // Every address, as a container needs; the launcher asks for loopback (a laptop on a conference network).
        return new ServiceHttp(name, env.ipAddress("LISTEN_ADDRESS", "0.0.0.0"), env.port("PORT", 8080),
            env.flag("ACCESS_LOG", true), metrics);
    }

    public static Future<RunningService> start(String name, Env env, Factory factory) {
        Logger log = LoggerFactory.getLogger(name);
        ServiceMetrics metrics = new ServiceMetrics();
        Deployment deployment;
        ServiceHttp http;
        try {
            http = httpFor(name, env, metrics);
            deployment = factory.create(env, http);
        } catch (BadConfigException e) {
            metrics.close();
            return Future.failedFuture(e);
        }
        Vertx vertx;
        try {
            vertx = Vertx.builder()
                .with(metrics.vertxOptions())
                .withMetrics(metrics.vertxMetricsFactory())
                .build();
        } catch (RuntimeException e) {
            // Vert.x adds a shutdown hook of its own, which cannot be done once a SIGTERM has come: a failed start.
            metrics.close();
            return Future.failedFuture(e);
        }
        // A promise of no Vert.x context: on a failed start its listeners must not need the closed Vert.x.
        Promise<RunningService> started = Promise.promise();
        vertx.deployVerticle(deployment.verticle(), new DeploymentOptions().setInstances(deployment.instances()))
            .onComplete(deployed -> {
                if (deployed.succeeded()) {
                    log.info("{} ready on port {} ({})", name, http.actualPort(), deployment.settings());
                    started.complete(new RunningService(name, vertx, http, metrics));
                } else {
                    vertx.close();
                    metrics.close();
                    started.fail(deployed.cause());
                }
            });
        return started.future();
    }

    /** One line that tells a user why start-up failed, without a stack trace for their mistake. */
    public static String startFailure(Throwable failure) {
        if (failure instanceof SocketException && String.valueOf(failure.getMessage()).contains("Permission denied")) {
            return "this user may not listen on a port below 1024 (" + failure.getMessage() + "): allow it with the "
                + "sysctl net.ipv4.ip_unprivileged_port_start=0 (the images need it only under no_new_privs, i.e. "
                + "allowPrivilegeEscalation: false, or with every capability dropped; compose.yaml and the Kubernetes "
                + "manifests set it), or set PORT to 1024 or above";
        }
        if (failure instanceof BindException) {
            return "the port is already in use or cannot be bound (" + failure.getMessage() + "); set PORT to a free port";
        }
        return failure.getMessage() == null ? failure.toString() : failure.getMessage();
    }

    /** Why a call failed, for one log line: its message, or its kind when it has none. */
    public static String reason(Throwable failure) {
        return failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
    }

    /** A started service: its port, metrics, and a graceful stop. */
    public static final class RunningService {
        private final String name;
        private final Vertx vertx;
        private final ServiceHttp http;
        private final ServiceMetrics metrics;
        private Future<Void> stopped;

        private RunningService(String name, Vertx vertx, ServiceHttp http, ServiceMetrics metrics) {
            this.name = name;
            this.vertx = vertx;
            this.http = http;
            this.metrics = metrics;
        }

        public String name() {
            return name;
        }

        public int port() {
            return http.actualPort();
        }

        public ServiceMetrics metrics() {
            return metrics;
        }

        /**
         * Readiness goes 503, new work is refused, work in flight finishes, then each verticle's own
         * stop runs (the worker flushes its counts there) and the server closes.
         */
        public synchronized Future<Void> stop() {
            if (stopped == null) {
                Logger log = LoggerFactory.getLogger(name);
                log.info("{} stopping: finishing work in flight", name);
                long began = System.nanoTime();
                stopped = http.drain(vertx, GRACE)
                    .eventually(vertx::close)
                    .onComplete(done -> {
                        metrics.close();
                        log.info("{} stopped in {} ms", name, (System.nanoTime() - began) / 1_000_000);
                    });
            }
            return stopped;
        }

        /** For shutdown hooks and tests: stop and wait, bounded so the process always ends. */
        public void stopAndWait() {
            try {
                stop().toCompletionStage().toCompletableFuture().get(GRACE.toSeconds() + 5, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                LoggerFactory.getLogger(name).warn("{} did not stop cleanly: {}", name, e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
