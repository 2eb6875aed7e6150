#!/usr/bin/env bash
# Default flags against the data's potential: for each task, training size and model, `graft tune` with DEFAULT flags
# (no --epochs, no --eval: the budget, holdout and learning rate are Graft's own) for each method, at the method's
# default learning rate and at the multipliers given (the sweep that chooses the defaults), and a converged L-BFGS
# logistic-regression probe (scikit-learn) on the same frozen features (`graft features`, standardised) as the
# reference; the multiplier `auto` runs `graft tune --auto` instead (the search the defaults are judged against).
# Reports test accuracy, % of the probe, updates run and the update of the best holdout score.
# Usage: bench/tune-defaults.sh [--models all-minilm-l6-v2,bge-small-en-v1.5] [--tasks manpages,fortunes,langid,packages]
#                               [--sizes 100,1000,all] [--methods head,lora,adapter,full] [--lr-multipliers 1,0.333,auto]
#                               [--max-per-class 400] [--max-length 64] [--threads 2] [--out bench/out/tune-defaults]
set -euo pipefail
cd "$(dirname "$0")/.."
models=all-minilm-l6-v2,bge-small-en-v1.5; tasks=manpages,fortunes,langid,packages; sizes=100,1000,all
methods=head,lora,adapter,full; multipliers=1; max_per_class=400; max_length=64; threads=2; out=bench/out/tune-defaults
while [ $# -gt 0 ]; do case "$1" in
  --models) models=$2; shift 2;; --tasks) tasks=$2; shift 2;; --sizes) sizes=$2; shift 2;; --methods) methods=$2; shift 2;;
  --lr-multipliers) multipliers=$2; shift 2;; --max-per-class) max_per_class=$2; shift 2;; --max-length) max_length=$2; shift 2;;
  --threads) threads=$2; shift 2;; --out) out=$2; shift 2;; *) echo "unknown option $1" >&2; exit 2;; esac; done
mkdir -p "$out"
bash bench/install-data.sh
/usr/bin/python3 -c "import sklearn" 2>/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-sklearn >/dev/null
python3 bench/make-tasks.py --tasks "$tasks" --max-per-class "$max_per_class" --out "$out/data" >&2
results="$out/results.jsonl"; touch "$results"
done_before() { grep -qF "\"key\": \"$1\"" "$results"; }   # reruns skip what is already measured
for task in ${tasks//,/ }; do
  for size in ${sizes//,/ }; do
    data="$out/data/$task"; train="$data/train.csv"
    if [ "$size" != all ]; then # a stratified sample of the training file, the same for every model and method
      train="$out/data/$task/train-$size.csv"
      [ -s "$train" ] || python3 - "$data/train.csv" "$size" "$train" <<'PY'
import csv, random, sys, collections
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8"))); n = int(sys.argv[2])
by = collections.defaultdict(list)
for r in rows: by[r["label"]].append(r)
rng = random.Random(7); take = []
per = max(1, n // len(by))
for label in sorted(by): rng.shuffle(by[label]); take += by[label][:per]
rng.shuffle(take)
w = csv.DictWriter(open(sys.argv[3], "w", newline="", encoding="utf-8"), fieldnames=["text", "label"]); w.writeheader(); w.writerows(take[:max(n, len(by))])
PY
    fi
    for model in ${models//,/ }; do
      key="$task/$size/$model/probe"
      if ! done_before "$key"; then
        ./graft --quiet features --model "$model" --data "$train" --max-length "$max_length" --output "$out/f-train.npy" >/dev/null
        ./graft --quiet features --model "$model" --data "$data/test.csv" --max-length "$max_length" --output "$out/f-test.npy" >/dev/null
        /usr/bin/python3 bench/tune_defaults_probe.py "$out/f-train.npy" "$train" "$out/f-test.npy" "$data/test.csv" "$key" >> "$results"
      fi
      for method in ${methods//,/ }; do
        for mult in ${multipliers//,/ }; do
          key="$task/$size/$model/$method/x$mult"
          done_before "$key" && continue
          dir="$out/runs/${key//\//-}"; rm -rf "$dir"
          lr=()
          if [ "$mult" = auto ]; then # graft tune --auto: the search the defaults are judged against
            lr=(--auto)
          elif [ "$mult" != 1 ]; then
            base=$(./graft methods --json 2>/dev/null | python3 -c "import json,sys; print([m for m in json.load(sys.stdin) if m['name']=='$method'][0]['default_learning_rate'])")
            lr=(--lr "$(python3 -c "print($base * $mult)")")
          fi
          start=$(date +%s.%N)
          if ./graft --quiet --threads "$threads" tune --model "$model" --train "$train" --method "$method" "${lr[@]}" \
               --max-length "$max_length" --json --output "$dir" > "$out/tune.json" 2> "$out/tune.err"; then
            ./graft --quiet eval --adapter "$dir" --data "$data/test.csv" --json > "$out/eval.json"
            python3 - "$key" "$out/tune.json" "$out/eval.json" "$start" >> "$results" <<'PY'
import json, sys, time
key, t, e, start = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3])), float(sys.argv[4])
print(json.dumps({"key": key, "test_accuracy": e["metrics"]["accuracy"], "updates": t.get("updates"),
                  "best_step": t.get("best_step"), "budget": t.get("budget"), "selection": t.get("selection"),
                  "probe": t.get("linear_probe"), "search": t.get("search"), "seconds": round(time.time() - start, 1)}))
PY
          else
            echo "bench: $key failed: $(tail -1 "$out/tune.err")" >&2
          fi
          tail -1 "$results" >&2
        done
      done
    done
  done
done
python3 bench/tune_defaults_table.py "$results"
