#!/usr/bin/env bash
# Model ranking validated by fine-tuning: on each real task (man-page sections, fortune categories), ranks every bundled
# model with every estimator, fine-tunes each model with the same LoRA budget, and reports Kendall tau, weighted tau and
# top-1 hit per estimator. Then times a full `rank` of all bundled models on 5,000 fortune texts (max length 128; features extracted
# afresh) and reports the estimators' share of the time.
# Usage: bench/rank-validate.sh [--tasks manpages,fortunes] [--train-per-class 250] [--epochs 2] [--timing-texts 5000]
#                               [--no-validate] [--out bench/out/rank]
#   --no-validate: keep the per-task results already in --out (e.g. from runs with different --train-per-class) and
#                  only time and report.
set -euo pipefail
cd "$(dirname "$0")/.."
tasks=manpages,fortunes; per_class=250; epochs=2; timing=5000; out=bench/out/rank; validate=1
while [ $# -gt 0 ]; do case "$1" in
  --tasks) tasks=$2; shift 2;; --train-per-class) per_class=$2; shift 2;; --epochs) epochs=$2; shift 2;;
  --timing-texts) timing=$2; shift 2;; --no-validate) validate=0; shift;; --out) out=$2; shift 2;; *) echo "unknown option $1" >&2; exit 2;; esac; done
mkdir -p "$out"
bash bench/install-data.sh
for task in ${tasks//,/ }; do
  [ "$validate" = 1 ] || continue
  python3 bench/make-tasks.py --tasks "$task" --max-per-class $((per_class * 10 / 8)) --out "$out/data" >/dev/null
  echo "{\"train_per_class\": $per_class, \"epochs\": $epochs}" > "$out/$task.meta.json"
  echo "bench: ranking and fine-tuning on $task" >&2
  ./graft --threads 2 rank --models all --data "$out/data/$task/train.csv" --validate "$out/data/$task/test.csv" \
    --validate-epochs "$epochs" --max-length 64 --plot "$out/$task.png" --validate-output "$out/adapters-$task" --json > "$out/$task.json"
done
if [ "$timing" -gt 0 ]; then
  python3 bench/make-tasks.py --tasks fortunes --out "$out/data-all" >/dev/null
  echo "bench: timing rank of all models on $timing fortune texts (fresh features)" >&2
  ./graft --threads 2 rank --models all --data "$out/data-all/fortunes/train.csv" --sample "$timing" --max-length 128 --no-cache --json > "$out/timing.json"
fi
python3 - "$out" "$tasks" <<'PY' | tee "$out/rank-validate.md"
import json, sys, os, subprocess, datetime
out, tasks = sys.argv[1], sys.argv[2].split(",")
cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
print(f"Machine: {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores, {cpu}; {datetime.date.today()}. "
      f"Fine-tuning: LoRA r 8 (query, value), default learning rate, max length 64; accuracy on the task's test split.\n")
for task in tasks:
    r = json.load(open(f"{out}/{task}.json"))
    meta = json.load(open(f"{out}/{task}.meta.json"))
    models = [c for c in r["candidates"] if "layer" not in c]
    print(f"### {task}: {r['examples']} training examples (up to {meta['train_per_class']} per class), {r['classes']} classes, "
          f"{meta['epochs']} epochs\n")
    print("| model | fine-tuned accuracy | " + " | ".join(f"{m}" for m in r["validation"]) + " |")
    print("|---|---|" + "---|" * len(r["validation"]))
    for c in sorted(models, key=lambda c: -c["fine_tuned_accuracy"]):
        print(f"| {c['model']} | {c['fine_tuned_accuracy']:.4f} | " + " | ".join(f"{c['scores'][m]:.4g}" for m in r["validation"]) + " |")
    print("\n| estimator | Kendall τ | weighted τ | top-1 |")
    print("|---|---|---|---|")
    for m, v in r["validation"].items():
        print(f"| {m} | {v['kendall_tau']:.3f} | {v['weighted_tau']:.3f} | {'yes' if v['top1'] else 'no'} |")
    print()
if os.path.exists(f"{out}/timing.json"):
    t = json.load(open(f"{out}/timing.json"))
    est, feat = t["estimator_seconds"], t["feature_seconds"]
    print(f"### Timing: all {sum(1 for c in t['candidates'] if 'layer' not in c)} bundled models, {t['examples']} fortune texts, {len(t['metric_seconds'])} estimators\n")
    print(f"Feature extraction (model loading included) {feat:.1f} s; estimators {est:.2f} s = **{100*est/(est+feat):.1f}%** of the total.\n")
    print("| estimator | seconds (all models) |")
    print("|---|---|")
    for m, s in sorted(t["metric_seconds"].items(), key=lambda kv: -kv[1]):
        print(f"| {m} | {s:.3f} |")
PY
