package dev.graft.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Java examples compile against the current API: each ```java block is wrapped in a method of its own
 * class, with a fixed list of imports, and compiled with the system compiler on the test classpath (not run: they
 * need real models and data files).
 */
class ReadmeExamplesTest {
    private static final Path README = Path.of("../README.md");
    private static final String FENCE = "```";
    /** What the examples may use without importing it themselves. */
    private static final List<String> IMPORTS = List.of("java.nio.file.Path", "java.util.*",
            "dev.graft.carry.*", "dev.graft.compare.*", "dev.graft.distill.*", "dev.graft.features.*", "dev.graft.model.*", "dev.graft.runtime.*", "dev.graft.select.rank.*",
            "dev.graft.train.*", "dev.graft.tune.*");

    @TempDir
    Path classes;

    /** A ```java block and the README line its first statement is on. */
    private record Block(int firstLine, String code) {
    }

    @Test
    void javaBlocksCompile() throws Exception {
        List<Block> blocks = javaBlocks(Files.readAllLines(README));
        assertTrue(blocks.size() >= 2, README.toAbsolutePath() + ": expected the Java API examples, found " + blocks.size());
        List<JavaFileObject> sources = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            sources.add(source("ReadmeExample" + i, blocks.get(i).code()));
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertTrue(javac != null, "no system Java compiler: run the tests on a JDK");
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        List<String> options = List.of("-classpath", classpath(), "-d", classes.toString(), "-proc:none");
        boolean ok = javac.getTask(null, null, diagnostics, options, null, sources).call();
        List<String> errors = new ArrayList<>();
        for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
            if (d.getKind() == Diagnostic.Kind.ERROR) {
                int block = sources.indexOf(d.getSource());
                long line = blocks.get(block).firstLine() + d.getLineNumber() - headerLines() - 1;
                errors.add("README.md:" + line + ": " + d.getMessage(Locale.ROOT));
            }
        }
        assertTrue(ok && errors.isEmpty(), "README Java examples do not compile:\n" + String.join("\n", errors));
    }

    private static List<Block> javaBlocks(List<String> lines) {
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().equals(FENCE + "java")) {
                int start = i + 1;
                int end = start;
                while (end < lines.size() && !lines.get(end).strip().equals(FENCE)) {
                    end++;
                }
                blocks.add(new Block(start + 1, String.join("\n", lines.subList(start, end))));
                i = end;
            }
        }
        return blocks;
    }

    /** Lines before the example's first line in a wrapped source: the imports, the class and the method. */
    private static int headerLines() {
        return IMPORTS.size() + 2;
    }

    private static JavaFileObject source(String className, String body) {
        StringBuilder sb = new StringBuilder();
        IMPORTS.forEach(i -> sb.append("import ").append(i).append(";\n"));
        sb.append("class ").append(className).append(" {\n");
        sb.append("    void run() throws Exception {\n");
        sb.append(body).append("\n    }\n}\n");
        return new SimpleJavaFileObject(URI.create("string:///" + className + ".java"), JavaFileObject.Kind.SOURCE) {
            @Override
            public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                return sb;
            }
        };
    }

    /** Surefire may hide the classpath in a manifest-only jar; it also passes the real one in surefire.test.class.path. */
    private static String classpath() {
        String surefire = System.getProperty("surefire.test.class.path");
        String own = System.getProperty("java.class.path");
        return surefire == null || surefire.isBlank() ? own : surefire + File.pathSeparator + own;
    }
}
