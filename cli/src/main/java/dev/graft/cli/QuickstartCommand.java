package dev.graft.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.graft.GraftException;
import dev.graft.model.BundledModels;
import dev.graft.model.EncoderModel;
import dev.graft.peft.AdapterFiles;
import dev.graft.peft.PeftMethod;
import dev.graft.peft.PeftMethods;
import dev.graft.train.Evaluator;
import dev.graft.train.Example;
import dev.graft.train.ExampleFiles;
import dev.graft.train.LabelSpace;
import dev.graft.train.Task;
import dev.graft.train.TaskModel;
import dev.graft.train.Trainer;
import dev.graft.train.TrainingConfig;
import dev.graft.train.TrainingResult;
import dev.graft.tune.ProbeHead;
import dev.graft.tune.ProbeReport;
import dev.graft.tune.TaskModelFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The demo: LoRA on the default bundled model with a small support-ticket dataset that ships in the jar
 * (300 hand-written messages, 5 classes); trains on 80%, evaluates on the held-out 20%.
 */
@Command(name = "quickstart", description = "Fine-tune LoRA on a small built-in dataset and show the result (a minute or two on a laptop CPU).",
        footer = {"", "Examples:", "  graft quickstart", "  graft quickstart --output my-first-adapter --json"})
final class QuickstartCommand implements Callable<Integer> {
    static final String DATA = "/dev/graft/cli/quickstart/support-tickets.csv";

    @Option(names = "--output", paramLabel = "DIR", description = "Where to write the adapter (default: a new temporary folder).")
    Path output;

    @Option(names = "--epochs", defaultValue = "4")
    int epochs;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        Path work = Files.createTempDirectory("graft-quickstart");
        Path csv = work.resolve("support-tickets.csv");
        try (InputStream in = QuickstartCommand.class.getResourceAsStream(DATA)) {
            if (in == null) {
                throw new GraftException("the quickstart dataset " + DATA + " is missing from the jar");
            }
            Files.copy(in, csv, StandardCopyOption.REPLACE_EXISTING);
        }
        List<Example> all = ExampleFiles.read(csv, "text", "text_pair", "label", true);
        List<Example> train = new ArrayList<>();
        List<Example> test = new ArrayList<>();
        // every 5th message of each class is held out: a stratified 80/20 split, the same on every run
        Map<String, Integer> seen = new LinkedHashMap<>();
        for (Example e : all) {
            int k = seen.merge(e.label(), 1, Integer::sum);
            (k % 5 == 0 ? test : train).add(e);
        }
        Path adapterDir = output != null ? output : work.resolve("adapter");
        if (!json) {
            out.printf("Graft quickstart: LoRA on %s, %d support tickets in %d classes (%d train / %d held out)%n",
                    BundledModels.DEFAULT_ID, all.size(), seen.size(), train.size(), test.size());
            out.flush();
        }
        long start = System.nanoTime();
        try (EncoderModel base = EncoderModel.load(BundledModels.DEFAULT_ID)) {
            PeftMethod lora = PeftMethods.byName("lora");
            ObjectNode cfg = lora.resolveConfig(base.encoder(), Output.JSON.createObjectNode());
            LabelSpace labels = LabelSpace.fromTraining(Task.CLASSIFICATION, train);
            TrainingConfig config = TrainingConfig.builder().epochs(epochs).learningRate(2e-3).batchSize(16)
                    .maxLength(64).build();
            try (TaskModel model = new TaskModel(base, lora, cfg, labels, base.defaultPooling(), 42)) {
                Map<String, Double> before = Evaluator.evaluate(model, test, 64, 64);
                // LP-FT, as graft tune does: the head starts as a well-fit linear probe; LoRA must beat it
                Trainer trainer = new Trainer(model, config, adapterDir, new ConsoleProgress(1));
                ProbeReport probe = ProbeHead.defaults().fit(model, train, 16, false);
                Map<String, Double> probed = Evaluator.evaluate(model, test, 64, 64);
                TrainingResult r = trainer.startsFitted(probe.trainLoss()).train(train, test, false);
                TaskModelFiles.save(model, adapterDir);
                double seconds = (System.nanoTime() - start) / 1e9;
                long bytes = Files.size(adapterDir.resolve(AdapterFiles.WEIGHTS));
                Map<String, Object> summary = new LinkedHashMap<>();
                summary.put("model", BundledModels.DEFAULT_ID);
                summary.put("method", "lora");
                summary.put("accuracy_before", before.get("accuracy"));
                summary.put("accuracy_linear_probe", probed.get("accuracy"));
                summary.put("metrics", r.finalMetrics());
                summary.put("trainable_parameters", model.trainableCount());
                summary.put("adapter_bytes", bytes);
                summary.put("adapter", adapterDir.toString());
                summary.put("seconds", seconds);
                if (json) {
                    Output.json(out, summary);
                } else {
                    double after = r.finalMetrics().get("accuracy");
                    out.printf(Locale.ROOT, "accuracy on held-out tickets: %.1f%% untrained head, %.1f%% linear probe, %.1f%% after LoRA"
                            + " (%+.1f points over the probe; macro-F1 %.3f)%n", 100 * before.get("accuracy"),
                            100 * probed.get("accuracy"), 100 * after, 100 * (after - probed.get("accuracy")),
                            r.finalMetrics().get("macro_f1"));
                    out.printf(Locale.ROOT, "trained %s parameters (%.2f%% of the model); adapter %s at %s%n",
                            Output.count(model.trainableCount()), 100.0 * model.trainableCount() / base.info().parameters(),
                            Output.bytes(bytes), adapterDir);
                    out.printf(Locale.ROOT, "total time %.1f s. Next: graft predict --model %s --adapter %s --input your.csv --output out.jsonl%n",
                            seconds, BundledModels.DEFAULT_ID, adapterDir);
                }
            }
        }
        return 0;
    }
}
