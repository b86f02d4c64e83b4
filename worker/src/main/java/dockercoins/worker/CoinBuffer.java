package dockercoins.worker;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.buffer.Buffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The coin buffer: the hashes counted and the coins found that Redis has not acknowledged yet, in the order found,
 * however long Redis is away (mining pauses at {@value #MOST_COINS_HELD} coins rather than hold more). It hands them
 * out as numbered reports; a report stays the same, number and content, until it is acknowledged, so that a resent
 * report is recognised by report.lua and applied once. Used from the worker's one event loop only.
 */
final class CoinBuffer {

    private static final Logger LOG = LoggerFactory.getLogger("worker");
    /** Coins per report, so that one report stays one small round trip; the rest go in the next ones. */
    static final int COINS_PER_REPORT = 1_000;
    /** About 20 MB of coins held while Redis is away; past it the mining loops wait instead of losing coins. */
    static final int MOST_COINS_HELD = 100_000;
    /**
     * Coins logged one by one in any second; past that, one line says how many more. The original logs every coin,
     * which is a line or two a second at workshop speeds, but thousands a second at full speed.
     */
    private static final int COIN_LINES_PER_SECOND = 10;

    record Coin(String hex, Buffer bytes) {
    }

    record Report(long number, long hashes, List<Coin> coins) {
    }

    private final Counter hashes;
    private final Counter coinsFound;
    private final Timer loopDuration;
    private final ArrayDeque<Coin> coins = new ArrayDeque<>();
    /** Counted, not yet acknowledged by Redis; includes the report being sent. */
    private volatile long unreported;
    private Report pending;
    private long reportsMade;
    private boolean sealed;
    private long coinLogSecond;
    private int coinsThisSecond;

    CoinBuffer(MeterRegistry registry) {
        this.hashes = Counter.builder("dockercoins.worker.hashes")
            .description("Mining loops completed: hashes counted by this worker")
            .register(registry);
        this.coinsFound = Counter.builder("dockercoins.worker.coins")
            .description("Coins found: hashes starting with 0")
            .register(registry);
        this.loopDuration = Timer.builder("dockercoins.worker.loop.duration")
            .description("One full mining loop: the sleep, rng and hasher")
            .register(registry);
        Gauge.builder("dockercoins.worker.unreported.hashes", this, buffer -> buffer.unreported)
            .description("Hashes counted but not yet acknowledged by Redis")
            .strongReference(true)
            .register(registry);
    }

    /** A coin found: logged, and kept for the wallet. */
    void keep(String hex, Buffer bytes) {
        if (!sealed) {
            logCoin(hex);
            coinsFound.increment();
            coins.addLast(new Coin(hex, bytes));
        }
    }

    /** One more hash, by a loop that took {@code loopNanos}; none counts after {@link #seal}: it could not go out. */
    void countHash(long loopNanos) {
        loopDuration.record(loopNanos, TimeUnit.NANOSECONDS);
        if (!sealed) {
            unreported++;
            hashes.increment();
        }
    }

    /** On stop: what is counted from now on could not be reported. */
    void seal() {
        sealed = true;
    }

    /** False while so many coins wait for Redis that mining should pause rather than hold more. */
    boolean canHoldMore() {
        return coins.size() < MOST_COINS_HELD;
    }

    /** True while a whole report's worth of coins waits: the next report should go at once. */
    boolean holdsAFullReport() {
        return coins.size() >= COINS_PER_REPORT;
    }

    boolean isEmpty() {
        return unreported == 0 && coins.isEmpty();
    }

    /** The report not yet acknowledged, or a new one of what is held (the oldest coins first). */
    Report report() {
        if (pending == null) {
            List<Coin> oldest = new ArrayList<>(Math.min(coins.size(), COINS_PER_REPORT));
            for (Coin coin : coins) {
                if (oldest.size() == COINS_PER_REPORT) {
                    break;
                }
                oldest.add(coin);
            }
            pending = new Report(++reportsMade, unreported, List.copyOf(oldest));
            LOG.info("{} units of work done, updating hash counter", pending.hashes());  // as the original logs it
        }
        return pending;
    }

    /** Redis has the report (applied now, or by an earlier copy whose reply was lost): it leaves the buffer. */
    void acknowledged(Report report) {
        unreported -= report.hashes();
        report.coins().forEach(coin -> coins.pollFirst());
        pending = null;
    }

    /** The final tally, so whoever stopped the worker can hold Redis to it. */
    String tally() {
        return (long) hashes.count() + " hashes in all, " + unreported + " of them not in Redis";
    }

    long coinsHeld() {
        return coins.size();
    }

    long unreported() {
        return unreported;
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
}
