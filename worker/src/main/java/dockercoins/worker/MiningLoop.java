package dockercoins.worker;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * WORKER_CONCURRENCY mining loops, each doing what the original's {@code work_once()} did, forever:
 * sleep, get 32 random bytes from rng, have hasher hash them, keep a coin if the hash starts with 0, count.
 * A failed call is retried after a backoff instead of the sleep. Runs on the worker's one event loop.
 */
final class MiningLoop {

    private static final Logger LOG = LoggerFactory.getLogger("worker");
    private static final int CONNECT_TIMEOUT_MS = 2000;
    /**
     * How long a connection to rng or hasher is reused. kube-proxy picks a pod per connection and never moves one
     * that is open, so this bounds how long a pod that left the Service (deleted, not ready, a DaemonSet's pod moved
     * off the label) still gets this worker's requests, and how soon a scaled-up rng gets its share. What it costs
     * at full speed: BENCHMARKS.md.
     */
    private static final long CONNECTION_LIFETIME_NS = TimeUnit.MILLISECONDS.toNanos(1000);
    /** No answer within this long and the call is abandoned: rng and hasher answer in about 0.1 s. */
    private static final int REQUEST_TIMEOUT_MS = 5000;
    /** Beyond the longest a turn can take, before the worker calls itself stuck: a long GC pause is not stuck. */
    private static final int STUCK_MARGIN_MS = 5000;
    /**
     * Coins logged one by one in any second; past that, one line says how many more. The original logs every coin,
     * which is a line or two a second at workshop speeds, but thousands a second at full speed.
     */
    private static final int COIN_LINES_PER_SECOND = 10;

    private final Vertx vertx;
    private final WorkerConfig config;
    private final HashCounter counter;
    /** Vert.x's core client, not its WebClient, whose layers cost 16 % of the worker's CPU (BENCHMARKS.md). */
    private final HttpClient http;
    /** When each open connection to rng or hasher was opened, so that it is closed past its lifetime. */
    private final Map<HttpConnection, Long> openedAtNanos = new ConcurrentHashMap<>();
    private final Call randomBytesCall;
    private final Call hashCall;
    private final Outage rng;
    private final Outage hasher;
    private final Counter coins;
    private final Timer loopDuration;
    /** Timers of loops sleeping before their next turn: cancelled on stop. */
    private final Set<Long> sleeping = new HashSet<>();
    private int working;
    /** When a loop last got anywhere: finished a turn, failed one, or held off for Redis. Read by /healthz. */
    private volatile long progressedAtNanos = System.nanoTime();
    private long coinLogSecond;
    private int coinsThisSecond;
    private Promise<Void> idle;

    MiningLoop(Vertx vertx, WorkerConfig config, HashCounter counter, MeterRegistry registry) {
        this.vertx = vertx;
        this.config = config;
        this.counter = counter;
        // Keep-alive connections, one per loop to each of rng and hasher, so no loop waits for another. They are
        // renewed every second: kube-proxy picks a pod per connection, so a connection kept for ever would tie this
        // worker to one rng pod, leave the pods added by `kubectl scale deploy/rng` idle, and keep feeding a pod that
        // has left the Service.
        // The pool's own maxLifetime is not enough: its cleaner closes only idle connections, and at full speed a
        // connection is never idle when it looks. So the first request on a connection past its lifetime says
        // "Connection: close": answered, then closed, never reused, and no request fails for it.
        this.http = vertx.httpClientBuilder()
            .with(new HttpClientOptions().setKeepAlive(true).setConnectTimeout(CONNECT_TIMEOUT_MS))
            .with(new PoolOptions().setHttp1MaxSize(config.concurrency()))
            .withConnectHandler(connection -> {
                openedAtNanos.put(connection, System.nanoTime());
                connection.closeHandler(closed -> openedAtNanos.remove(connection));
            })
            .build();
        this.randomBytesCall = new Call(HttpMethod.GET, config.randomBytesUrl());
        this.hashCall = new Call(HttpMethod.POST, config.hashUrl());
        hashCall.options().putHeader("Content-Type", "application/octet-stream");
        this.rng = new Outage("rng", registry);
        this.hasher = new Outage("hasher", registry);
        this.coins = Counter.builder("dockercoins.worker.coins")
            .description("Coins found: hashes starting with 0")
            .register(registry);
        this.loopDuration = Timer.builder("dockercoins.worker.loop.duration")
            .description("One full mining loop: the sleep, rng and hasher")
            .register(registry);
    }

    void start() {
        for (int i = 0; i < config.concurrency(); i++) {
            sleepThenWork(new Backoff(), config.delayMs());
        }
    }

    /** No loop starts another turn; completes once the turns in flight are done, or after {@code grace}. */
    Future<Void> stop(Duration grace) {
        idle = Promise.promise();
        sleeping.forEach(vertx::cancelTimer);
        sleeping.clear();
        if (working == 0) {
            idle.complete();
        } else {
            LOG.info("waiting for {} mining loop(s) to finish their turn", working);
        }
        return idle.future()
            .timeout(grace.toMillis(), TimeUnit.MILLISECONDS)
            .recover(late -> {
                LOG.warn("{} mining loop(s) still busy after {} ms; their hashes will not be counted",
                    working, grace.toMillis());
                return Future.succeededFuture();
            });
    }

    private void sleepThenWork(Backoff backoff, long sleepMs) {
        if (idle != null) {
            return;
        }
        long began = System.nanoTime();
        if (sleepMs == 0) {
            // WORKER_DELAY_MS=0: as fast as rng and hasher allow. Not a timer, which takes 1 ms at least: that
            // capped 32 loops at about 19,000 hashes/s (BENCHMARKS.md). Queued, not called, so the stack never grows.
            vertx.runOnContext(next -> {
                if (idle == null) {
                    workOnce(backoff, began);
                }
            });
            return;
        }
        long[] timer = new long[1];
        timer[0] = vertx.setTimer(sleepMs, fired -> {
            sleeping.remove(timer[0]);
            workOnce(backoff, began);
        });
        sleeping.add(timer[0]);
    }

    /** One unit of work, as in the original: random bytes, their hash, maybe a coin, and count it. */
    private void workOnce(Backoff backoff, long began) {
        progressedAtNanos = System.nanoTime();
        if (!counter.canHoldMore()) {
            sleepThenWork(backoff, config.reportMs());  // Redis has been away long: hold no more coins than we can
            return;
        }
        working++;
        randomBytes()
            .compose(bytes -> hash(bytes).map(hex -> {
                if (hex.startsWith("0")) {
                    logCoin(hex);
                    coins.increment();
                }
                counter.count(hex, bytes);
                return hex;
            }))
            .onComplete(turn -> {
                working--;
                progressedAtNanos = System.nanoTime();
                if (turn.succeeded()) {
                    loopDuration.record(System.nanoTime() - began, TimeUnit.NANOSECONDS);
                    backoff.reset();
                    sleepThenWork(backoff, config.delayMs());
                } else {
                    long retryInMs = backoff.next();
                    if (turn.cause() instanceof CallFailed failed) {
                        failed.report(retryInMs);
                    } else {
                        LOG.error("mining loop failed; retrying in {} ms", retryInMs, turn.cause());
                    }
                    sleepThenWork(backoff, retryInMs);
                }
                if (idle != null && working == 0) {
                    idle.tryComplete();
                }
            });
    }

    /**
     * How long no loop has got anywhere, if longer than a turn can take however rng, hasher and Redis fare; else 0.
     * A turn that fails (a dependency down, refusing, or silent past the timeouts) still ends and is retried within
     * a second, and a loop holding off while Redis is away still wakes every report interval: only a worker whose
     * loops are stuck goes past this, and a restart is what helps it.
     */
    long stuckForMs() {
        long quietMs = (System.nanoTime() - progressedAtNanos) / 1_000_000;
        return idle == null && quietMs > stuckAfterMs() ? quietMs : 0;
    }

    /** The longest a loop can take to get anywhere when nothing is wrong with the worker itself. */
    long stuckAfterMs() {
        return config.delayMs() + config.reportMs() + 2L * (CONNECT_TIMEOUT_MS + REQUEST_TIMEOUT_MS) + STUCK_MARGIN_MS;
    }

    private void logCoin(String hex) {
        long second = System.nanoTime() / 1_000_000_000L;
        if (second != coinLogSecond) {
            if (coinsThisSecond > COIN_LINES_PER_SECOND) {  // told with the next coin: within a second at such rates
                LOG.info("{} more coins found within that second, not logged one by one",
                    coinsThisSecond - COIN_LINES_PER_SECOND);
            }
            coinLogSecond = second;
            coinsThisSecond = 0;
        }
        if (++coinsThisSecond <= COIN_LINES_PER_SECOND) {
            LOG.info("Coin found: {}...", hex.substring(0, 8));
        }
    }

    /**
     * A request to rng or hasher, built once (parsing its URL for every call costs); never changed once the loops
     * start, so every loop shares it. {@code name} ("GET http://rng/32") is what an outage reports.
     */
    private record Call(String name, RequestOptions options) {
        Call(HttpMethod method, String url) {
            this(method + " " + url, new RequestOptions().setMethod(method).setAbsoluteURI(url)
                .setConnectTimeout(CONNECT_TIMEOUT_MS).setIdleTimeout(REQUEST_TIMEOUT_MS)
                .putHeader("User-Agent", "dockercoins-worker"));
        }
    }

    private Future<Buffer> randomBytes() {
        return watch(rng, randomBytesCall, exchange(randomBytesCall, null, "32 bytes",
            body -> body.length() == 32 ? body : null));
    }

    private Future<String> hash(Buffer bytes) {
        return watch(hasher, hashCall, exchange(hashCall, bytes, "a SHA-256 in hex", body -> {
            String hex = body.toString();
            return isSha256Hex(hex) ? hex : null;
        }));
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
    private <T> Future<T> exchange(Call call, Buffer body, String expected, Function<Buffer, T> read) {
        return http.request(call.options())
            .compose(request -> {
                Long openedAt = openedAtNanos.get(request.connection());
                if (openedAt != null && System.nanoTime() - openedAt > CONNECTION_LIFETIME_NS) {
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

    /** Tells {@code dependency} how the call went; a failure carries what is needed to report it once retried. */
    private static <T> Future<T> watch(Outage dependency, Call call, Future<T> attempt) {
        return attempt.transform(result -> {
            if (result.succeeded()) {
                dependency.succeeded();
                return attempt;
            }
            return Future.failedFuture(new CallFailed(dependency, call.name(), result.cause()));
        });
    }

    /** A failed call to rng or hasher, reported to its {@link Outage} once the retry delay is known. */
    private static final class CallFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient Outage dependency;
        private final String call;

        CallFailed(Outage dependency, String call, Throwable cause) {
            super(call, cause, false, false);
            this.dependency = dependency;
            this.call = call;
        }

        void report(long retryInMs) {
            dependency.failed(call, getCause(), retryInMs);
        }
    }
}
