package dockercoins.worker;

import dockercoins.shared.BadConfigException;
import dockercoins.shared.Env;
import dockercoins.shared.RedisKeys;
import dockercoins.shared.RedisUrl;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

import java.io.PrintStream;
import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/**
 * {@code java -jar worker.jar audit}: checks every coin of the wallet (its bytes hash to its name, and the name
 * starts with 0), prints a summary, and exits 1 naming the bad coins, or 2 when the wallet cannot be read.
 * The wallet is read a page at a time (HSCAN), so a large one never has to fit in memory at once.
 */
public final class WalletAudit {

    static final int EXIT_GOOD = 0;
    static final int EXIT_BAD_COIN = 1;
    static final int EXIT_UNREADABLE = 2;
    /** Bad coins named one by one; past this many, only counted. */
    static final int NAMED = 10;
    private static final int PAGE = 1000;
    private static final int TIMEOUT_S = 10;

    private final MessageDigest sha256;
    private final PrintStream out;
    private long coins;
    private long badCount;

    private WalletAudit(PrintStream out) throws NoSuchAlgorithmException {
        this.sha256 = MessageDigest.getInstance("SHA-256");
        this.out = out;
    }

    public static void main(String[] args) {
        System.exit(run(Env.system(), System.out));
    }

    /** The audit with REDIS_URL (its password and database honoured) from env; the process's exit code. */
    static int run(Env env, PrintStream out) {
        URI url;
        try {
            url = RedisUrl.from(env);
        } catch (BadConfigException e) {
            out.println("audit: " + e.getMessage());
            return EXIT_UNREADABLE;
        }
        String where = RedisUrl.withoutPassword(url);
        Vertx vertx = Vertx.vertx();
        try {
            WalletAudit audit = new WalletAudit(out);
            audit.readAll(RedisUrl.client(vertx, url));
            return audit.summary(where);
        } catch (Exception e) {
            out.println("audit: cannot read the wallet at " + where + ": " + e.getMessage());
            return EXIT_UNREADABLE;
        } finally {
            vertx.close();  // the process exits next: nothing to wait for
        }
    }

    private void readAll(Redis redis) throws Exception {
        String cursor = "0";
        do {
            Response page = redis.send(Request.cmd(Command.HSCAN).arg(RedisKeys.WALLET).arg(cursor)
                .arg("COUNT").arg(PAGE)).await(TIMEOUT_S, TimeUnit.SECONDS);
            cursor = page.get(0).toString();
            Response fields = page.get(1);
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                check(fields.get(i).toString(), fields.get(i + 1).toBytes());
            }
        } while (!cursor.equals("0"));
    }

    private void check(String name, byte[] bytes) {
        coins++;
        String digest = HexFormat.of().formatHex(sha256.digest(bytes));
        String problem = !digest.equals(name) ? "its bytes hash to " + digest
            : !name.startsWith("0") ? "its hash does not start with 0" : null;
        if (problem != null && badCount++ < NAMED) {
            out.println("audit: bad coin " + name + ": " + problem);
        }
    }

    private int summary(String where) {
        if (coins == 0) {
            out.println("audit: the wallet at " + where + " is empty: no coins to check");
            return EXIT_GOOD;
        }
        if (badCount == 0) {
            out.println("audit: " + coins + " coins in the wallet at " + where + ", every one good");
            return EXIT_GOOD;
        }
        out.println("audit: " + badCount + " bad of " + coins + " coins in the wallet at " + where
            + (badCount > NAMED ? " (the first " + NAMED + " named above)" : ""));
        return EXIT_BAD_COIN;
    }
}
