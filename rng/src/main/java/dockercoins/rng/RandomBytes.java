package dockercoins.rng;

import io.vertx.core.buffer.Buffer;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/** Cryptographically random bytes; one generator per thread so event loops never wait on a shared lock. */
final class RandomBytes {

    private static final ThreadLocal<SecureRandom> GENERATOR = ThreadLocal.withInitial(RandomBytes::newGenerator);

    private RandomBytes() {
    }

    static Buffer next(int n) {
        byte[] bytes = new byte[n];
        GENERATOR.get().nextBytes(bytes);
        return Buffer.buffer(bytes);
    }

    private static SecureRandom newGenerator() {
        try {
            // DRBG (NIST SP 800-90A), seeded from the OS; unlike NativePRNG it keeps no process-wide lock.
            return SecureRandom.getInstance("DRBG");
        } catch (NoSuchAlgorithmException e) {
            return new SecureRandom();
        }
    }
}
