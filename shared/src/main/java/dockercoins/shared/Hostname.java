package dockercoins.shared;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** The host (pod or container) name, as the original's banners show it. */
public final class Hostname {

    private static final String NAME = lookUp();

    private Hostname() {
    }

    public static String get() {
        return NAME;
    }

    private static String lookUp() {
        // HOSTNAME is the pod or container name and costs no DNS lookup; fall back to the resolver.
        String fromEnv = System.getenv("HOSTNAME");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv.trim();
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
