package dev.graft.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.util.List;

/** Printing helpers: JSON for --json, aligned text tables otherwise. */
final class Output {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    static final ObjectMapper COMPACT = new ObjectMapper();

    private Output() {
    }

    static void json(PrintWriter out, Object value) {
        try {
            out.println(JSON.writeValueAsString(value));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        out.flush();
    }

    /** Prints rows as a table whose columns are as wide as their widest cell. */
    static void table(PrintWriter out, List<String> header, List<List<String>> rows) {
        int[] w = new int[header.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = header.get(i).length();
            for (List<String> r : rows) {
                w[i] = Math.max(w[i], r.get(i).length());
            }
        }
        out.println(line(header, w));
        StringBuilder rule = new StringBuilder();
        for (int i = 0; i < w.length; i++) {
            rule.append(i == 0 ? "" : "  ").append("-".repeat(w[i]));
        }
        out.println(rule);
        rows.forEach(r -> out.println(line(r, w)));
        out.flush();
    }

    private static String line(List<String> cells, int[] w) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            String c = cells.get(i);
            sb.append(i == 0 ? "" : "  ").append(c).append(" ".repeat(w[i] - c.length()));
        }
        return sb.toString().stripTrailing();
    }

    /** 22713216 -> "22.7M". */
    static String count(long n) {
        if (n >= 1_000_000) {
            return String.format("%.1fM", n / 1e6);
        }
        if (n >= 1_000) {
            return String.format("%.1fK", n / 1e3);
        }
        return Long.toString(n);
    }

    static String bytes(long n) {
        if (n >= 1 << 20) {
            return String.format("%.1f MiB", n / (double) (1 << 20));
        }
        if (n >= 1 << 10) {
            return String.format("%.1f KiB", n / 1024.0);
        }
        return n + " B";
    }
}
