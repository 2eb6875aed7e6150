package dev.graft.merge;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.io.AtomicDirectory;
import dev.graft.io.AtomicFiles;
import dev.graft.io.Provenance;
import dev.graft.model.EncoderModel;
import dev.graft.train.Example;
import dev.graft.train.TaskModel;
import dev.graft.tune.TaskModelFiles;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * {@code graft atlas}: composes task vectors with aTLAS coefficients learned on a few examples of one or more target
 * tasks, and writes the composed model as a HF directory with each target's head.
 *
 * <p>Output: the HF model (θ₀ + Σ λ τ), {@code heads/<k>-<name>/} (head-only adapters on it, as {@code graft merge}
 * writes them), {@code atlas.json} (the coefficients per task vector and block, the objective per step),
 * {@code atlas.png} (each task vector's mean coefficient per layer) and {@code graft_provenance.json}. Written into a
 * temporary folder beside the target and renamed into place.
 */
public final class AtlasMerge {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One target task: its head (an adapter directory whose head serves the task; only the head is used) and its few
     * examples (labels are ignored by the unsupervised objective).
     */
    public record Target(Path head, List<Example> examples) {
    }

    private AtlasMerge() {
    }

    /**
     * @param base        θ₀ (its encoder is left at the composition)
     * @param taskVectors model or adapter directories fine-tuned from {@code base} (see {@link TaskVectorFiles})
     * @param targets     the tasks the coefficients are learned for
     * @param options     aTLAS' options
     * @param output      the directory to write (must not exist, or be empty)
     * @param inputs      data files by role, recorded with their SHA-256 in the provenance
     * @param progress    receives each step
     */
    public static Atlas.Result run(EncoderModel base, List<Path> taskVectors, List<Target> targets, Atlas.Options options,
                                   Path output, Map<String, Path> inputs, dev.graft.runtime.Progress progress) {
        Path target = AtomicDirectory.checkTarget(output);
        List<Map<String, float[]>> tvs = new ArrayList<>();
        for (Path d : taskVectors) {
            tvs.add(TaskVectorFiles.read(base, d));
        }
        List<TaskModel> heads = new ArrayList<>();
        try {
            for (Target t : targets) {
                heads.add(TaskModelFiles.loadHead(base, t.head()));
            }
            Atlas atlas = new Atlas(heads, tvs);
            Atlas.Result result = atlas.learnAll(targets.stream().map(Target::examples).toList(), options, progress);
            write(base, taskVectors, targets, heads, options, result, target, inputs);
            return result;
        } finally {
            heads.forEach(TaskModel::close);
        }
    }

    private static void write(EncoderModel base, List<Path> taskVectors, List<Target> targets, List<TaskModel> heads,
                              Atlas.Options options, Atlas.Result result, Path target, Map<String, Path> inputs) {
        AtomicDirectory.write(target, tmp -> {
            base.saveAsHuggingFace(tmp);
            for (int k = 0; k < heads.size(); k++) {
                Path h = targets.get(k).head();
                TaskModelFiles.save(heads.get(k), MergedHeads.directory(tmp, k, h), MergedHeads.BACKBONE);
            }
            ObjectNode report = JSON.createObjectNode();
            report.put("method", "atlas");
            report.put("reference", "https://arxiv.org/abs/2407.02880");
            ArrayNode tv = report.putArray("task_vectors");
            taskVectors.forEach(p -> tv.add(p.toAbsolutePath().normalize().toString()));
            ArrayNode hs = report.putArray("targets");
            targets.forEach(t -> hs.addObject().put("head", t.head().toAbsolutePath().normalize().toString())
                    .put("examples", t.examples().size()));
            report.set("options", JSON.valueToTree(options));
            report.set("blocks", JSON.valueToTree(result.blocks()));
            report.set("coefficients", JSON.valueToTree(result.lambdas()));
            report.set("objective", JSON.valueToTree(result.losses()));
            AtomicFiles.write(tmp.resolve("atlas.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(report));
            plot(tmp.resolve("atlas.png"), taskVectors, result);
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("task_vectors", tv);
            config.put("targets", hs);
            config.put("options", options);
            Provenance.write(tmp, Provenance.create("atlas", base.info().id(), base.weightsSha256(), inputs, config,
                    options.seed(), Map.of("objective_first", result.losses().get(0),
                            "objective_last", result.losses().get(result.losses().size() - 1))));
            return null;
        });
    }

    /** Each task vector's mean coefficient over the blocks of each layer (embeddings at −1, the rest after the last). */
    private static void plot(Path png, List<Path> taskVectors, Atlas.Result r) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int last = r.blocks().stream().mapToInt(Merger::layerOf).max().orElse(-1);
        XYChart chart = new XYChartBuilder().width(800).height(450).title("aTLAS coefficients")
                .xAxisTitle("layer (-1: embeddings, " + (last + 1) + ": after the layers)").yAxisTitle("mean λ").build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        for (int t = 0; t < taskVectors.size(); t++) {
            Map<Integer, double[]> byLayer = new TreeMap<>(); // layer -> {sum, count}
            for (int b = 0; b < r.blocks().size(); b++) {
                String name = r.blocks().get(b);
                int layer = Merger.layerOf(name);
                int x = layer >= 0 ? layer : name.contains("embed") ? -1 : last + 1;
                double[] acc = byLayer.computeIfAbsent(x, k -> new double[2]);
                acc[0] += r.lambdas()[t][b];
                acc[1]++;
            }
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            byLayer.forEach((x, acc) -> {
                xs.add((double) x);
                ys.add(acc[0] / acc[1]);
            });
            String label = t + ": " + taskVectors.get(t).toAbsolutePath().normalize().getFileName();
            chart.addSeries(label, xs, ys).setMarker(SeriesMarkers.CIRCLE);
        }
        AtomicFiles.write(png, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
    }
}
