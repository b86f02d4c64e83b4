package dockercoins.webui;

import dockercoins.shared.HttpEdge;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The dashboard's files: {@code index.html} and its assets (src/main/resources/webroot) and Chart.js (a WebJar), and
 * the security headers every answer of the webui carries: the page may load from the webui only.
 */
final class DashboardFiles {

    /** No inline script or style, nothing from elsewhere. */
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; "
        + "img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
        + "frame-ancestors 'self'";

    private final String chartJs = chartJsDirectory();

    /** First of all routes, so that /metrics, /healthz and the 404s carry these headers too. */
    static void secureEveryAnswer(Router router) {
        router.route().order(-1).handler(DashboardFiles::secureHeaders);
    }

    /** After the webui's own routes: GET and HEAD only, so another method on the files is a 405, as everywhere. */
    void serve(Router router) {
        HttpEdge.get(router, "/vendor/*").handler(StaticHandler.create(chartJs).setCachingEnabled(false));
        HttpEdge.get(router, "/*").handler(StaticHandler.create("webroot").setCachingEnabled(false)
            .setDirectoryListing(false));
    }

    private static void secureHeaders(RoutingContext rc) {
        rc.response().headers()
            .set("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            .set("X-Content-Type-Options", "nosniff")
            .set("Referrer-Policy", "no-referrer")
            // Live figures and a small page: always ask again, so an upgraded webui is seen at once.
            .set(HttpHeaders.CACHE_CONTROL, "no-cache");
        rc.next();
    }

    /** Chart.js comes as a WebJar; its version, set once in the parent pom, is read from the WebJar itself. */
    private static String chartJsDirectory() {
        Properties webJar = new Properties();
        try (InputStream in = DashboardFiles.class.getClassLoader()
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
