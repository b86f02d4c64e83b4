package dockercoins.webui;

import io.vertx.core.Future;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** One viewer's stream of server-sent events, read as the page's EventSource reads it. */
final class EventStream {

    private final List<JsonObject> events = new CopyOnWriteArrayList<>();
    private final StringBuilder unread = new StringBuilder();
    private volatile HttpClientResponse response;
    private volatile boolean ended;

    static Future<EventStream> open(HttpClient client, int port) {
        EventStream stream = new EventStream();
        return client.request(HttpMethod.GET, port, "localhost", "/events")
            .compose(request -> request.send())
            .map(response -> {
                stream.response = response;
                response.handler(chunk -> stream.read(chunk.toString()));
                response.endHandler(end -> stream.ended = true);
                return stream;
            });
    }

    HttpClientResponse response() {
        return response;
    }

    /** The webui ended the stream (a page would reconnect). */
    boolean ended() {
        return ended;
    }

    List<JsonObject> events() {
        return events;
    }

    JsonObject last() {
        return events.isEmpty() ? null : events.get(events.size() - 1);
    }

    /** Events are separated by a blank line; each of ours has one "data:" line. */
    private void read(String chunk) {
        unread.append(chunk);
        int end;
        while ((end = unread.indexOf("\n\n")) >= 0) {
            String event = unread.substring(0, end);
            unread.delete(0, end + 2);
            for (String line : event.split("\n")) {
                if (line.startsWith("data: ")) {
                    events.add(new JsonObject(line.substring("data: ".length())));
                }
            }
        }
    }
}
