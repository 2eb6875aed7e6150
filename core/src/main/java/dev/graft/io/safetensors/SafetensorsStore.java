package dev.graft.io.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.GraftException;
import dev.graft.io.TensorSource;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A model's weights as one view: a single {@code model.safetensors}, or shards listed in
 * {@code model.safetensors.index.json} ({@code weight_map}: tensor name to shard file), opened lazily.
 */
public final class SafetensorsStore implements TensorSource, AutoCloseable {
    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";

    private final Path location;
    private final Map<String, String> weightMap; // tensor -> shard file name
    private final Map<String, SafetensorsFile> open = new LinkedHashMap<>();
    private final Path dir;

    private SafetensorsStore(Path location, Path dir, Map<String, String> weightMap) {
        this.location = location;
        this.dir = dir;
        this.weightMap = weightMap;
    }

    /** Opens a safetensors file, or a directory holding {@code model.safetensors} or a sharded index. */
    public static SafetensorsStore open(Path fileOrDirectory) {
        if (Files.isRegularFile(fileOrDirectory) && !fileOrDirectory.getFileName().toString().endsWith(".json")) {
            SafetensorsFile f = SafetensorsFile.open(fileOrDirectory);
            Map<String, String> map = new TreeMap<>();
            String shard = fileOrDirectory.getFileName().toString();
            f.names().forEach(n -> map.put(n, shard));
            SafetensorsStore s = new SafetensorsStore(fileOrDirectory, fileOrDirectory.toAbsolutePath().getParent(), map);
            s.open.put(shard, f);
            return s;
        }
        Path dir = Files.isDirectory(fileOrDirectory) ? fileOrDirectory : fileOrDirectory.toAbsolutePath().getParent();
        Path index = Files.isDirectory(fileOrDirectory) ? dir.resolve(INDEX) : fileOrDirectory;
        if (Files.isDirectory(fileOrDirectory) && Files.isRegularFile(dir.resolve(SINGLE))) {
            return open(dir.resolve(SINGLE));
        }
        if (!Files.isRegularFile(index)) {
            throw new GraftException(fileOrDirectory + ": no " + SINGLE + " or " + INDEX);
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(index.toFile());
        } catch (IOException e) {
            throw new SafetensorsFormatException(index + ": not valid JSON (" + e.getMessage().split("\n")[0] + ")");
        }
        JsonNode wm = root == null ? null : root.get("weight_map");
        if (wm == null || !wm.isObject()) {
            throw new SafetensorsFormatException(index + ": field 'weight_map' (tensor name to shard file) is missing");
        }
        Map<String, String> map = new TreeMap<>();
        Path absDir = dir.toAbsolutePath().normalize();
        for (Iterator<Map.Entry<String, JsonNode>> it = wm.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String shard = e.getValue().asText("");
            Path p = absDir.resolve(shard).normalize();
            if (shard.isEmpty() || !p.startsWith(absDir) || !p.getParent().equals(absDir)) {
                throw new SafetensorsFormatException(index + ": shard name '" + shard + "' for '" + e.getKey()
                        + "' must be a file name in the same folder");
            }
            if (!Files.isRegularFile(p)) {
                throw new GraftException(index + ": shard '" + shard + "' (holding '" + e.getKey() + "') does not exist");
            }
            map.put(e.getKey(), shard);
        }
        return new SafetensorsStore(index, absDir, map);
    }

    private synchronized SafetensorsFile fileFor(String name) { // shards open lazily; merges read from several threads
        String shard = weightMap.get(name);
        if (shard == null) {
            throw new GraftException(location + ": no tensor named '" + name + "'");
        }
        SafetensorsFile f = open.computeIfAbsent(shard, s -> SafetensorsFile.open(dir.resolve(s)));
        if (!f.names().contains(name)) {
            throw new SafetensorsFormatException(location + ": the index puts '" + name + "' in " + shard + ", which lacks it");
        }
        return f;
    }

    @Override
    public Set<String> names() {
        return Collections.unmodifiableSet(weightMap.keySet());
    }

    public TensorInfo info(String name) {
        return fileFor(name).info(name);
    }

    @Override
    public long[] shape(String name) {
        return fileFor(name).shape(name);
    }

    public ByteBuffer buffer(String name) {
        return fileFor(name).buffer(name);
    }

    @Override
    public float[] readFloats(String name) {
        return fileFor(name).readFloats(name);
    }

    /** Reads part of a float tensor; see {@link SafetensorsFile#readFloats(String, long, float[], int)}. */
    public void readFloats(String name, long from, float[] into, int count) {
        fileFor(name).readFloats(name, from, into, count);
    }

    /** Maps part of a float tensor; see {@link SafetensorsFile#mapFloats(String, long, int)}. */
    public FloatRange mapFloats(String name, long from, int count) {
        return fileFor(name).mapFloats(name, from, count);
    }

    /** Metadata of the first shard (the single file's, when unsharded). */
    public Map<String, String> metadata() {
        if (weightMap.isEmpty()) {
            return Map.of();
        }
        return fileFor(weightMap.keySet().iterator().next()).metadata();
    }

    /** The files behind this store (for hashing). */
    public java.util.List<Path> files() {
        return weightMap.values().stream().distinct().sorted().map(dir::resolve).toList();
    }

    @Override
    public String description() {
        return location.toString();
    }

    @Override
    public void close() {
        open.values().forEach(SafetensorsFile::close);
        open.clear();
    }
}
