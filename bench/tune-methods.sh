#!/usr/bin/env bash
# Fine-tuning benchmark: every method on real tasks (man-page sections, fortune categories) for the given models.
# Reports trainable parameters, test accuracy and macro-F1, training examples/s, peak RSS and adapter size, plus the
# machine's fp32 matmul peak measured in the same run and LoRA's achieved training FLOP/s as a fraction of it.
# Usage: bench/tune-methods.sh [--models all-minilm-l6-v2,bge-small-en-v1.5] [--tasks manpages,fortunes]
#                              [--methods lora,full,bitfit,ia3,adapter,parallel-adapter,prefix,prompt,lst,lst-nocache] [--train-per-class 250] [--epochs 3] [--out bench/out/tune]
set -euo pipefail
cd "$(dirname "$0")/.."
models=all-minilm-l6-v2,bge-small-en-v1.5; tasks=manpages,fortunes; methods=lora,full,bitfit,ia3,adapter,parallel-adapter,prefix,prompt,lst,lst-nocache
per_class=250; epochs=3; out=bench/out/tune
while [ $# -gt 0 ]; do case "$1" in
  --models) models=$2; shift 2;; --tasks) tasks=$2; shift 2;; --methods) methods=$2; shift 2;;
  --train-per-class) per_class=$2; shift 2;; --epochs) epochs=$2; shift 2;; --out) out=$2; shift 2;; *) echo "unknown option $1" >&2; exit 2;; esac; done
rm -rf "$out"; mkdir -p "$out"
bash bench/install-data.sh
command -v /usr/bin/time >/dev/null || apt-get install -y -qq time >/dev/null
# cap each class (train) so a run takes minutes on 2 cores; dev/test keep a tenth of that per class
python3 bench/make-tasks.py --tasks "$tasks" --max-per-class $((per_class * 10 / 8)) --out "$out/data" >/dev/null
mvn -q -B -Pbench -DskipTests install
cp="bench/target/graft-bench.jar:$(cat bench/target/classpath.txt)"
peak=$(java -Dai.djl.offline=true -cp "$cp" dev.graft.bench.MatmulPeak --threads 2 | tail -1)
echo "$peak" > "$out/matmul.json"; echo "bench: $peak"
results="$out/results.jsonl"; : > "$results"
for task in ${tasks//,/ }; do
  for model in ${models//,/ }; do
    for method in ${methods//,/ }; do
      dir="$out/$task-$model-$method"
      # lst-nocache: LST without its activation cache (the least memory; the cache trades memory for speed)
      extra=(); m=$method; [ "$method" = lst-nocache ] && { m=lst; extra=(--option cache_activations=false); }
      /usr/bin/time -f '{"max_rss_kb": %M}' -o "$out/time.json" ./graft --threads 2 tune --model "$model" \
        --train "$out/data/$task/train.csv" --eval "$out/data/$task/dev.csv" --method "$m" "${extra[@]}" \
        --epochs "$epochs" --max-length 64 --batch-size 16 --json --output "$dir" > "$out/tune.json" 2> "$dir.err" \
        || { echo "bench: $task $model $method failed: $(tr "\r" "\n" < "$dir.err" | grep -v "^training" | tail -1)" >&2; continue; }
      ./graft eval --model "$model" --adapter "$dir" --data "$out/data/$task/test.csv" --json > "$out/eval.json"
      python3 - "$task" "$model" "$method" "$out" >> "$results" <<'PY'
import json, sys
task, model, method, out = sys.argv[1:]
t = json.load(open(f"{out}/tune.json")); e = json.load(open(f"{out}/eval.json")); r = json.load(open(f"{out}/time.json"))
print(json.dumps({"task": task, "model": model, "method": method, "trainable": t["trainable_parameters"],
  "trainable_percent": t["trainable_percent"], "test_accuracy": e["metrics"]["accuracy"], "test_macro_f1": e["metrics"]["macro_f1"],
  "examples_per_s": t["examples_per_second"], "seconds": t["seconds"], "adapter_bytes": t["adapter_bytes"],
  "max_rss_kb": r["max_rss_kb"], "updates": t["updates"], "tokens_per_s": t["tokens_per_second"],
  "layer_parameters": t["layer_parameters"]}))
PY
      tail -1 "$results"
    done
  done
done
python3 - "$results" "$out/matmul.json" "$epochs" "$per_class" <<'PY' | tee "$out/tune-methods.md"
import json, sys, subprocess, datetime
rows = [json.loads(l) for l in open(sys.argv[1])]
peak = json.load(open(sys.argv[2]))
cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
print(f"Machine: {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores, {cpu}; {datetime.date.today()}. "
      f"{sys.argv[3]} epochs, up to {sys.argv[4]} training examples per class, max length 64, batch 16, 2 threads.")
print(f"fp32 matmul peak measured in this run: {peak['gflops']:.1f} GFLOP/s ({peak['n']}x{peak['n']} sgemm).\n")
print("| task | model | method | trainable | % | test acc | macro-F1 | train ex/s | peak RSS MiB | adapter |")
print("|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    size = r["adapter_bytes"]
    size = f"{size/2**20:.1f} MiB" if size >= 2**20 else f"{size/1024:.0f} KiB"
    print(f"| {r['task']} | {r['model']} | {r['method']} | {r['trainable']:,} | {r['trainable_percent']:.2f} | {r['test_accuracy']:.4f} | "
          f"{r['test_macro_f1']:.4f} | {r['examples_per_s']:.1f} | {r['max_rss_kb']/1024:.0f} | {size} |")
print()
for task in sorted({r["task"] for r in rows}):
    for model in sorted({r["model"] for r in rows}):
        by = {r["method"]: r for r in rows if r["task"] == task and r["model"] == model}
        if "lora" in by and "full" in by:
            l, f = by["lora"], by["full"]
            print(f"- {task} / {model}: LoRA - full accuracy {100*(l['test_accuracy']-f['test_accuracy']):+.2f} points with "
                  f"{l['trainable_percent']:.2f}% trainable; LoRA/full training throughput {l['examples_per_s']/f['examples_per_s']:.2f}x; "
                  f"peak RSS LoRA/full {l['max_rss_kb']/f['max_rss_kb']:.2f}")
        if "lst" in by and "full" in by:
            s, f = by["lst"], by["full"]
            print(f"- {task} / {model}: peak RSS LST/full {s['max_rss_kb']/f['max_rss_kb']:.2f}; LST - full accuracy "
                  f"{100*(s['test_accuracy']-f['test_accuracy']):+.2f} points; LST/full training throughput {s['examples_per_s']/f['examples_per_s']:.2f}x")
for r in rows:
    if r["method"] == "lora":
        # frozen backbone: forward (2 FLOPs per weight per token) + backward to the activations (2 more); no weight
        # gradients for frozen layers. Counts real tokens only, so padding and attention's T² terms make it a lower bound.
        achieved = 4 * r["layer_parameters"] * r["tokens_per_s"] / 1e9
        print(f"- LoRA training on {r['model']} ({r['task']}): {r['tokens_per_s']:.0f} tokens/s, about {achieved:.1f} GFLOP/s = "
              f"{100 * achieved / peak['gflops']:.1f}% of the measured fp32 matmul peak")
PY
