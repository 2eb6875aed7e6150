package dev.graft.io;

import dev.graft.GraftException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Writes a whole output directory so that nothing half-written is ever seen and nothing existing is lost: the content
 * goes into a hidden temporary folder beside the target, which is renamed into place when complete (and deleted if
 * anything fails). The target must not exist, or be an empty directory.
 */
public final class AtomicDirectory {
    private AtomicDirectory() {
    }

    /** Writes the content of a directory. */
    @FunctionalInterface
    public interface Content<T> {
        T write(Path directory) throws IOException;
    }

    /**
     * Refuses a target that exists and is not an empty directory, with a message saying what to do; call before
     * long work so the user learns early.
     */
    public static Path checkTarget(Path target) {
        Path t = target.toAbsolutePath().normalize();
        if (Files.exists(t) && !isEmptyDirectory(t)) {
            throw new GraftException(t + ": already exists and is not empty; choose another --output or remove it");
        }
        return t;
    }

    /**
     * @param target  the directory to create
     * @param content writes into the temporary folder it is given
     * @return what {@code content} returns
     */
    public static <T> T write(Path target, Content<T> content) {
        Path t = checkTarget(target);
        Path tmp;
        try {
            Files.createDirectories(t.getParent());
            tmp = Files.createTempDirectory(t.getParent(), "." + t.getFileName() + ".tmp-");
        } catch (IOException e) {
            throw new GraftException(t + ": cannot create a temporary folder beside it (" + e.getMessage() + ")", e);
        }
        boolean done = false;
        try {
            T result = content.write(tmp);
            if (Files.isDirectory(t)) {
                Files.delete(t); // empty (checked above)
            }
            Files.move(tmp, t, StandardCopyOption.ATOMIC_MOVE);
            done = true;
            return result;
        } catch (IOException e) {
            throw new GraftException(t + ": cannot write (" + e.getMessage() + ")", e);
        } finally {
            if (!done) {
                deleteTree(tmp);
            }
        }
    }

    /** Deletes a folder and everything in it, best effort. */
    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // best effort: a leftover hidden temp folder is harmless
        }
    }

    private static boolean isEmptyDirectory(Path p) {
        if (!Files.isDirectory(p)) {
            return false;
        }
        try (Stream<Path> s = Files.list(p)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            return false;
        }
    }
}
