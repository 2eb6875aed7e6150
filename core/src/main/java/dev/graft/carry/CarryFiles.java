package dev.graft.carry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.io.AtomicFiles;
import dev.graft.io.Provenance;
import dev.graft.model.EncoderModel;
import dev.graft.peft.AdapterFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/** Copies an adapter or model directory for its new base: files as they are, the recorded base rewritten. */
final class CarryFiles {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** File name to the field that records the base model in it. */
    private static final List<String[]> BASE_FIELDS = List.of(new String[] {AdapterFiles.TASK, "base_model"},
            new String[] {AdapterFiles.CONFIG, "base_model_name_or_path"});

    private CarryFiles() {
    }

    /**
     * Copies {@code source} into {@code out}, every file byte for byte except: the provenance record (Carry writes a
     * new one), the files named in {@code skip} (the caller writes them), and the base fields of
     * {@code graft_task.json} and {@code adapter_config.json}, which are set to {@code toId} (PEFT's field to the
     * bundled model's Hugging Face repo, as graft tune writes it). Nested directories (a composition's sources) are
     * copied too; their base fields are rewritten where they name the same base as the top level's.
     */
    static void copyRebased(Path source, Path out, EncoderModel to, String toId, Set<String> skip) throws IOException {
        Set<String> recorded = new HashSet<>();
        for (String[] f : BASE_FIELDS) {
            Path p = source.resolve(f[0]);
            if (Files.isRegularFile(p)) {
                String v = AdapterFiles.readJson(p).path(f[1]).asText("");
                if (!v.isBlank()) {
                    recorded.add(v);
                }
            }
        }
        String peftBase = to.bundled().map(b -> b.hfRepo()).orElse(toId);
        List<Path> files;
        try (Stream<Path> s = Files.walk(source)) {
            files = s.filter(Files::isRegularFile).toList();
        }
        for (Path f : files) {
            Path rel = source.relativize(f);
            boolean top = rel.getNameCount() == 1;
            String name = rel.getFileName().toString();
            if (top && (name.equals(Provenance.FILE) || skip.contains(name))) {
                continue;
            }
            Path target = out.resolve(rel.toString());
            Files.createDirectories(target.getParent());
            String field = baseField(name);
            if (field != null) {
                JsonNode n = AdapterFiles.readJson(f);
                String v = n.path(field).asText("");
                if (top || recorded.contains(v)) {
                    ((ObjectNode) n).put(field, name.equals(AdapterFiles.CONFIG) ? peftBase : toId);
                    AtomicFiles.write(target, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
                    continue;
                }
            }
            Files.copy(f, target);
        }
    }

    private static String baseField(String fileName) {
        for (String[] f : BASE_FIELDS) {
            if (f[0].equals(fileName)) {
                return f[1];
            }
        }
        return null;
    }
}
