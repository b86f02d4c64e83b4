package dockercoins.deploy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The redis-auth component: Redis requires the Secret's password, and worker and webui send that password. */
class RedisAuthTest {

    @Test
    void redisRequiresThePasswordThatWorkerAndWebuiSend() {
        List<Rendering> renderings = Rendering.with("redis-auth");
        assertTrue(renderings.stream().anyMatch(r -> r.name().contains("locked-down")), "locked-down includes it");
        for (Rendering rendering : renderings) {
            Container redis = rendering.container("redis");
            String secret = secretOf(redis, "REDISCLI_AUTH");
            assertTrue(String.join(" ", redis.getArgs()).endsWith("--requirepass $(REDISCLI_AUTH)"),
                rendering + ": redis " + redis.getArgs());
            for (String client : List.of("worker", "webui")) {
                Container container = rendering.container(client);
                assertEquals(secret, secretOf(container, "REDIS_PASSWORD"), rendering + ": " + client);
                URI url = URI.create(ManifestsTest.env(container).get("REDIS_URL"));
                assertEquals(":secret", url.getUserInfo(), rendering + ": " + client + " sends the Secret's password");
            }
        }
    }

    /** The Secret a variable comes from, and it must be the key "password". */
    private static String secretOf(Container container, String variable) {
        EnvVar var = container.getEnv().stream().filter(v -> v.getName().equals(variable)).findFirst()
            .orElseThrow(() -> new AssertionError(container.getName() + " has no " + variable));
        assertEquals("password", var.getValueFrom().getSecretKeyRef().getKey());
        return var.getValueFrom().getSecretKeyRef().getName();
    }
}
