package dev.graft.cli;

import dev.graft.GraftException;
import dev.graft.merge.Atlas;
import dev.graft.merge.AtlasMerge;
import dev.graft.model.EncoderModel;
import dev.graft.train.Example;
import dev.graft.train.ExampleFiles;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "atlas", mixinStandardHelpOptions = true,
        description = "Compose task vectors with learned anisotropic scaling (aTLAS): one coefficient per task vector and"
                + " weight tensor, learned on a few examples of each target task through its head; writes the composed"
                + " model with each target's head.",
        footer = {"", "Task vectors: fine-tuned HF model directories (e.g. graft export --merge of a full fine-tune), full"
                + " fine-tuning adapters, or LoRA adapters, all from --model. Heads: any adapter with graft_task.json and a"
                + " classifier (only its head is used): a fine-tune of the task, a merged model's heads/<i>-<task>, or a"
                + " linear probe (graft tune --method head).",
            "", "Examples:",
            "  graft atlas --model all-minilm-l6-v2 --task-vectors hf-topics,hf-sentiment --train few-spam.csv"
                + " --heads spam-probe --output atlas-spam",
            "  graft atlas --model ./base --task-vectors hf-a,hf-b,hf-c --train a-dev.csv,b-dev.csv,c-dev.csv"
                + " --heads merged/heads/0-hf-a,merged/heads/1-hf-b,merged/heads/2-hf-c --output atlas-abc",
            "  graft predict --adapter atlas-spam/heads/0-spam-probe --input new.csv --output spam.jsonl"})
final class AtlasCommand implements Runnable {
    @Option(names = "--model", required = true, paramLabel = "ID|DIR", description = "The base model the task vectors were fine-tuned from.")
    String model;

    @Option(names = "--task-vectors", required = true, split = ",", paramLabel = "DIR", description = "Fine-tuned models or adapters, comma-separated.")
    List<Path> taskVectors;

    @Option(names = "--train", required = true, split = ",", paramLabel = "FILE", description = "Each target task's few examples (csv, tsv or jsonl), comma-separated.")
    List<Path> train;

    @Option(names = "--heads", required = true, split = ",", paramLabel = "DIR", description = "Each target task's head, in the order of --train.")
    List<Path> heads;

    @Option(names = "--unsupervised", description = "Minimise the prediction entropy instead of the cross-entropy (labels unused).")
    boolean unsupervised;

    @Option(names = "--steps", defaultValue = "100", description = "Adam steps. Default: ${DEFAULT-VALUE}.")
    int steps;

    @Option(names = "--lr", defaultValue = "0.05", description = "Learning rate of the coefficients. Default: ${DEFAULT-VALUE}.")
    double lr;

    @Option(names = "--batch-size", defaultValue = "16", description = "Examples per target per step. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(names = "--init", defaultValue = "0.3", description = "Every coefficient's start (0: the base). Default: ${DEFAULT-VALUE}.")
    double init;

    @Option(names = "--max-length", description = "Token limit (default: each head's own).")
    Integer maxLength;

    @Option(names = "--max-examples", description = "Use at most this many examples per target (the first ones).")
    Integer maxExamples;

    @Option(names = "--seed", defaultValue = "1", description = "Batch sampling seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Where to write the composed model.")
    Path output;

    @Mixin
    DataOptions columns = new DataOptions();

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        if (train.size() != heads.size()) {
            throw new GraftException("--heads: expected one head per --train file (" + train.size() + "), got " + heads.size());
        }
        List<AtlasMerge.Target> targets = new ArrayList<>();
        Map<String, Path> inputs = new LinkedHashMap<>();
        for (int k = 0; k < train.size(); k++) {
            List<Example> ex = ExampleFiles.read(train.get(k), columns.textColumn, columns.pairColumn, columns.labelColumn, !unsupervised);
            if (maxExamples != null && ex.size() > maxExamples) {
                ex = ex.subList(0, maxExamples);
            }
            targets.add(new AtlasMerge.Target(heads.get(k), ex));
            inputs.put("train_" + k, train.get(k));
        }
        Atlas.Options o = new Atlas.Options(steps, lr, !unsupervised, batchSize, maxLength != null ? maxLength : 0, init, seed);
        try (EncoderModel base = EncoderModel.load(model)) {
            Atlas.Result r = AtlasMerge.run(base, taskVectors, targets, o, output, inputs, new ConsoleProgress(0));
            PrintWriter out = spec.commandLine().getOut();
            out.printf("learned %d coefficients (%d task vectors x %d tensors) in %d steps; objective %.4f -> %.4f; wrote %s%n",
                    r.lambdas().length * r.blocks().size(), r.lambdas().length, r.blocks().size(), steps,
                    r.losses().get(0), r.losses().get(r.losses().size() - 1), output);
        }
    }
}
