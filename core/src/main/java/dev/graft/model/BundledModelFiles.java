package dev.graft.model;

import dev.graft.GraftException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Finds a bundled model's files: inside its langchain4j jar on the classpath, or in the local Maven repository
 * (where {@code mvn} put it at build time). Nothing is downloaded.
 */
final class BundledModelFiles {
    private final BundledModel model;
    private final URL onnx;
    private final URL tokenizer;
    private final Path jar;

    private BundledModelFiles(BundledModel model, URL onnx, URL tokenizer, Path jar) {
        this.model = model;
        this.onnx = onnx;
        this.tokenizer = tokenizer;
        this.jar = jar;
    }

    static BundledModelFiles locate(BundledModel m) {
        ClassLoader cl = BundledModelFiles.class.getClassLoader();
        URL onnx = cl.getResource(m.resourceName() + ".onnx");
        URL tok = cl.getResource(m.resourceName() + "-tokenizer.json");
        if (onnx != null && tok != null) {
            return new BundledModelFiles(m, onnx, tok, null);
        }
        Path jar = localRepository().resolve("dev/langchain4j").resolve(m.artifactId()).resolve(BundledModels.LANGCHAIN4J_VERSION)
                .resolve(m.artifactId() + "-" + BundledModels.LANGCHAIN4J_VERSION + ".jar");
        if (Files.isRegularFile(jar)) {
            return new BundledModelFiles(m, null, null, jar);
        }
        throw new GraftException("model '" + m.id() + "' needs the jar " + m.mavenCoordinates()
                + ", which is neither on the classpath nor in " + localRepository()
                + "; add it as a dependency or run: mvn dependency:get -Dartifact=" + m.mavenCoordinates());
    }

    private static Path localRepository() {
        String repo = System.getProperty("maven.repo.local");
        return repo != null ? Path.of(repo) : Path.of(System.getProperty("user.home"), ".m2", "repository");
    }

    /** Where the files were found, for messages and provenance. */
    String description() {
        return jar != null ? jar.toString() : onnx.toString().replaceFirst("!/.*$", "");
    }

    byte[] onnxBytes() {
        return read(onnx, model.resourceName() + ".onnx");
    }

    byte[] tokenizerBytes() {
        return read(tokenizer, model.resourceName() + "-tokenizer.json");
    }

    private byte[] read(URL url, String entry) {
        try {
            if (url != null) {
                try (InputStream in = url.openStream()) {
                    return in.readAllBytes();
                }
            }
            try (ZipFile zip = new ZipFile(jar.toFile())) {
                ZipEntry e = zip.getEntry(entry);
                if (e == null) {
                    throw new GraftException(jar + ": has no entry '" + entry + "'; is it the right langchain4j jar?");
                }
                try (InputStream in = zip.getInputStream(e)) {
                    return in.readAllBytes();
                }
            }
        } catch (IOException e) {
            throw new GraftException("cannot read " + entry + " from " + description() + ": " + e.getMessage(), e);
        }
    }
}
