/**
 * What every DockerCoins service gets without writing it: a service's main file calls
 * {@code Service.main(name, X::deployment)}, reads its variables from {@link dockercoins.shared.Env} in
 * {@code deployment(env, http)}, returns {@code Service.Deployment.single(...)} or {@code onEveryCore(...)}, and in its
 * verticle's {@code start()} adds its own routes to {@code http.router(vertx)} and returns
 * {@code http.listen(vertx, router)}. Everything else below comes with those calls.
 *
 * <h2>Running a service</h2>
 * <ul>
 * <li>{@link dockercoins.shared.Service}: the same start everywhere (own jar, launcher, tests): environment, its own
 *     Vert.x and metrics, deploy, and {@code RunningService.stop()}, the graceful stop.</li>
 * <li>{@link dockercoins.shared.GracefulExit}: SIGTERM or Ctrl-C stops gracefully and exits 0.</li>
 * <li>{@link dockercoins.shared.FailedStart}: why a start failed, in one line (a port in use, a port below 1024).</li>
 * <li>{@link dockercoins.shared.Env}, {@link dockercoins.shared.BadConfigException}: variables validated as read; a
 *     bad one stops the start with one line naming it (exit 2).</li>
 * </ul>
 *
 * <h2>The HTTP edge, one concern per class</h2>
 * <ul>
 * <li>{@link dockercoins.shared.HttpEdge}: puts the concerns below in order in front of the service's routes.</li>
 * <li>{@code ServerOptions}: HTTP/1.1 only, no compression, bounded request line and headers, idle timeout.</li>
 * <li>{@code ConnectionCap}: at most 2,000 connections open at once.</li>
 * <li>{@link dockercoins.shared.ConnectionDeadlines}: headers within 10 s of connecting or of the previous answer, a
 *     body within 10 s; a late connection is closed.</li>
 * <li>{@code Draining}: on stop, /readyz says 503, new work gets 503, work in flight finishes (within
 *     {@code Service.GRACE}).</li>
 * <li>{@code AccessLog}: one line per request on stdout, but for probes and scrapes (ACCESS_LOG=false: none).</li>
 * <li>{@link dockercoins.shared.ServiceMetrics}: the Prometheus registry behind GET /metrics: Vert.x HTTP server and
 *     client metrics with latency histograms, JVM and process metrics, and the service's own meters.</li>
 * <li>{@link dockercoins.shared.PlainText}: one-line plain-text answers: the banner, 404, 405, 413, 500, each reason
 *     with control characters escaped.</li>
 * </ul>
 *
 * <h2>For the services' own code</h2>
 * <ul>
 * <li>{@link dockercoins.shared.SimulatedWork}: the delay of rng and hasher, a timer, never a sleeping thread.</li>
 * <li>{@link dockercoins.shared.WholeNumber}: a path segment or Content-Length read as a count, without overflow.</li>
 * <li>{@link dockercoins.shared.Hostname}: the pod or container name, for the banners.</li>
 * <li>{@link dockercoins.shared.RedisUrl}, {@link dockercoins.shared.RedisKeys}: where Redis is, the one client
 *     recipe, and the keys DockerCoins keeps there.</li>
 * </ul>
 */
package dockercoins.shared;
