package dockercoins.shared;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class EnvTest {

    @Test
    void unsetOrEmptyVariablesTakeTheirDefaults() {
        Env env = Env.of(Map.of("RNG_DELAY_MS", "  "));
        assertEquals(100, env.millis("RNG_DELAY_MS", 100));
        assertEquals(8080, env.port("PORT", 8080));
        assertEquals("http://rng", env.url("RNG_URL", "http://rng", Set.of("http", "https")).toString());
    }

    @Test
    void validValuesAreRead() {
        Env env = Env.of(Map.of("PORT", "9000", "ACCESS_LOG", "false", "RNG_DELAY_MS", "0"));
        assertEquals(9000, env.port("PORT", 8080));
        assertFalse(env.flag("ACCESS_LOG", true));
        assertEquals(0, env.millis("RNG_DELAY_MS", 100));
    }

    @Test
    void aBadValueNamesTheVariableTheValueAndWhatIsExpected() {
        Env env = Env.of(Map.of("RNG_DELAY_MS", "abc", "PORT", "70000", "ACCESS_LOG", "maybe",
            "RNG_URL", "rng:80", "WORKER_CONCURRENCY", "-1"));
        assertEquals("RNG_DELAY_MS=\"abc\" is invalid: expected a whole number of milliseconds, 0 or more",
            assertThrows(BadConfigException.class, () -> env.millis("RNG_DELAY_MS", 100)).getMessage());
        assertEquals("PORT=\"70000\" is invalid: expected a TCP port number from 0 to 65535",
            assertThrows(BadConfigException.class, () -> env.port("PORT", 8080)).getMessage());
        assertEquals("ACCESS_LOG=\"maybe\" is invalid: expected true or false",
            assertThrows(BadConfigException.class, () -> env.flag("ACCESS_LOG", true)).getMessage());
        assertEquals("RNG_URL=\"rng:80\" is invalid: expected an absolute URL with a host, starting with http://",
            assertThrows(BadConfigException.class, () -> env.url("RNG_URL", "http://rng", Set.of("http")))
                .getMessage());
        assertEquals("WORKER_CONCURRENCY=\"-1\" is invalid: expected a whole number from 1 to 10000",
            assertThrows(BadConfigException.class, () -> env.count("WORKER_CONCURRENCY", 1, 1, 10_000))
                .getMessage());
    }

    @Test
    void aListenAddressIsAnIpAddress() {
        assertEquals("0.0.0.0", Env.of(Map.of()).ipAddress("LISTEN_ADDRESS", "0.0.0.0"));
        assertEquals("127.0.0.1", Env.of(Map.of("LISTEN_ADDRESS", "127.0.0.1")).ipAddress("LISTEN_ADDRESS", "0.0.0.0"));
        assertEquals("::", Env.of(Map.of("LISTEN_ADDRESS", "::")).ipAddress("LISTEN_ADDRESS", "0.0.0.0"));
        assertEquals("LISTEN_ADDRESS=\"localhost\" is invalid: expected an IP address such as 127.0.0.1, 0.0.0.0 or ::",
            assertThrows(BadConfigException.class,
                () -> Env.of(Map.of("LISTEN_ADDRESS", "localhost")).ipAddress("LISTEN_ADDRESS", "0.0.0.0"))
                .getMessage());
    }
}
