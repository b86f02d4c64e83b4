package dockercoins.worker;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The worker's HTTP client to rng and hasher: {@code GET $RNG_URL/32} and {@code POST $HASHER_URL/}, each with its
 * timeouts, its answer checked, and connections renewed after their lifetime.
 */
final class RngAndHasher {

    static final int CONNECT_TIMEOUT_MS = 2000;
    /** No answer within this long and the call is abandoned: rng and hasher answer in about 0.1 s. */
    static final int REQUEST_TIMEOUT_MS = 5000;
    /**
     * How long a connection to rng or hasher is reused. kube-proxy picks a pod per connection and never moves one that
     * is open, so this bounds how long a pod that left the Service (deleted, not ready, a DaemonSet's pod moved off the
     * label) still gets this worker's requests, and how soon a scaled-up rng gets its share. But each renewal opens a
     * connection, which cost about 1 ms of CPU in rng, hasher and worker together while they warm up (measured: 10
     * workers of 100 loops at the workshop's delays, renewing every second, opened 1,200 connections a second and did
     * half the hashes of workers that never renewed: BENCHMARKS.md, "Connection renewal"). So a worker renews about
     * {@value #RENEWALS_PER_SECOND} of its connections a second at most: a connection lives at least 3 s, and longer
     * when the worker has more loops (and so more connections), at most 60 s; then up to two thirds more, drawn for
     * each connection, so that connections opened together are not renewed together.
     */
    static final long SHORTEST_LIFETIME_MS = 3000;
    static final long LONGEST_LIFETIME_MS = 60_000;
    static final int RENEWALS_PER_SECOND = 10;

    /** The shortest lifetime of a connection of a worker with {@code loops} loops: its two connections per loop. */
    static long lifetimeMs(int loops) {
        return Math.max(SHORTEST_LIFETIME_MS, Math.min(LONGEST_LIFETIME_MS, 2000L * loops / RENEWALS_PER_SECOND));
    }

    /** The longest a connection of a worker with {@code loops} loops lives: a pod that left gets no request after. */
    static long longestLifetimeMs(int loops) {
        return lifetimeMs(loops) * 5 / 3;
    }

    /** Vert.x's core client, not its WebClient, whose layers cost 16 % of the worker's CPU (BENCHMARKS.md). */
    private final HttpClient http;
    /** When each open connection to rng or hasher is past its lifetime, so that it is closed then. */
    private final Map<HttpConnection, Long> endOfLifeNanos = new ConcurrentHashMap<>();
    /** Built once (parsing a URL for every call costs), never changed: every loop shares them. */
    private final RequestOptions randomBytesCall;
    private final RequestOptions hashCall;

    RngAndHasher(Vertx vertx, WorkerConfig config) {
        // Keep-alive connections, one per loop to each of rng and hasher, so no loop waits for another, renewed after
        // their lifetime. The pool's own maxLifetime is not enough: its cleaner closes only idle connections, and at
        // full speed a connection is never idle when it looks. So the first request on a connection past its lifetime
        // says "Connection: close": answered, then closed, never reused, and no request fails for it.
        long shortestMs = lifetimeMs(config.concurrency());
        long longestMs = longestLifetimeMs(config.concurrency());
        this.http = vertx.httpClientBuilder()
            .with(new HttpClientOptions().setKeepAlive(true).setConnectTimeout(CONNECT_TIMEOUT_MS))
            .with(new PoolOptions().setHttp1MaxSize(config.concurrency()))
            .withConnectHandler(connection -> {
                long lifetimeMs = ThreadLocalRandom.current().nextLong(shortestMs, longestMs + 1);
                endOfLifeNanos.put(connection, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(lifetimeMs));
                connection.closeHandler(closed -> endOfLifeNanos.remove(connection));
            })
            .build();
        this.randomBytesCall = call(HttpMethod.GET, config.randomBytesUrl());
        this.hashCall = call(HttpMethod.POST, config.hashUrl()).putHeader("Content-Type", "application/octet-stream");
    }

    private static RequestOptions call(HttpMethod method, String url) {
        return new RequestOptions().setMethod(method).setAbsoluteURI(url)
            .setConnectTimeout(CONNECT_TIMEOUT_MS).setIdleTimeout(REQUEST_TIMEOUT_MS)
            .putHeader("User-Agent", "dockercoins-worker");
    }

    /** 32 random bytes from rng. */
    Future<Buffer> randomBytes() {
        return exchange(randomBytesCall, null, "32 bytes", body -> body.length() == 32 ? body : null);
    }

    /** The SHA-256 of {@code bytes} in hex, from hasher. */
    Future<String> hash(Buffer bytes) {
        return exchange(hashCall, bytes, "a SHA-256 in hex", body -> {
            String hex = body.toString();
            return isSha256Hex(hex) ? hex : null;
        });
    }

    /** 64 lowercase hex digits. Not a regular expression: that was 1.4 % of the worker's CPU at full speed. */
    private static boolean isSha256Hex(String text) {
        if (text.length() != 64) {
            return false;
        }
        for (int i = 0; i < 64; i++) {
            char c = text.charAt(i);
            if ((c < '0' || c > '9') && (c < 'a' || c > 'f')) {
                return false;
            }
        }
        return true;
    }

    /** One request and its whole answer, which must be a 200 that {@code read} accepts (returns non-null). */
    private <T> Future<T> exchange(RequestOptions call, Buffer body, String expected, Function<Buffer, T> read) {
        return http.request(call)
            .compose(request -> {
                Long endOfLife = endOfLifeNanos.get(request.connection());
                if (endOfLife != null && System.nanoTime() - endOfLife > 0) {
                    request.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
                }
                return body == null ? request.send() : request.send(body);
            })
            .compose(response -> response.body().compose(answer -> {
                if (response.statusCode() != 200) {
                    return Future.failedFuture("answered " + response.statusCode() + " instead of 200");
                }
                T value = read.apply(answer);
                return value != null ? Future.succeededFuture(value)
                    : Future.failedFuture("answered " + answer.length() + " bytes that are not " + expected);
            }));
    }
}
