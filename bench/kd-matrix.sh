#!/usr/bin/env bash
# The Fantastic Gains matrix (issue 15, benchmark 2; Roth et al., ICLR 2024): every ordered pair of models fine-tuned
# on one task, teacher -> student, plain knowledge distillation vs data-partitioned distillation (KL-Dist + DP:
# `--partition confidence`, the student keeps its own distribution where it was more confident). Each student starts
# from its own fine-tuned LoRA (`--student-adapter`) and learns from the training texts with `--label-weight 0` (the
# teacher or its own original self as the only target, as in the paper). Reports each pair's transfer delta (test
# accuracy after − before) and the share of pairs with a positive delta.
# Usage: bench/kd-matrix.sh [--models all-minilm-l6-v2,bge-small-en,bge-small-en-v1.5,e5-small-v2,bge-small-zh]
#                           [--task manpages] [--size 1000] [--threads 2] [--out bench/out/kd-matrix]
set -euo pipefail
cd "$(dirname "$0")/.."
models=all-minilm-l6-v2,bge-small-en,bge-small-en-v1.5,e5-small-v2,bge-small-zh; task=manpages; size=1000; threads=2
out=bench/out/kd-matrix
while [ $# -gt 0 ]; do case "$1" in
  --models) models=$2; shift 2;; --task) task=$2; shift 2;; --size) size=$2; shift 2;; --threads) threads=$2; shift 2;;
  --out) out=$2; shift 2;; *) echo "unknown option $1" >&2; exit 2;; esac; done
mkdir -p "$out"
bash bench/install-data.sh
python3 bench/make-tasks.py --tasks "$task" --max-per-class 400 --out "$out/data" >&2
d="$out/data/$task"; train="$out/train-$size.csv"
[ -s "$train" ] || python3 -c "
import csv, random, sys
rows = list(csv.DictReader(open('$d/train.csv', encoding='utf-8'))); random.Random(7).shuffle(rows)
w = csv.DictWriter(open('$train', 'w', newline='', encoding='utf-8'), fieldnames=['text', 'label']); w.writeheader()
w.writerows({'text': r['text'], 'label': r['label']} for r in rows[:$size])"
results="$out/results.jsonl"; touch "$results"
g() { ./graft --quiet --threads "$threads" "$@"; }
acc() { g eval --adapter "$1" --data "$d/test.csv" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['metrics']['accuracy'])"; }
done_before() { grep -qF "\"key\": \"$1\"" "$results"; }
for m in ${models//,/ }; do
  [ -f "$out/ft-$m/adapter_config.json" ] || g tune --model "$m" --train "$train" --output "$out/ft-$m" >/dev/null
  done_before "ft/$m" || echo "{\"key\": \"ft/$m\", \"test_accuracy\": $(acc "$out/ft-$m")}" >> "$results"
done
for t in ${models//,/ }; do
  for s in ${models//,/ }; do
    [ "$t" = "$s" ] && continue
    for p in none confidence; do
      key="kd/$t/$s/$p"; done_before "$key" && continue
      dd="$out/kd-$t-$s-$p"; rm -rf "$dd"
      g distill --teacher "$out/ft-$t" --model "$s" --student-adapter "$out/ft-$s" --train "$train" --label-weight 0 \
        --partition "$p" --output "$dd" >/dev/null
      echo "{\"key\": \"$key\", \"test_accuracy\": $(acc "$dd")}" >> "$results"; tail -1 "$results" >&2
    done
  done
done
python3 - "$results" <<'PY'
import json, sys
r = {}
for l in open(sys.argv[1]):
    x = json.loads(l); r[x["key"]] = x["test_accuracy"]
pairs = sorted({tuple(k.split("/")[1:3]) for k in r if k.startswith("kd/")})
print("| teacher | student | student before | KD delta | KD + DP delta |")
print("|---|---|---|---|---|")
pos = {"none": 0, "confidence": 0}; n = 0
for t, s in pairs:
    before = r[f"ft/{s}"]; row = [t, s, f"{100*before:.1f}%"]
    for p in ("none", "confidence"):
        a = r.get(f"kd/{t}/{s}/{p}")
        row.append("" if a is None else f"{100*(a-before):+.1f}")
        if a is not None: pos[p] += a > before
    n += 1
    print("| " + " | ".join(row) + " |")
print(f"\npositive transfer: KD {pos['none']}/{n} pairs, KD + DP {pos['confidence']}/{n} pairs")
PY
