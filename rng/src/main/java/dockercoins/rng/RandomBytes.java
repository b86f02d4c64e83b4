package dockercoins.rng;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * Cryptographically random bytes, written with back-pressure: one generator per thread, so event loops never wait
 * on a shared lock, and a chunk made only once the client has taken the ones before.
 */
final class RandomBytes {

    /** Random bytes are made and written this many at a time: a slow reader holds one chunk, not its whole answer. */
    private static final int CHUNK_BYTES = 64 * 1024;
    private static final ThreadLocal<SecureRandom> GENERATOR = ThreadLocal.withInitial(RandomBytes::newGenerator);

    private RandomBytes() {
    }

    static Buffer next(int n) {
        byte[] bytes = new byte[n];
        GENERATOR.get().nextBytes(bytes);
        return Buffer.buffer(bytes);
    }

    /** Writes {@code remaining} random bytes and ends the response, a chunk at a time as the client takes them. */
    static void write(HttpServerResponse response, int remaining) {
        int left = remaining;
        while (left > 0 && !response.writeQueueFull() && !response.closed()) {
            int chunk = Math.min(CHUNK_BYTES, left);
            response.write(next(chunk));
            left -= chunk;
        }
        if (response.closed()) {
            return;
        }
        if (left == 0) {
            response.end();
        } else {
            int rest = left;
            response.drainHandler(drained -> write(response, rest));
        }
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
