package dockercoins.deploy;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Prometheus' relabelling of a discovered target, for the actions our configurations use
 * (keep, drop, replace), so a test can see which address, path and job a target ends up with.
 */
final class Relabel {

    private Relabel() {
    }

    /** The target's labels after relabelling, or null if it is dropped. */
    static Map<String, String> apply(JsonNode scrapeConfig, Map<String, String> discovered) {
        Map<String, String> labels = new TreeMap<>(discovered);
        labels.putIfAbsent("job", scrapeConfig.path("job_name").asText());
        labels.putIfAbsent("__metrics_path__", scrapeConfig.path("metrics_path").asText("/metrics"));
        labels.putIfAbsent("__scheme__", scrapeConfig.path("scheme").asText("http"));
        for (JsonNode rule : scrapeConfig.path("relabel_configs")) {
            List<String> sources = new ArrayList<>();
            rule.path("source_labels").forEach(s -> sources.add(labels.getOrDefault(s.asText(), "")));
            String value = String.join(rule.path("separator").asText(";"), sources);
            // Prometheus anchors every relabelling regex.
            Matcher matcher = Pattern.compile("^(?:" + rule.path("regex").asText("(.*)") + ")$").matcher(value);
            String action = rule.path("action").asText("replace");
            switch (action) {
                case "keep" -> {
                    if (!matcher.matches()) {
                        return null;
                    }
                }
                case "drop" -> {
                    if (matcher.matches()) {
                        return null;
                    }
                }
                case "replace" -> {
                    assertTrue(rule.has("target_label"), "a replace rule needs target_label: " + rule);
                    if (matcher.matches()) {
                        String result = matcher.replaceFirst(rule.path("replacement").asText("$1"));
                        if (result.isEmpty()) {
                            labels.remove(rule.path("target_label").asText());
                        } else {
                            labels.put(rule.path("target_label").asText(), result);
                        }
                    }
                }
                default -> fail("the relabelling simulation does not know action " + action + "; extend it");
            }
        }
        return labels;
    }
}
