package dockercoins.deploy;

import dockercoins.shared.testing.Promtool;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the shared Promtool helper does not do yet: PromQL checked by {@code promtool check rules},
 * and whether this promtool knows Kubernetes service discovery (Debian's build leaves it out).
 * Each first calls {@link Promtool#checkConfig} on a trivial file, so a missing promtool is
 * skipped loudly, or fails under CI, exactly as there.
 */
final class PromtoolRules {

    private PromtoolRules() {
    }

    /** Every expression parses as PromQL (each becomes a recording rule that promtool checks). */
    static void checkExpressions(List<String> expressions, Path tempDir) throws IOException, InterruptedException {
        requirePromtool(tempDir);
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        for (int i = 0; i < expressions.size(); i++) {
            rules.append("      - record: dashboard:expression_").append(i).append('\n')
                .append("        expr: ").append(Repo.JSON.writeValueAsString(expressions.get(i))).append('\n');
        }
        Path file = Files.writeString(tempDir.resolve("dashboard-rules.yml"), rules);
        Result result = run(tempDir, "check", "rules", file.toString());
        assertEquals(0, result.exit(), "promtool check rules found invalid PromQL:\n" + result.output() + "\n" + rules);
    }

    /** Whether this promtool can check a kubernetes_sd_configs block at all. */
    static boolean knowsKubernetesDiscovery(Path tempDir) throws IOException, InterruptedException {
        requirePromtool(tempDir);
        Path probe = Files.writeString(tempDir.resolve("probe-kubernetes-sd.yml"),
            "scrape_configs:\n  - job_name: probe\n    kubernetes_sd_configs:\n      - role: pod\n");
        return run(tempDir, "check", "config", "--syntax-only", probe.toString()).exit() == 0;
    }

    private static void requirePromtool(Path tempDir) throws IOException, InterruptedException {
        Promtool.checkConfig(Files.writeString(tempDir.resolve("probe-promtool.yml"), "global:\n  scrape_interval: 15s\n"));
    }

    private record Result(int exit, String output) {
    }

    private static Result run(Path tempDir, String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("promtool"));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).directory(tempDir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "promtool did not finish");
        return new Result(process.exitValue(), output);
    }
}
