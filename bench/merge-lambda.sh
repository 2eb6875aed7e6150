#!/usr/bin/env bash
# Scaling factor chosen on the dev sets, as the TIES and task-arithmetic papers do: for task_arithmetic, ties and
# dare_ties, merges the fine-tuned models of bench/merge-eval.sh (run it first) at each λ of a grid, picks the λ with the
# best mean normalised accuracy on the three dev sets, and reports that λ's test accuracy (rows "<method> (λ dev)").
# Usage: bench/merge-lambda.sh [--out bench/out/merge-eval] [--model all-minilm-l6-v2] [--grid 0.3,0.5,0.7,1.0,1.3]
set -euo pipefail
cd "$(dirname "$0")/.."
model=all-minilm-l6-v2; out=bench/out/merge-eval; grid=0.3,0.5,0.7,1.0,1.3; tasks=manpages,fortunes,langid
while [ $# -gt 0 ]; do case "$1" in --model) model=$2; shift 2;; --out) out=$2; shift 2;; --grid) grid=$2; shift 2;;
  *) echo "unknown option $1" >&2; exit 2;; esac; done
[ -f "$out/results-own.jsonl" ] || { echo "run bench/merge-eval.sh --out $out first" >&2; exit 2; }
g() { ./graft --threads 2 "$@"; }
acc() { g eval --model "$1" --adapter "$2" --data "$out/data/$3/$4.csv" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['metrics']['accuracy'])"; }
results="$out/results-lambda.jsonl"; : > "$results"; sweep="$out/lambda-sweep.jsonl"; : > "$sweep"
# the own models' dev accuracy normalises the dev scores
declare -A own_dev
for kind in lora full; do for t in ${tasks//,/ }; do own_dev[$kind-$t]=$(acc "$model" "$out/$kind-$t" "$t" dev); done; done
params() { case "$1" in task_arithmetic) echo "lambda: $2";; ties) echo "density: 0.2, lambda: $2";; dare_ties) echo "density: 0.5, lambda: $2";; esac; }
for kind in lora full; do
  for method in task_arithmetic ties dare_ties; do
    best=""; best_score=-1
    for lambda in ${grid//,/ }; do
      cfg="$out/sweep-$kind-$method-$lambda.yml"; dst="$out/sweep-$kind-$method-$lambda"; rm -rf "$dst"
      { echo "models:"; for t in ${tasks//,/ }; do [ "$kind" = full ] && echo "  - model: hf-$t" || echo "  - model: lora-$t"; done
        [ "$kind" = full ] && echo "base_model: base"
        if [ "$kind" = full ]; then echo "parameters: {$(params $method $lambda)}"; else echo "parameters: {rank: 8, $(params $method $lambda)}"; fi
        echo "merge_method: $method"; echo "seed: 1"; } > "$cfg"
      g merge --config "$cfg" --output "$dst" --no-input-hashes >/dev/null
      i=0; score=0
      for t in ${tasks//,/ }; do
        if [ "$kind" = full ]; then a=$(acc "$dst" "$dst/heads/$i-hf-$t" "$t" dev); else a=$(acc "$model" "$dst/heads/$i-lora-$t" "$t" dev); fi
        score=$(python3 -c "print($score + $a / ${own_dev[$kind-$t]} / 3)"); i=$((i + 1))
      done
      echo "{\"kind\":\"$kind\",\"method\":\"$method\",\"lambda\":$lambda,\"dev_normalised\":$score}" | tee -a "$sweep"
      if python3 -c "import sys; sys.exit(0 if $score > $best_score else 1)"; then best=$lambda; best_score=$score; fi
      [ "$lambda" = "$best" ] || rm -rf "$dst"
    done
    dst="$out/sweep-$kind-$method-$best"; i=0
    for t in ${tasks//,/ }; do
      if [ "$kind" = full ]; then a=$(acc "$dst" "$dst/heads/$i-hf-$t" "$t" test); else a=$(acc "$model" "$dst/heads/$i-lora-$t" "$t" test); fi
      echo "{\"kind\":\"$kind\",\"method\":\"$method (λ $best from dev)\",\"task\":\"$t\",\"accuracy\":$a}" | tee -a "$results"
      i=$((i + 1))
    done
  done
done
python3 bench/merge_table.py "$out" | tee "$out/merge-eval.md"
