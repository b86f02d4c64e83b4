package dockercoins.launcher;

import java.util.List;

/** The launcher's command line: {@code [--workers N] [--ports BASE] [--all-addresses]}. */
record LaunchOptions(int workers, int basePort, boolean allAddresses, boolean help) {

    static final List<String> USAGE = List.of(
        "usage: java -jar launcher/target/launcher.jar [--workers N] [--ports BASE] [--all-addresses]",
        "  --workers N      worker processes to run, each in its own Vert.x (default 1, up to 200)",
        "  --ports BASE     webui on BASE, rng on BASE+1, hasher on BASE+2, workers from BASE+3 (default 8000)",
        "  --all-addresses  listen on every address of this machine, not on 127.0.0.1 only (the default)",
        "  Redis: embedded redis-server, or the one REDIS_URL names. Every other variable of the",
        "  docs/configuration.md is honoured; PORT, LISTEN_ADDRESS, RNG_URL, HASHER_URL and WORKER_ID",
        "  are set by the launcher.");

    static LaunchOptions parse(String... args) {
        int workers = 1;
        int basePort = 8000;
        boolean allAddresses = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--workers":
                    workers = number(args, ++i, "--workers", 1, 200);
                    break;
                case "--ports":
                    basePort = number(args, ++i, "--ports", 1, 65_535 - 3 - 200);
                    break;
                case "--all-addresses":
                    allAddresses = true;
                    break;
                case "-h": case "--help":
                    return new LaunchOptions(workers, basePort, allAddresses, true);
                default:
                    throw new IllegalArgumentException("unknown argument \"" + args[i] + "\" (try --help)");
            }
        }
        return new LaunchOptions(workers, basePort, allAddresses, false);
    }

    /**
     * Where every part listens: loopback unless asked, as a laptop on a conference network should; a lab VM that
     * learners reach by its address needs {@code --all-addresses}.
     */
    String listenAddress() {
        return allAddresses ? "0.0.0.0" : "127.0.0.1";
    }

    int webuiPort() {
        return basePort;
    }

    int rngPort() {
        return basePort + 1;
    }

    int hasherPort() {
        return basePort + 2;
    }

    int workerPort(int worker) {
        return basePort + 2 + worker;
    }

    private static int number(String[] args, int index, String flag, int min, int max) {
        if (index >= args.length) {
            throw new IllegalArgumentException(flag + " needs a number from " + min + " to " + max);
        }
        try {
            int value = Integer.parseInt(args[index]);
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below, with the flag's range
        }
        throw new IllegalArgumentException(flag + " \"" + args[index] + "\" is invalid: expected a number from "
            + min + " to " + max);
    }
}
