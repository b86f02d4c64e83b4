package dockercoins.launcher;

import dockercoins.shared.Env;
import dockercoins.shared.GracefulExit;
import dockercoins.shared.Service;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;

/** {@code java -jar launcher.jar [--workers N]}: the whole miner on a laptop, no Docker needed. */
public final class Launcher {

    private Launcher() {
    }

    public static void main(String[] args) {
        Logger log = LoggerFactory.getLogger("launcher");
        LaunchOptions options;
        try {
            options = LaunchOptions.parse(args);
        } catch (IllegalArgumentException e) {
            log.error("{}", e.getMessage());
            System.exit(Service.EXIT_BAD_CONFIGURATION);
            return;
        }
        if (options.help()) {
            LaunchOptions.USAGE.forEach(log::info);
            return;
        }
        CompletableFuture<LocalMiner> started = new CompletableFuture<>();
        // Before the start: the webui answers as soon as it is up, while the workers may still be starting, and
        // a SIGTERM or Ctrl-C then must still stop everything cleanly (and exit 0, not 143 or 130). One that comes
        // before every part's Vert.x is built fails the start instead: LocalMiner.start stops what did start.
        GracefulExit.onSigterm("launcher", started, LocalMiner::stop);
        try {
            started.complete(LocalMiner.start(options, Env.system()));
        } catch (LocalMiner.StartFailure e) {
            started.completeExceptionally(e);  // what did start, LocalMiner.start has stopped already
            log.error("cannot start: {}", e.getMessage());
            System.exit(e.badConfiguration() ? Service.EXIT_BAD_CONFIGURATION : 1);
        } catch (RuntimeException | Error e) {
            started.completeExceptionally(e);  // else the hook would wait for it as the JVM exits
            throw e;
        }
    }
}
