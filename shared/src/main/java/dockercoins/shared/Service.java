package dockercoins.shared;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Runs one service the same way everywhere (its own jar, the launcher, the tests): read the environment, start its
 * own Vert.x with its own metrics, deploy, and stop gracefully. A service gives {@link #main} its {@link Factory}:
 * from the environment and its {@link HttpEdge}, the {@link Deployment} (a line of settings and its verticles).
 */
public final class Service {

    /** How long in-flight work may take to finish on stop; well inside Kubernetes' 30 s grace period. */
    public static final Duration GRACE = Duration.ofSeconds(20);
    /** The exit code for a bad environment variable or flag: a user's mistake, not a crash (1). */
    public static final int EXIT_BAD_CONFIGURATION = 2;

    /** What a service deploys, decided from its environment (which is where a bad value is refused). */
    @FunctionalInterface
    public interface Factory {
        Deployment create(Env env, HttpEdge edge);
    }

    /** One line on what this instance will do (logged at start), and how many verticle instances serve the port. */
    public record Deployment(String settings, int instances, Supplier<? extends Deployable> verticle) {
        /** One verticle instance: one event loop serves the port (a service that keeps one state for all). */
        public static Deployment single(String settings, Supplier<? extends Deployable> verticle) {
            return new Deployment(settings, 1, verticle);
        }

        /** One verticle instance per core, each on its event loop; what they share is made before, once. */
        public static Deployment onEveryCore(String settings, Supplier<? extends Deployable> verticle) {
            return new Deployment(settings, Runtime.getRuntime().availableProcessors(), verticle);
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
        GracefulExit.onSigterm(name, started, RunningService::stopAndWait);
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
            log.error("cannot start: {}", FailedStart.explain(e.getCause() == null ? e : e.getCause()));
            System.exit(e.getCause() instanceof BadConfigException ? EXIT_BAD_CONFIGURATION : 1);
        }
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
            factory.create(env, edgeFor(name, env, metrics));
        } finally {
            metrics.close();
        }
    }

    private static HttpEdge edgeFor(String name, Env env, ServiceMetrics metrics) {
        // Every address, as a container needs; the launcher asks for loopback (a laptop on a conference network).
        return new HttpEdge(name, env.ipAddress("LISTEN_ADDRESS", "0.0.0.0"), env.port("PORT", 8080),
            env.flag("ACCESS_LOG", true), metrics);
    }

    public static Future<RunningService> start(String name, Env env, Factory factory) {
        Logger log = LoggerFactory.getLogger(name);
        ServiceMetrics metrics = new ServiceMetrics();
        Deployment deployment;
        HttpEdge edge;
        try {
            edge = edgeFor(name, env, metrics);
            deployment = factory.create(env, edge);
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
                    log.info("{} ready on port {} ({})", name, edge.actualPort(), deployment.settings());
                    started.complete(new RunningService(name, vertx, edge, metrics));
                } else {
                    vertx.close();
                    metrics.close();
                    started.fail(deployed.cause());
                }
            });
        return started.future();
    }

    /** Why a call failed, for one log line: its message, or its kind when it has none. */
    public static String reason(Throwable failure) {
        return failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
    }

    /** A started service: its port, metrics, and a graceful stop. */
    public static final class RunningService {
        private final String name;
        private final Vertx vertx;
        private final HttpEdge edge;
        private final ServiceMetrics metrics;
        private Future<Void> stopped;

        private RunningService(String name, Vertx vertx, HttpEdge edge, ServiceMetrics metrics) {
            this.name = name;
            this.vertx = vertx;
            this.edge = edge;
            this.metrics = metrics;
        }

        public int port() {
            return edge.actualPort();
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
                stopped = edge.drain(vertx, GRACE)
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
