package dockercoins.webui;

import io.vertx.core.json.JsonArray;

import java.util.ArrayDeque;
import java.util.ArrayList;

/** The speed of the last {@value #POINTS} polls, so that a page opened now draws the chart's past at once. */
final class SpeedHistory {

    /** One point per poll, as many as the original's chart kept. */
    static final int POINTS = 250;

    private final ArrayDeque<JsonArray> points = new ArrayDeque<>();

    void add(MinerSnapshot snapshot) {
        points.addLast(new JsonArray()
            .add(MinerSnapshot.seconds(snapshot.nowMs()))
            .add(MinerSnapshot.rounded(snapshot.speed())));
        while (points.size() > POINTS) {
            points.removeFirst();
        }
    }

    /** [[now, speed], …], oldest first. */
    JsonArray toJson() {
        return new JsonArray(new ArrayList<>(points));
    }
}
