package dockercoins.localredis;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LocalRedisTest {

    /** One inline command over a raw socket, so this test depends on nothing but the JDK. */
    private static String command(int port, String command) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(2000);
            OutputStream out = socket.getOutputStream();
            out.write((command + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String line = in.readLine();
            if (line.startsWith("$") && !line.equals("$-1")) {
                return in.readLine();
            }
            return line;
        }
    }

    @Test
    void keepsItsDataAcrossAStopAndAStart() throws Exception {
        try (LocalRedis redis = LocalRedis.start(0)) {
            assertEquals(":5", command(redis.port(), "INCRBY hashes 5"));
            redis.stop();
            assertThrows(IOException.class, () -> command(redis.port(), "PING"));
            redis.start();
            assertEquals("5", command(redis.port(), "GET hashes"));
        }
    }

    @Test
    void aFrozenRedisAnswersNothingUntilThawed() throws Exception {
        try (LocalRedis redis = LocalRedis.start(0)) {
            redis.freeze();
            assertThrows(SocketTimeoutException.class, () -> command(redis.port(), "PING"));
            redis.thaw();
            assertEquals("+PONG", command(redis.port(), "PING"));
        }
    }
}
