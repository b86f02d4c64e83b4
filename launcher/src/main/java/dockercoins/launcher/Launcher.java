package dockercoins.launcher;

import dockercoins.shared.Env;
import dockercoins.shared.Service;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
        LocalMiner miner;
        try {
            miner = LocalMiner.start(options, Env.system());
        } catch (LocalMiner.StartFailure e) {
            log.error("cannot start: {}", e.getMessage());
            System.exit(e.badConfiguration() ? Service.EXIT_BAD_CONFIGURATION : 1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            miner.stop();
            // A JVM ended by SIGTERM or Ctrl-C exits 143 or 130; a clean stop is a success.
            Runtime.getRuntime().halt(0);
        }, "launcher-shutdown"));
    }
}
