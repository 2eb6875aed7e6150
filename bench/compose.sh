#!/usr/bin/env bash
# Composition benchmark (issue "Compose"): two-stage transfer from a library of bottleneck adapters.
# Trains one bottleneck adapter per task on all its (capped) training data: the library. Then each task in turn is the
# target, with 100, 500 and all training examples (a stratified subsample, fixed seed), and is trained as a
# single-task adapter, with AdapterFusion, with each ScaLearn variant, and with MHR-mu (average init), all using the
# OTHER tasks' adapters as sources: the target task's own full-data adapter is excluded, since a low-resource target
# would not have one. Reports test accuracy and transfer parameters (combination parameters, head excluded).
# Usage: bench/compose.sh [--sizes 100,500,all] [--model all-minilm-l6-v2] [--tasks fortunes,manpages,langid]
#                         [--cap 1000] [--epochs 3] [--methods adapter,fusion,scalearn,...] [--out bench/out/compose]
#   --cap: most training examples per task ("all" and the sources), so that the default run fits ~25 min on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=100,500,all; model=all-minilm-l6-v2; tasks=fortunes,manpages,langid; cap=1000; epochs=3
methods=adapter,fusion,scalearn,scalearn-uniform,scalearn++,scalearn-uniform++,average; out=bench/out/compose
while [ $# -gt 0 ]; do case "$1" in
  --sizes) sizes=$2; shift 2;; --model) model=$2; shift 2;; --tasks) tasks=$2; shift 2;; --cap) cap=$2; shift 2;;
  --epochs) epochs=$2; shift 2;; --methods) methods=$2; shift 2;; --out) out=$2; shift 2;;
  *) echo "unknown option $1" >&2; exit 2;; esac; done
rm -rf "$out"; mkdir -p "$out/runs" "$out/sources"
bash bench/install-data.sh
python3 bench/make-tasks.py --tasks "$tasks" --out "$out/data" >/dev/null
# stratified subsamples (fixed seed): train-all (capped at --cap), train-<n> for each size; test capped at cap/4
python3 - "$out/data" "$tasks" "$sizes" "$cap" <<'PY'
import csv, random, sys, os
from collections import defaultdict
root, tasks, sizes, cap = sys.argv[1], sys.argv[2].split(","), sys.argv[3].split(","), int(sys.argv[4])
def read(p):
    with open(p, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))
def stratified(rows, n, seed):
    if n >= len(rows):
        return list(rows)
    by = defaultdict(list)
    for r in rows:
        by[r["label"]].append(r)
    rng = random.Random(seed)
    for v in by.values():
        rng.shuffle(v)
    # proportional allocation, at least one per class, largest remainders first
    quota = {l: max(1, int(n * len(v) / len(rows))) for l, v in by.items()}
    rest = sorted(by, key=lambda l: -(n * len(by[l]) / len(rows) - int(n * len(by[l]) / len(rows))))
    i = 0
    while sum(quota.values()) < n and i < 10 * len(rest):
        l = rest[i % len(rest)]
        if quota[l] < len(by[l]):
            quota[l] += 1
        i += 1
    out = [r for l, v in by.items() for r in v[:quota[l]]]
    rng.shuffle(out)
    return out
def write(p, rows):
    with open(p, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["text", "label"]); w.writeheader(); w.writerows(rows)
for t in tasks:
    d = os.path.join(root, t)
    full = stratified(read(os.path.join(d, "train.csv")), cap, 7)
    write(os.path.join(d, "train-all.csv"), full)
    write(os.path.join(d, "test-capped.csv"), stratified(read(os.path.join(d, "test.csv")), max(50, cap // 4), 7))
    for s in sizes:
        if s != "all":
            write(os.path.join(d, f"train-{s}.csv"), stratified(full, int(s), 11))
    print(f"{t}: {len(full)} training examples, {len(set(r['label'] for r in full))} classes", file=sys.stderr)
PY
common=(--model "$model" --epochs "$epochs" --max-length 64 --batch-size 16 --json)
results="$out/results.jsonl"; : > "$results"
# 1. the library: one bottleneck adapter per task on all its (capped) training data
for task in ${tasks//,/ }; do
  ./graft --threads 2 tune "${common[@]}" --train "$out/data/$task/train-all.csv" --method adapter \
    --output "$out/sources/$task" > "$out/sources-$task.json" 2> "$out/sources-$task.err" \
    || { echo "bench: source adapter for $task failed: $(tail -1 "$out/sources-$task.err")" >&2; exit 1; }
  echo "bench: source adapter $task trained" >&2
done
# 2. every task as target, every size, every method
for task in ${tasks//,/ }; do
  srcs=""; for s in ${tasks//,/ }; do [ "$s" = "$task" ] || srcs="${srcs:+$srcs,}$out/sources/$s"; done
  for size in ${sizes//,/ }; do
    for method in ${methods//,/ }; do
      dir="$out/runs/$task-$size-$method"
      if [ "$method" = adapter ]; then
        cmd=(tune --method adapter)
      else
        [ -n "$srcs" ] || { echo "bench: $task: no other task to take sources from" >&2; continue; }
        cmd=(fuse --sources "$srcs" --method "$method")
      fi
      ./graft --threads 2 "${cmd[@]}" "${common[@]}" --train "$out/data/$task/train-$size.csv" --output "$dir" \
        > "$out/tune.json" 2> "$dir.err" \
        || { echo "bench: $task $size $method failed: $(tr "\r" "\n" < "$dir.err" | grep -v "^training" | tail -1)" >&2; continue; }
      ./graft --threads 2 eval --model "$model" --adapter "$dir" --data "$out/data/$task/test-capped.csv" --json > "$out/eval.json"
      python3 - "$task" "$size" "$method" "$out" >> "$results" <<'PY'
import json, sys
task, size, method, out = sys.argv[1:]
t = json.load(open(f"{out}/tune.json")); e = json.load(open(f"{out}/eval.json"))
n = sum(1 for _ in open(f"{out}/data/{task}/train-{size}.csv", encoding="utf-8")) - 1
# transfer parameters: what the target trains besides its head (the single-task adapter's own weights)
print(json.dumps({"task": task, "size": size, "examples": n, "method": method, "transfer": t["method_parameters"],
                  "trainable": t["trainable_parameters"], "test_accuracy": e["metrics"]["accuracy"],
                  "test_macro_f1": e["metrics"]["macro_f1"], "seconds": t["seconds"]}))
PY
      tail -1 "$results" >&2
    done
  done
done
python3 - "$results" "$model" "$epochs" "$cap" <<'PY' | tee "$out/compose.md"
import json, sys, subprocess, datetime
rows = [json.loads(l) for l in open(sys.argv[1])]
cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
print(f"Machine: {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores, {cpu}; {datetime.date.today()}. "
      f"Model {sys.argv[2]}, {sys.argv[3]} epochs, max length 64, batch 16, 2 threads; 'all' = up to {sys.argv[4]} examples. "
      "Sources: the other tasks' bottleneck adapters (pfeiffer, H/16), trained on all their examples; the target's own is excluded.\n")
methods = list(dict.fromkeys(r["method"] for r in rows))
print("| task | train examples | " + " | ".join(methods) + " |")
print("|---|---|" + "---|" * len(methods))
for (task, size) in dict.fromkeys((r["task"], r["size"]) for r in rows):
    by = {r["method"]: r for r in rows if r["task"] == task and r["size"] == size}
    n = next(iter(by.values()))["examples"]
    print(f"| {task} | {n} | " + " | ".join(f"{by[m]['test_accuracy']:.4f}" if m in by else "-" for m in methods) + " |")
print("\nTest accuracy. Transfer parameters (trained besides the task head):\n")
print("| task | " + " | ".join(methods) + " |")
print("|---|" + "---|" * len(methods))
for task in dict.fromkeys(r["task"] for r in rows):
    by = {r["method"]: r for r in rows if r["task"] == task}
    print(f"| {task} | " + " | ".join(f"{by[m]['transfer']:,}" if m in by else "-" for m in methods) + " |")
f = [r for r in rows if r["method"] == "fusion"]
for m in methods:
    if m.startswith("scalearn") and f:
        s = next(r for r in rows if r["method"] == m)
        fu = next(r for r in f if r["task"] == s["task"])
        print(f"- {m}: {100 * s['transfer'] / fu['transfer']:.3f}% of AdapterFusion's transfer parameters ({s['task']})")
for m in [m for m in methods if m.startswith("scalearn")]:
    wins = [(r["task"], r["size"]) for r in rows if r["method"] == m and r["size"] != "all"
            and any(a["method"] == "adapter" and a["task"] == r["task"] and a["size"] == r["size"] and r["test_accuracy"] >= a["test_accuracy"] for a in rows)]
    total = sum(1 for r in rows if r["method"] == m and r["size"] != "all")
    if total:
        print(f"- {m} >= single-task adapter at 100/500 examples in {len(wins)} of {total} cases")
PY
