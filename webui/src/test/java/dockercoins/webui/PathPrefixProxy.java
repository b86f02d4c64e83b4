package dockercoins.webui;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Serves the webui under a path prefix, as {@code kubectl proxy} does: {@code PREFIX/x} is the webui's
 * {@code /x}, streamed both ways (so server-sent events flow). Anything outside the prefix is a 404
 * and is remembered: a page that asks for an absolute URL would be broken behind the real proxy.
 */
final class PathPrefixProxy {

    static final String PREFIX = "/api/v1/namespaces/default/services/webui/proxy";
    private static final List<String> HOP_BY_HOP = List.of("connection", "keep-alive", "transfer-encoding", "host");

    private final List<String> outsideThePrefix = new CopyOnWriteArrayList<>();
    private final HttpClient client;
    private final int webuiPort;
    private HttpServer server;

    private PathPrefixProxy(Vertx vertx, int webuiPort) {
        this.client = vertx.createHttpClient();
        this.webuiPort = webuiPort;
    }

    static Future<PathPrefixProxy> start(Vertx vertx, int webuiPort) {
        PathPrefixProxy proxy = new PathPrefixProxy(vertx, webuiPort);
        return vertx.createHttpServer().requestHandler(proxy::forward).listen(0)
            .map(server -> {
                proxy.server = server;
                return proxy;
            });
    }

    int port() {
        return server.actualPort();
    }

    /** Requests the page made outside the prefix. */
    List<String> outsideThePrefix() {
        return outsideThePrefix;
    }

    Future<Void> close() {
        return server.close().eventually(client::close);
    }

    private void forward(HttpServerRequest request) {
        if (!request.uri().startsWith(PREFIX + "/")) {
            outsideThePrefix.add(request.uri());
            request.response().setStatusCode(404).end("not under " + PREFIX + "/\n");
            return;
        }
        request.pause();
        RequestOptions toWebui = new RequestOptions()
            .setMethod(request.method())
            .setHost("localhost")
            .setPort(webuiPort)
            .setURI(request.uri().substring(PREFIX.length()));
        client.request(toWebui)
            .compose(upstream -> {
                request.headers().forEach(header -> {
                    if (!HOP_BY_HOP.contains(header.getKey().toLowerCase())) {
                        upstream.putHeader(header.getKey(), header.getValue());
                    }
                });
                return upstream.send(request);
            })
            .onSuccess(answer -> {
                HttpServerResponse response = request.response().setStatusCode(answer.statusCode());
                answer.headers().forEach(header -> {
                    if (!HOP_BY_HOP.contains(header.getKey().toLowerCase())) {
                        response.putHeader(header.getKey(), header.getValue());
                    }
                });
                if (!answer.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
                    response.setChunked(true);
                }
                answer.pipeTo(response);
            })
            .onFailure(failure -> request.response().setStatusCode(502).end());
    }
}
