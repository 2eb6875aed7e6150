package dev.graft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The core library's layers (see the README's layout paragraph): dependencies point down only. Reads the sources'
 * imports and fully qualified names (comments and string literals removed) and fails on an upward or sideways edge
 * between layers, on a PEFT method that uses a sibling method, and on any package cycle.
 */
class LayersTest {
    /** Bottom to top; packages in one row may not depend on each other. The longest matching prefix decides. */
    private static final List<List<String>> LAYERS = List.of(
            List.of("dev.graft"),
            List.of("dev.graft.runtime"),
            List.of("dev.graft.io"),
            List.of("dev.graft.text"),
            List.of("dev.graft.model"),
            List.of("dev.graft.peft"),
            List.of("dev.graft.train"),
            List.of("dev.graft.features", "dev.graft.select"),
            List.of("dev.graft.tune"),
            List.of("dev.graft.distill"),
            List.of("dev.graft.merge", "dev.graft.select.rank", "dev.graft.export", "dev.graft.compare", "dev.graft.carry"));
    /** Method packages under peft may use peft itself and the bottleneck blocks of peft.adapter, not each other. */
    private static final Set<String> SHARED_METHOD_PACKAGES = Set.of("dev.graft.peft", "dev.graft.peft.adapter");

    private static final Path SOURCES = Path.of("src/main/java");
    private static final Pattern REFERENCE = Pattern.compile("\\bdev\\.graft(?:\\.[a-z][a-z0-9_]*)*(?=\\.[A-Z])");
    private static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);

    @Test
    void dependenciesPointDown() throws IOException {
        Map<String, Set<String>> edges = packageEdges();
        assertTrue(edges.size() > 20, "expected the core's packages under " + SOURCES.toAbsolutePath() + ", found " + edges.keySet());
        List<String> violations = new ArrayList<>();
        edges.forEach((from, tos) -> {
            for (String to : tos) {
                String why = violation(from, to);
                if (why != null) {
                    violations.add(from + " -> " + to + ": " + why);
                }
            }
        });
        assertEquals(List.of(), violations, "upward or sideways package dependencies");
    }

    @Test
    void noPackageCycles() throws IOException {
        Map<String, Set<String>> edges = packageEdges();
        List<String> cycles = new ArrayList<>();
        for (String start : edges.keySet()) {
            for (String next : edges.get(start)) {
                if (reaches(edges, next, start, new TreeSet<>())) {
                    cycles.add(start + " -> " + next + " -> ... -> " + start);
                }
            }
        }
        assertEquals(List.of(), cycles, "package cycles");
    }

    @Test
    void theRulesCatchWhatTheyForbid() {
        assertTrue(violation("dev.graft.model", "dev.graft.peft") != null, "upward");
        assertTrue(violation("dev.graft.train", "dev.graft.tune") != null, "upward into the workflow layer");
        assertTrue(violation("dev.graft.merge", "dev.graft.select.rank") != null, "sideways");
        assertTrue(violation("dev.graft.peft.lora", "dev.graft.peft.ia3") != null, "sibling method");
        assertEquals(null, violation("dev.graft.peft.fusion", "dev.graft.peft.adapter"), "composition uses adapter blocks");
        assertEquals(null, violation("dev.graft.select.rank", "dev.graft.tune"), "workflow over tuning");
        assertEquals(null, violation("dev.graft.distill", "dev.graft.tune"), "distillation's pool filter uses the probe");
        assertEquals("", stripCommentsAndStrings("/* dev.graft.peft.X */// dev.graft.tune.Y\n\"dev.graft.merge.Z\"").trim());
    }

    /** Why {@code from -> to} is not allowed, or null. */
    static String violation(String from, String to) {
        int a = layer(from);
        int b = layer(to);
        if (b > a) {
            return "a layer may not use the layers above it";
        }
        if (b == a && !family(from).equals(family(to))) {
            return "packages in one layer stay independent";
        }
        if (from.startsWith("dev.graft.peft.") && to.startsWith("dev.graft.peft.") && !SHARED_METHOD_PACKAGES.contains(to)
                && !from.startsWith(to + ".") && !to.startsWith(from + ".")) {
            return "a PEFT method may not use a sibling method";
        }
        return null;
    }

    private static int layer(String pkg) {
        return LAYERS.indexOf(LAYERS.stream().filter(row -> row.contains(family(pkg))).findFirst()
                .orElseThrow(() -> new AssertionError("package " + pkg + " is in no layer; add it to LayersTest.LAYERS")));
    }

    /** The longest layer entry that is {@code pkg} or one of its parents. */
    private static String family(String pkg) {
        String best = null;
        for (List<String> row : LAYERS) {
            for (String p : row) {
                if ((pkg.equals(p) || pkg.startsWith(p + ".") && !p.equals("dev.graft")) && (best == null || p.length() > best.length())) {
                    best = p;
                }
            }
        }
        return best == null ? pkg.equals("dev.graft") ? "dev.graft" : pkg : best;
    }

    private static boolean reaches(Map<String, Set<String>> edges, String from, String target, Set<String> seen) {
        if (from.equals(target)) {
            return true;
        }
        if (!seen.add(from)) {
            return false;
        }
        for (String n : edges.getOrDefault(from, Set.of())) {
            if (reaches(edges, n, target, seen)) {
                return true;
            }
        }
        return false;
    }

    /** package -> the project packages its classes refer to. */
    static Map<String, Set<String>> packageEdges() throws IOException {
        Map<String, Set<String>> edges = new TreeMap<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String code = stripCommentsAndStrings(Files.readString(f));
                Matcher pm = PACKAGE.matcher(code);
                if (!pm.find()) {
                    continue;
                }
                String pkg = pm.group(1);
                Set<String> tos = edges.computeIfAbsent(pkg, k -> new TreeSet<>());
                Matcher m = REFERENCE.matcher(code.substring(pm.end()));
                while (m.find()) {
                    if (!m.group().equals(pkg)) {
                        tos.add(m.group());
                    }
                }
            }
        }
        return edges;
    }

    /** Removes comments, string and character literals, so that only code references remain. */
    static String stripCommentsAndStrings(String s) {
        StringBuilder out = new StringBuilder(s.length());
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '/' && i + 1 < s.length() && s.charAt(i + 1) == '/') {
                while (i < s.length() && s.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '/' && i + 1 < s.length() && s.charAt(i + 1) == '*') {
                int end = s.indexOf("*/", i + 2);
                i = end < 0 ? s.length() : end + 2;
            } else if (c == '"' && s.startsWith("\"\"\"", i)) {
                int end = s.indexOf("\"\"\"", i + 3);
                i = end < 0 ? s.length() : end + 3;
            } else if (c == '"' || c == '\'') {
                i++;
                while (i < s.length() && s.charAt(i) != c) {
                    i += s.charAt(i) == '\\' ? 2 : 1;
                }
                i++;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }
}
