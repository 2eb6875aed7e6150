package dev.graft.export;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Real texts for int8 checks: a deterministic sample of fortune quotes (Debian's fortunes packages), as the bench takes it. */
final class Fortunes {
    static final Path ROOT = Path.of("/usr/share/games/fortunes");

    private Fortunes() {
    }

    static boolean available() {
        return Files.isDirectory(ROOT);
    }

    /** The first {@code n} distinct quotes by SHA-1 of their whitespace-normalised text. */
    static List<String> sample(int n) throws IOException {
        TreeMap<String, String> byHash = new TreeMap<>();
        try (Stream<Path> files = Files.list(ROOT)) {
            for (Path p : files.sorted().toList()) {
                String name = p.getFileName().toString();
                if (Files.isDirectory(p) || Files.isSymbolicLink(p) || name.endsWith(".dat") || name.endsWith(".u8")) {
                    continue;
                }
                String text = new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
                for (String q : text.split("(?m)^%\\s*$")) {
                    String t = String.join(" ", q.trim().split("\\s+"));
                    if (!t.isEmpty()) {
                        byHash.put(sha1(t), t);
                    }
                }
            }
        }
        return new ArrayList<>(byHash.values()).subList(0, Math.min(n, byHash.size()));
    }

    private static String sha1(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
