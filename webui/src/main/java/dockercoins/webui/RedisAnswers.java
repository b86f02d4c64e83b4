package dockercoins.webui;

import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;

import java.util.LinkedHashMap;
import java.util.Map;

/** What Redis answered to the poll, read as DockerCoins writes it; anything else is {@link BadData}. */
final class RedisAnswers {

    private RedisAnswers() {
    }

    /** Redis answered, but not with what DockerCoins writes there (e.g. `hashes` set by hand to "12.5"). */
    static final class BadData extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BadData(String problem) {
            super(problem, null, false, false);
        }
    }

    /** The reply for {@code key}, unless Redis refused the command (e.g. WRONGTYPE: the key has another type). */
    static Response answer(String key, Response reply) {
        if (reply != null && reply.type() == ResponseType.ERROR) {
            throw new BadData(key + ": " + reply);
        }
        return reply;
    }

    static long whole(String key, Response reply) {
        try {
            return Long.parseLong(reply.toString());
        } catch (NumberFormatException e) {
            throw new BadData(key + " holds \"" + reply + "\", expected an integer");
        }
    }

    /** Field/value pairs, whichever way Redis sends them: a RESP3 map, RESP3 pairs, or a RESP2 flat list. */
    static Map<String, Response> pairs(Response reply) {
        Map<String, Response> pairs = new LinkedHashMap<>();
        if (reply == null) {
            return pairs;
        }
        if (reply.isMap()) {
            for (String key : reply.getKeys()) {
                pairs.put(key, reply.get(key));
            }
            return pairs;
        }
        for (int i = 0; i < reply.size(); i++) {
            Response item = reply.get(i);
            if (item.type() == ResponseType.MULTI) {
                pairs.put(item.get(0).toString(), item.get(1));
            } else {
                pairs.put(item.toString(), reply.get(++i));
            }
        }
        return pairs;
    }
}
