package dev.graft.merge;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.io.Provenance;
import dev.graft.io.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Merges PEFT LoRA adapters trained from one base into one LoRA adapter.
 *
 * <ul>
 *   <li>Any model-merge method ({@code linear}, {@code ties}, {@code dare_ties}, {@code pcb}, ...): each adapter's
 *       dense delta Δᵢ = sᵢ·Bᵢ·Aᵢ [out, in] is a task vector over a zero base; the method merges them, and a
 *       truncated SVD brings the result back to rank {@code rank} (default: the largest input rank):
 *       B = U_r·diag(S_r), A = V_rᵀ, scale 1.</li>
 *   <li>PEFT's {@code add_weighted_adapter} combinations, with PEFT's meaning: {@code peft_svd} (Σ wᵢsᵢ BᵢAᵢ, then
 *       SVD), {@code peft_cat} (A = [w₁s₁A₁; w₂s₂A₂; …] stacked by rows, B = [B₁ B₂ …] by columns: exact, rank Σ rᵢ),
 *       and {@code peft_linear}, {@code peft_ties}, {@code peft_dare_linear}, {@code peft_dare_ties},
 *       {@code peft_magnitude_prune}, which combine the A matrices and the B matrices separately, each with weights
 *       √(wᵢ·sᵢ) (equal ranks required; TIES' disjoint mean divides by the number of agreeing adapters, PEFT's
 *       definition, and pruning keeps ⌊density·n⌋ elements).</li>
 * </ul>
 * As PEFT does, the result has {@code r} = {@code lora_alpha} = the new rank (scale 1; {@code use_rslora} is
 * written false so that the scale really is 1). Task heads in the inputs ({@code modules_to_save}) are not merged:
 * {@code heads/<i>-<name>/} is a complete adapter — the merged LoRA, that task's head and its
 * {@code graft_task.json} — that {@code graft predict --adapter} loads directly.
 */
final class AdapterMerger {
    private static final ObjectMapper JSON = new ObjectMapper();

    private AdapterMerger() {
    }

    static Merger.Result run(MergeConfig cfg, Path out, Merger.Options options) {
        List<LoraAdapter> ads = new ArrayList<>();
        try {
            for (MergeConfig.ModelEntry e : cfg.models()) {
                ads.add(LoraAdapter.open(Path.of(e.model())));
            }
            check(ads);
            LoraAdapter first = ads.get(0);
            String method = cfg.method();
            PeftCombination peft = PeftCombination.byName(method);
            MergeMethod dense = peft == null ? MergeMethods.byName(method) : null;
            if (dense != null && dense.needsFishers()) {
                throw new GraftException("merge_method " + method + " needs models, not adapters: write each as BASE+ADAPTER"
                        + " (graft fisher gives the Fisher of those effective weights)");
            }
            int maxRank = ads.stream().mapToInt(LoraAdapter::rank).max().orElse(1);
            Map<String, Double> global0 = MergeConfig.resolve(cfg.parameters(), "", -1, 0);
            int rank = (int) Math.round(global0.getOrDefault("rank", (double) maxRank));
            if (peft != null) {
                rank = peft.rank(ads, rank);
            }
            if (rank <= 0) {
                throw new GraftException("parameters.rank: must be positive, got " + rank);
            }
            Map<String, float[]> tensors = new LinkedHashMap<>();
            Map<String, long[]> shapes = new LinkedHashMap<>();
            options.progress().start("merging adapters", first.modules().size());
            for (String module : first.modules()) {
                int layer = Merger.layerOf(module);
                List<Map<String, Double>> mp = new ArrayList<>();
                for (int i = 0; i < ads.size(); i++) {
                    mp.add(MergeConfig.resolve(cfg.models().get(i).parameters(), module, layer, 0));
                }
                Map<String, Double> global = MergeConfig.resolve(cfg.parameters(), module, layer, 0);
                long[] as = first.aShape(module);
                long[] bs = first.bShape(module);
                int in = (int) as[1];
                int outDim = (int) bs[0];
                float[] a;
                float[] b;
                if (peft != null) {
                    double[] w = new double[ads.size()];
                    for (int i = 0; i < w.length; i++) {
                        Double v = mp.get(i).get("weight");
                        w[i] = v != null ? v : global.getOrDefault("weight", 1.0);
                    }
                    float[][] ab = peft.combine(ads, module, w, new PeftCombination.Factors(rank, outDim, in, mp, global, cfg.seed()));
                    a = ab[0];
                    b = ab[1];
                } else {
                    List<float[]> deltas = new ArrayList<>();
                    for (LoraAdapter ad : ads) {
                        deltas.add(ad.delta(module));
                    }
                    float[] zero = dense.needsBase() ? new float[outDim * in] : null;
                    float[] merged = dense.merge(new MergeInput(module, layer, zero, deltas, mp, global, cfg.seed(), null));
                    Lowrank.Factors f = Lowrank.truncatedSvd(merged, outDim, in, rank);
                    a = f.a();
                    b = f.b();
                }
                tensors.put(first.storedName(module, true), a);
                shapes.put(first.storedName(module, true), new long[] {rank, in});
                tensors.put(first.storedName(module, false), b);
                shapes.put(first.storedName(module, false), new long[] {outDim, rank});
                options.progress().advance(1);
            }
            options.progress().finish();
            ObjectNode config = first.config().deepCopy();
            config.put("r", rank);
            config.put("lora_alpha", rank);
            config.put("use_rslora", false);
            config.putNull("modules_to_save");
            config.put("task_type", "FEATURE_EXTRACTION");
            writeAdapter(out, config, tensors, shapes, Map.of(), null);
            // each task keeps its head: a complete adapter per input that has one
            for (int i = 0; i < ads.size(); i++) {
                LoraAdapter ad = ads.get(i);
                Map<String, float[]> head = new LinkedHashMap<>();
                Map<String, long[]> headShapes = new LinkedHashMap<>();
                ad.others().forEach((stripped, stored) -> {
                    head.put(stored, ad.weights().readFloats(stored));
                    headShapes.put(stored, ad.weights().shape(stored));
                });
                if (head.isEmpty()) {
                    continue;
                }
                ObjectNode hc = config.deepCopy();
                hc.set("modules_to_save", ad.config().get("modules_to_save"));
                hc.set("task_type", ad.config().get("task_type"));
                Path dir = MergedHeads.directory(out, i, ad.dir());
                Map<String, float[]> all = new LinkedHashMap<>(tensors);
                all.putAll(head);
                Map<String, long[]> allShapes = new LinkedHashMap<>(shapes);
                allShapes.putAll(headShapes);
                writeAdapter(dir, hc, all, allShapes, Map.of(), ad.dir().resolve("graft_task.json"));
            }
            Map<String, Path> inputs = new LinkedHashMap<>();
            if (options.hashInputs()) {
                for (int i = 0; i < ads.size(); i++) {
                    inputs.put("adapter" + i, ads.get(i).dir().resolve("adapter_model.safetensors"));
                }
            }
            Map<String, Object> pc = new LinkedHashMap<>();
            pc.put("merge", new com.fasterxml.jackson.dataformat.yaml.YAMLMapper().readTree(cfg.toYaml()));
            pc.put("rank", rank);
            Provenance.write(out, Provenance.create("merged-adapter", first.config().path("base_model_name_or_path").asText(""),
                    null, inputs, pc, cfg.seed(), Map.of("modules", first.modules().size())));
            long bytes = tensors.values().stream().mapToLong(t -> t.length * 4L).sum();
            return new Merger.Result(out, tensors.size(), bytes, 1, "adapter");
        } catch (IOException e) {
            throw new GraftException(out + ": cannot write the merged adapter (" + e.getMessage() + ")", e);
        } finally {
            ads.forEach(LoraAdapter::close);
        }
    }

    private static void check(List<LoraAdapter> ads) {
        List<String> diffs = new ArrayList<>();
        LoraAdapter ref = ads.get(0);
        for (LoraAdapter a : ads.subList(1, ads.size())) {
            String who = a.dir() + " vs " + ref.dir();
            String bm = a.config().path("base_model_name_or_path").asText("");
            String rbm = ref.config().path("base_model_name_or_path").asText("");
            if (!bm.equals(rbm)) {
                diffs.add(who + ": base_model_name_or_path '" + bm + "' != '" + rbm + "'");
            }
            if (!a.modules().equals(ref.modules())) {
                TreeSet<String> diff = new TreeSet<>(a.modules());
                diff.removeAll(ref.modules());
                TreeSet<String> missing = new TreeSet<>(ref.modules());
                missing.removeAll(a.modules());
                diffs.add(who + ": adapted modules differ (" + diff.size() + " extra, " + missing.size() + " missing, e.g. "
                        + (diff.isEmpty() ? missing.first() : diff.first()) + ")");
                continue;
            }
            for (String m : ref.modules()) {
                if (a.aShape(m)[1] != ref.aShape(m)[1] || a.bShape(m)[0] != ref.bShape(m)[0]) {
                    diffs.add(who + ": module " + m + " adapts a " + a.bShape(m)[0] + "x" + a.aShape(m)[1] + " weight, not "
                            + ref.bShape(m)[0] + "x" + ref.aShape(m)[1]);
                    break;
                }
            }
        }
        if (!diffs.isEmpty()) {
            throw new GraftException("cannot merge adapters that differ: " + String.join("; ", diffs));
        }
    }

    private static void writeAdapter(Path dir, ObjectNode config, Map<String, float[]> tensors, Map<String, long[]> shapes,
                                     Map<String, String> meta, Path taskFile) throws IOException {
        Files.createDirectories(dir);
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt").metadata(meta);
        tensors.forEach((k, v) -> w.addFloats(k, shapes.get(k), v));
        w.write(dir.resolve("adapter_model.safetensors"));
        Merger.writeText(dir.resolve("adapter_config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config));
        if (taskFile != null && Files.isRegularFile(taskFile)) {
            Files.copy(taskFile, dir.resolve("graft_task.json"));
        }
    }
}
