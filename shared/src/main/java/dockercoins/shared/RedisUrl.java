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

    /** A pooled client that reconnects by itself; connecting gives up after 2 s so callers can retry. */
    public static Redis client(Vertx vertx, URI url) {
        return Redis.createClient(vertx, new RedisOptions()
            .setConnectionString(url.toString())
            .setNetClientOptions(new NetClientOptions().setConnectTimeout(CONNECT_TIMEOUT_MS).setTcpNoDelay(true))
            .setMaxPoolSize(4)
            .setMaxPoolWaiting(1024));
    }
}
