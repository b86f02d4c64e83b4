package dockercoins.launcher;

import java.util.List;

/** The launcher's command line: {@code [--workers N] [--ports BASE]}. */
record LaunchOptions(int workers, int basePort, boolean help) {

    static final List<String> USAGE = List.of(
        "usage: java -jar launcher/target/launcher.jar [--workers N] [--ports BASE]",
        "  --workers N   worker processes to run, each in its own Vert.x (default 1, up to 200)",
        "  --ports BASE  webui on BASE, rng on BASE+1, hasher on BASE+2, workers from BASE+3 (default 8000)",
        "  Redis: embedded redis-server, or the one REDIS_URL names. Every other variable of",
        "  CONTRACT.md is honoured; PORT, RNG_URL, HASHER_URL and WORKER_ID are set by the launcher.");

    static LaunchOptions parse(String... args) {
        int workers = 1;
        int basePort = 8000;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--workers":
                    workers = number(args, ++i, "--workers", 1, 200);
                    break;
                case "--ports":
                    basePort = number(args, ++i, "--ports", 1, 65_535 - 3 - 200);
                    break;
                case "-h": case "--help":
                    return new LaunchOptions(workers, basePort, true);
                default:
                    throw new IllegalArgumentException("unknown argument \"" + args[i] + "\" (try --help)");
            }
        }
        return new LaunchOptions(workers, basePort, false);
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
