package dockercoins.webui;

import dockercoins.shared.Env;
import dockercoins.shared.RedisUrl;
import dockercoins.shared.Service;
import dockercoins.shared.ServiceHttp;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * webui: the dashboard ({@code index.html} and its assets), {@code GET /json} as the original served it,
 * and {@code GET /events}, which pushes the figures of the one Redis poll to every open dashboard.
 */
public final class Webui extends VerticleBase {

    /** The page may load from the webui only: no inline script or style, nothing from elsewhere. */
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; "
        + "img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
        + "frame-ancestors 'self'";

    private final ServiceHttp http;
    private final MinerWatch watch;
    private final String chartJs;
    private final Viewers viewers = new Viewers();
    private long pollTimer;

    private Webui(ServiceHttp http, MinerWatch watch, String chartJs) {
        this.http = http;
        this.watch = watch;
        this.chartJs = chartJs;
    }

    public static void main(String[] args) {
        Service.main("webui", Webui::deployment);
    }

    public static Service.Deployment deployment(Env env, ServiceHttp http) {
        MinerWatch watch = new MinerWatch(RedisUrl.from(env), http.registry());
        String chartJs = chartJsDirectory();
        // One instance: one Redis poll and one set of viewers for the whole service.
        return Service.Deployment.single(
            "reading " + watch.where() + " every " + MinerWatch.POLL_EVERY_MS + " ms",
            () -> new Webui(http, watch, chartJs));
    }

    @Override
    public Future<?> start() {
        Router router = http.router(vertx);
        // First of all routes, so that /metrics, /healthz and the 404s carry these headers too.
        router.route().order(-1).handler(this::safeHeaders);
        // HEAD too: otherwise the static handler below would answer HEAD / with the page itself.
        ServiceHttp.get(router, "/").handler(this::toDashboard);
        ServiceHttp.get(router, "/json").handler(this::json);
        ServiceHttp.get(router, "/events").handler(this::events);
        ServiceHttp.get(router, "/vendor/*").handler(StaticHandler.create(chartJs).setCachingEnabled(false));
        // GET and HEAD only: another method on the dashboard's files is a 405, as on every other path.
        ServiceHttp.get(router, "/*").handler(StaticHandler.create("webroot").setCachingEnabled(false)
            .setDirectoryListing(false));
        watch.start(vertx, snapshot -> viewers.send(snapshot.toJson()));
        pollTimer = vertx.setPeriodic(0, MinerWatch.POLL_EVERY_MS, tick -> poll());
        // Listening does not wait for Redis: the webui is up (and ready) without it, only the figures are missing.
        return http.listen(vertx, router);
    }

    @Override
    public Future<?> stop() {
        vertx.cancelTimer(pollTimer);
        viewers.endAll();
        return watch.stop();
    }

    private void poll() {
        if (http.stopping()) {
            viewers.endAll();  // open dashboards would otherwise hold the graceful stop until its deadline
            return;
        }
        watch.poll();
    }

    private void safeHeaders(RoutingContext rc) {
        rc.response().headers()
            .set("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            .set("X-Content-Type-Options", "nosniff")
            .set("Referrer-Policy", "no-referrer")
            // Live figures and a small page: always ask again, so an upgraded webui is seen at once.
            .set(HttpHeaders.CACHE_CONTROL, "no-cache");
        rc.next();
    }

    /** Relative, so that it stays under a proxy's path prefix such as kubectl proxy's. */
    private void toDashboard(RoutingContext rc) {
        rc.response().setStatusCode(302).putHeader(HttpHeaders.LOCATION, "index.html").end();
    }

    /** The original's figures (plus the dashboard's), from the latest poll: pollers cost Redis nothing more. */
    private void json(RoutingContext rc) {
        MinerSnapshot latest = watch.latest();
        rc.response()
            // 503 only while there are no live figures because Redis does not answer; bad data is said in the body.
            .setStatusCode(latest.redisOk() || MinerSnapshot.BAD_DATA.equals(latest.redis()) ? 200 : 503)
            .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
            .end(latest.toJson().encode());
    }

    private void events(RoutingContext rc) {
        if (rc.request().method() == HttpMethod.HEAD) {
            // A stream's headers, and done: a HEAD stream would never end, holding its connection and a viewer's place.
            rc.response().putHeader(HttpHeaders.CONTENT_TYPE, Viewers.CONTENT_TYPE).end();
            return;
        }
        viewers.add(rc.response(), watch.latestWithHistory());
    }

    /** Chart.js comes as a WebJar; its version, set once in the parent pom, is read from the WebJar itself. */
    private static String chartJsDirectory() {
        Properties webJar = new Properties();
        try (InputStream in = Webui.class.getClassLoader()
            .getResourceAsStream("META-INF/maven/org.webjars.npm/chart.js/pom.properties")) {
            if (in == null) {
                throw new IllegalStateException("the Chart.js WebJar is missing from the classpath");
            }
            webJar.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return "META-INF/resources/webjars/chart.js/" + webJar.getProperty("version") + "/dist";
    }
}
