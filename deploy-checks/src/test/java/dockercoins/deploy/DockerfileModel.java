package dockercoins.deploy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A Dockerfile as its instructions, grouped by stage: enough of the syntax to hold ours to account. */
final class DockerfileModel {

    record Instruction(String keyword, String arguments, int line) {

        /** The --name=value flags before the arguments, e.g. --from=build. */
        Map<String, String> flags() {
            Map<String, String> flags = new LinkedHashMap<>();
            for (String word : arguments.split("\\s+")) {
                if (!word.startsWith("--")) {
                    break;
                }
                int equals = word.indexOf('=');
                flags.put(word.substring(2, equals < 0 ? word.length() : equals), equals < 0 ? "" : word.substring(equals + 1));
            }
            return flags;
        }

        /** The arguments after the flags, split on white space (shell form). */
        List<String> words() {
            List<String> words = new ArrayList<>();
            for (String word : arguments.trim().split("\\s+")) {
                if (words.isEmpty() && word.startsWith("--")) {
                    continue;
                }
                words.add(word);
            }
            return words;
        }

        /** The JSON array of the exec form, or null if the arguments are in shell form. */
        List<String> execForm() {
            String trimmed = arguments.trim();
            if (!trimmed.startsWith("[")) {
                return null;
            }
            try {
                JsonNode array = Repo.JSON.readTree(trimmed);
                List<String> items = new ArrayList<>();
                array.forEach(item -> items.add(item.asText()));
                return array.isArray() ? items : null;
            } catch (JsonProcessingException e) {
                return null;
            }
        }

        @Override
        public String toString() {
            return "line " + line + ": " + keyword + " " + arguments;
        }
    }

    /** A stage: FROM base [AS name], and its instructions after the FROM. */
    record Stage(String name, String base, List<Instruction> instructions) {
        List<Instruction> all(String keyword) {
            return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
        }
    }

    private static final Pattern FROM = Pattern.compile("(?i)(?:--\\S+\\s+)*(\\S+)(?:\\s+AS\\s+(\\S+))?\\s*");

    final List<Instruction> beforeFirstStage = new ArrayList<>();
    final List<Stage> stages = new ArrayList<>();

    static DockerfileModel parse(Path file) {
        DockerfileModel model = new DockerfileModel();
        String[] lines = Repo.read(file).split("\n", -1);
        StringBuilder logical = new StringBuilder();
        int start = 0;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            String trimmed = line.trim();
            // Comment lines are dropped, also inside a continued instruction (as Docker does).
            if (trimmed.startsWith("#") || (trimmed.isEmpty() && logical.length() == 0)) {
                continue;
            }
            if (logical.length() == 0) {
                start = i + 1;
            }
            if (trimmed.endsWith("\\")) {
                logical.append(trimmed, 0, trimmed.length() - 1).append(' ');
                continue;
            }
            logical.append(trimmed);
            model.add(logical.toString().trim(), start);
            logical.setLength(0);
        }
        if (logical.length() > 0) {
            throw new AssertionError("Dockerfile ends inside a continued instruction started on line " + start);
        }
        return model;
    }

    private void add(String text, int line) {
        String[] parts = text.split("\\s+", 2);
        Instruction instruction = new Instruction(parts[0].toUpperCase(Locale.ROOT), parts.length > 1 ? parts[1] : "", line);
        if (instruction.keyword().equals("FROM")) {
            Matcher from = FROM.matcher(instruction.arguments());
            if (!from.matches()) {
                throw new AssertionError("cannot read " + instruction);
            }
            stages.add(new Stage(from.group(2), from.group(1), new ArrayList<>()));
        } else if (stages.isEmpty()) {
            beforeFirstStage.add(instruction);
        } else {
            stages.get(stages.size() - 1).instructions().add(instruction);
        }
    }

    Stage stage(String name) {
        return stages.stream().filter(s -> name.equals(s.name())).findFirst()
            .orElseThrow(() -> new AssertionError("the Dockerfile has no stage named " + name));
    }

    boolean isStage(String name) {
        return stages.stream().anyMatch(s -> name.equals(s.name()));
    }

    /** The stages a stage is built on, from the outermost (an image from a registry) to itself. */
    List<Stage> chain(Stage stage) {
        List<Stage> chain = new ArrayList<>();
        Stage current = stage;
        while (true) {
            chain.add(0, current);
            if (!isStage(current.base())) {
                return chain;
            }
            current = stage(current.base());
        }
    }

    /** Every instruction that shapes a stage's image: those of its base stages first. */
    List<Instruction> effective(Stage stage, String keyword) {
        return chain(stage).stream().flatMap(s -> s.all(keyword).stream()).toList();
    }

    /** The registry image a stage is ultimately built on. */
    String externalBase(Stage stage) {
        return chain(stage).get(0).base();
    }
}
