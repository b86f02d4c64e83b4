package dockercoins.deploy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * .dockerignore as Docker reads it: patterns in order, the last one matching a path or one of its
 * parent directories decides, and "!" re-includes.
 */
final class DockerIgnore {

    private record Rule(Pattern pattern, boolean exclude, String text) {
    }

    private final List<Rule> rules = new ArrayList<>();

    static DockerIgnore read(Path file) {
        DockerIgnore ignore = new DockerIgnore();
        for (String line : Repo.read(file).split("\n")) {
            String trimmed = line.trim();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            boolean exclude = !trimmed.startsWith("!");
            String pattern = exclude ? trimmed : trimmed.substring(1).trim();
            pattern = pattern.replaceAll("^/+", "").replaceAll("/+$", "");
            ignore.rules.add(new Rule(Pattern.compile(toRegex(pattern)), exclude, trimmed));
        }
        return ignore;
    }

    /** Whether a path of the build context (relative, with /) is left out of it. */
    boolean excludes(String path) {
        boolean excluded = false;
        for (Rule rule : rules) {
            if (matchesOrParentMatches(rule.pattern(), path)) {
                excluded = rule.exclude();
            }
        }
        return excluded;
    }

    private static boolean matchesOrParentMatches(Pattern pattern, String path) {
        String candidate = path;
        while (true) {
            if (pattern.matcher(candidate).matches()) {
                return true;
            }
            int slash = candidate.lastIndexOf('/');
            if (slash < 0) {
                return false;
            }
            candidate = candidate.substring(0, slash);
        }
    }

    /** Go's filepath.Match syntax plus "**", as Docker uses it. */
    private static String toRegex(String glob) {
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*' && i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                i++;
                if (i + 1 < glob.length() && glob.charAt(i + 1) == '/') {
                    i++;
                    regex.append("(?:.*/)?");  // "**/": any number of directories, none included
                } else {
                    regex.append(".*");
                }
            } else if (c == '*') {
                regex.append("[^/]*");
            } else if (c == '?') {
                regex.append("[^/]");
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return regex.toString();
    }
}
