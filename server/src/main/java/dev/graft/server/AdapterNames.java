package dev.graft.server;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Turns a client's adapter name into a directory under the adapter root, or refuses it (422): the name is
 * URL-decoded first (so {@code ..%2F..%2Fetc} is seen as {@code ../../etc}), must be only {@code [A-Za-z0-9._-]},
 * may not contain {@code ..}, and its real path (symbolic links followed) must stay under the root's real path.
 */
final class AdapterNames {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,128}");

    private final Path root;
    private final Path realRoot;

    AdapterNames(Path root) {
        this.root = root;
        try {
            this.realRoot = root == null ? null : root.toRealPath();
        } catch (IOException e) {
            throw new dev.graft.GraftException("--adapters " + root + ": not a readable directory (" + e.getMessage() + ")");
        }
    }

    /** The checked name: decoded, and safe to use as one path element. */
    static String check(String raw) {
        String name;
        try {
            name = URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw ApiException.validation("invalid adapter name");
        }
        if (!NAME.matcher(name).matches() || name.contains("..") || name.startsWith(".")) {
            throw ApiException.validation("invalid adapter name '" + printable(raw)
                    + "': use letters, digits, '.', '_' and '-' (the adapter's directory name)");
        }
        return name;
    }

    /**
     * The adapter's directory.
     *
     * @throws ApiException 422 when the name is invalid, or no such adapter exists under the root
     */
    Path resolve(String raw) {
        String name = check(raw);
        if (realRoot == null) {
            throw ApiException.validation("unknown adapter '" + name + "': the server was started without --adapters");
        }
        Path dir = root.resolve(name);
        Path real;
        try {
            real = dir.toRealPath();
        } catch (IOException e) {
            throw ApiException.validation("unknown adapter '" + name + "'");
        }
        if (!real.startsWith(realRoot) || real.equals(realRoot)) {
            throw ApiException.validation("invalid adapter name '" + name + "': it leads outside the adapter directory");
        }
        if (!Files.isDirectory(real) || !Files.isRegularFile(real.resolve(dev.graft.peft.AdapterFiles.CONFIG))) {
            throw ApiException.validation("unknown adapter '" + name + "'");
        }
        return real;
    }

    /** Every adapter directory under the root now (a rescan), by name. */
    java.util.List<String> list() {
        if (realRoot == null) {
            return java.util.List.of();
        }
        try (var s = Files.list(realRoot)) {
            return s.filter(p -> Files.isRegularFile(p.resolve(dev.graft.peft.AdapterFiles.CONFIG)) && inside(p))
                    .map(p -> p.getFileName().toString()).filter(n -> NAME.matcher(n).matches()).sorted().toList();
        } catch (IOException e) {
            return java.util.List.of();
        }
    }

    /** Whether {@code p}'s real path (links followed) is under the root. */
    private boolean inside(Path p) {
        try {
            Path real = p.toRealPath();
            return real.startsWith(realRoot) && !real.equals(realRoot);
        } catch (IOException e) {
            return false;
        }
    }

    private static String printable(String s) {
        String t = s.length() > 64 ? s.substring(0, 64) + "…" : s;
        return t.replaceAll("[^\\x20-\\x7E]", "?");
    }
}
