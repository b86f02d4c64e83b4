package dockercoins.shared;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;

import java.net.URI;
import java.util.Set;

/** REDIS_URL, read and validated, and the client both worker and webui make from it. */
public final class RedisUrl {

    public static final String DEFAULT = "redis://redis:6379";
    private static final int CONNECT_TIMEOUT_MS = 2000;
    private static final int READ_IDLE_TIMEOUT_S = 3;

    private RedisUrl() {
    }

    /** REDIS_URL from the environment: redis:// or rediss://, with a host; a password in it is honoured. */
    public static URI from(Env env) {
        return env.url("REDIS_URL", DEFAULT, Set.of("redis", "rediss"));
    }

    /** Where Redis is, without the password a REDIS_URL may hold: for logs and start-up lines. */
    public static String withoutPassword(URI url) {
        int port = url.getPort() == -1 ? 6379 : url.getPort();
        return url.getScheme() + "://" + url.getHost() + ":" + port;
    }

    /**
     * The one Redis client recipe of worker and webui: a small pool that reconnects by itself, the password and
     * database of the URL on every connection (the client sends them each time it connects), connecting given up after
     * 2 s, and a connection that reads nothing for 3 s closed, which ends any request stuck on a frozen Redis. Callers
     * send one request at a time and put their own timeout on it; the bounded queues turn a pile-up into errors.
     */
    public static Redis client(Vertx vertx, URI url) {
        return Redis.createClient(vertx, new RedisOptions()
            .setConnectionString(url.toString())
            .setNetClientOptions(new NetClientOptions()
                .setConnectTimeout(CONNECT_TIMEOUT_MS)
                .setReadIdleTimeout(READ_IDLE_TIMEOUT_S)
                .setTcpNoDelay(true))
            .setMaxPoolSize(2)
            .setMaxPoolWaiting(8)
            .setMaxWaitingHandlers(64));
    }
}
