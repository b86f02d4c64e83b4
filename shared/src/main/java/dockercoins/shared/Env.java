package dockercoins.shared;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Configuration from environment variables, validated as it is read.
 * A bad value throws {@link BadConfigException} with the one line the user sees;
 * an unset or empty variable takes its documented default.
 */
public final class Env {

    private final Map<String, String> vars;
    /** Every variable a service asked for: lets tests hold compose.yaml and manifests against the code. */
    private final Set<String> namesRead = ConcurrentHashMap.newKeySet();

    private Env(Map<String, String> vars) {
        this.vars = Map.copyOf(vars);
    }

    public static Env system() {
        return new Env(System.getenv());
    }

    public static Env of(Map<String, String> vars) {
        return new Env(vars);
    }

    /** This environment with some variables set or replaced (the launcher and tests use it). */
    public Env with(Map<String, String> overrides) {
        Map<String, String> merged = new HashMap<>(vars);
        merged.putAll(overrides);
        return new Env(merged);
    }

    public int port(String name, int defaultValue) {
        return intIn(name, defaultValue, 0, 65_535, "a TCP port number from 0 to 65535");
    }

    public int millis(String name, int defaultValue) {
        return intIn(name, defaultValue, 0, Integer.MAX_VALUE, "a whole number of milliseconds, 0 or more");
    }

    public int positiveMillis(String name, int defaultValue) {
        return intIn(name, defaultValue, 1, Integer.MAX_VALUE, "a whole number of milliseconds, 1 or more");
    }

    public int count(String name, int defaultValue, int min, int max) {
        return intIn(name, defaultValue, min, max, "a whole number from " + min + " to " + max);
    }

    public boolean flag(String name, boolean defaultValue) {
        String raw = raw(name);
        if (raw == null) {
            return defaultValue;
        }
        switch (raw.toLowerCase()) {
            case "true": case "1": case "yes": case "on":
                return true;
            case "false": case "0": case "no": case "off":
                return false;
            default:
                throw bad(name, raw, "true or false");
        }
    }

    public String text(String name, String defaultValue) {
        String raw = raw(name);
        return raw == null ? defaultValue : raw;
    }

    /** An IP address, IPv4 or IPv6, as written: where to listen (0.0.0.0 is every IPv4 address, :: every address). */
    public String ipAddress(String name, String defaultValue) {
        String raw = raw(name);
        if (raw == null) {
            return defaultValue;
        }
        if (!raw.matches("(\\d{1,3}\\.){3}\\d{1,3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")) {
            throw bad(name, raw, "an IP address such as 127.0.0.1, 0.0.0.0 or ::");
        }
        return raw;
    }

    /** An absolute URL with one of the given schemes and a host, e.g. http://rng or redis://redis:6379. */
    public URI url(String name, String defaultValue, Set<String> schemes) {
        String raw = raw(name);
        String value = raw == null ? defaultValue : raw;
        String expected = "an absolute URL with a host, starting with "
            + String.join(" or ", schemes.stream().sorted().map(scheme -> scheme + "://").toList());
        try {
            URI uri = new URI(value);
            if (uri.getScheme() == null || !schemes.contains(uri.getScheme().toLowerCase()) || uri.getHost() == null) {
                throw bad(name, value, expected);
            }
            return uri;
        } catch (URISyntaxException e) {
            throw bad(name, value, expected);
        }
    }

    private int intIn(String name, int defaultValue, int min, int max, String expected) {
        String raw = raw(name);
        if (raw == null) {
            return defaultValue;
        }
        try {
            int value = Integer.parseInt(raw);
            if (value < min || value > max) {
                throw bad(name, raw, expected);
            }
            return value;
        } catch (NumberFormatException e) {
            throw bad(name, raw, expected);
        }
    }

    /** The names of every variable read so far, set or not. */
    public Set<String> namesRead() {
        return Set.copyOf(namesRead);
    }

    private String raw(String name) {
        namesRead.add(name);
        String value = vars.get(name);
        return value == null || value.isBlank() ? null : value.trim();
    }

    private static BadConfigException bad(String name, String value, String expected) {
        return new BadConfigException(name + "=\"" + value + "\" is invalid: expected " + expected);
    }
}
