package dockercoins.webui;

import dockercoins.shared.Env;
import dockercoins.shared.HttpEdge;
import dockercoins.shared.RedisUrl;
import dockercoins.shared.Service;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * webui: the dashboard, and {@code GET /json} as the original's webui served it. Read this first: poll → snapshot →
 * page and events. Every second one Redis poll, whatever the number of viewers, makes a {@link MinerSnapshot}; it goes
 * to every open page's event stream ({@code GET /events}) and answers {@code /json}. The rest of webui: MinerWatch (the
 * poll: one MULTI/EXEC, read by RedisAnswers, speeds by Speedometer, metrics by MinerMeters), Viewers (the streams),
 * SpeedHistory (the chart's past), DashboardFiles (the page and its headers). What every service shares (/healthz,
 * /readyz, /metrics, the access log, the connection bounds, the graceful stop) comes with {@link HttpEdge#router}: see
 * shared's package-info.java.
 */
public final class Webui extends VerticleBase {

    private final HttpEdge http;
    private final MinerWatch watch;
    private final DashboardFiles dashboard;
    private final Viewers viewers = new Viewers();
    private final SpeedHistory history = new SpeedHistory();
    private long pollTimer;

    private Webui(HttpEdge http, MinerWatch watch, DashboardFiles dashboard) {
        this.http = http;
        this.watch = watch;
        this.dashboard = dashboard;
    }

    public static void main(String[] args) {
        Service.main("webui", Webui::deployment);
    }

    /** One instance: one Redis poll and one set of viewers for the whole service. */
    public static Service.Deployment deployment(Env env, HttpEdge http) {
        MinerWatch watch = new MinerWatch(RedisUrl.from(env), http.registry());
        DashboardFiles dashboard = new DashboardFiles();
        return Service.Deployment.single("reading " + watch.where() + " every " + MinerWatch.POLL_EVERY_MS + " ms",
            () -> new Webui(http, watch, dashboard));
    }

    @Override
    public Future<?> start() {
        Router router = http.router(vertx);
        DashboardFiles.secureEveryAnswer(router);
        // HEAD too: otherwise the dashboard's files, served last, would answer HEAD / with the page itself.
        HttpEdge.get(router, "/").handler(this::toDashboard);
        HttpEdge.get(router, "/json").handler(this::json);
        HttpEdge.get(router, "/events").handler(this::events);
        dashboard.serve(router);
        watch.start(vertx, this::show);
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

    /** Each poll's snapshot, good or failing: a point of the chart, and an event to every open page. */
    private void show(MinerSnapshot snapshot) {
        history.add(snapshot);
        viewers.send(snapshot.toJson());
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

    /** A page's event stream: first the latest figures with the chart's past, then one event per poll. */
    private void events(RoutingContext rc) {
        if (rc.request().method() == HttpMethod.HEAD) {
            // A stream's headers, and done: a HEAD stream would never end, holding its connection and a viewer's place.
            rc.response().putHeader(HttpHeaders.CONTENT_TYPE, Viewers.CONTENT_TYPE).end();
            return;
        }
        viewers.add(rc.response(), watch.latest().toJson().put("history", history.toJson()));
    }
}
