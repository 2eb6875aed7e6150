#!/usr/bin/env bash
# Scaling factor chosen on the dev sets, as the TIES and task-arithmetic papers do: for task_arithmetic, ties and
# dare_ties, merges the fine-tuned models of bench/merge-eval.sh (run it first) at each λ of a grid, picks the λ with the
# best mean normalised accuracy on the three dev sets, and reports that λ's test accuracy (rows "<method> (λ dev)").
# --densities D,D,... also sweeps TIES' and DARE-TIES' density (rows "<method> (density d, λ l from dev)", written to
# results-density.jsonl); --kinds and --methods restrict the sweep.
# Usage: bench/merge-lambda.sh [--out bench/out/merge-eval] [--model all-minilm-l6-v2] [--grid 0.3,0.5,0.7,1.0,1.3]
#                              [--densities 0.2,0.5,0.8] [--kinds lora,full] [--methods task_arithmetic,ties,dare_ties]
set -euo pipefail
cd "$(dirname "$0")/.."
model=all-minilm-l6-v2; out=bench/out/merge-eval; grid=0.3,0.5,0.7,1.0,1.3; tasks=manpages,fortunes,langid
densities=""; kinds=lora,full; methods=task_arithmetic,ties,dare_ties
while [ $# -gt 0 ]; do case "$1" in --model) model=$2; shift 2;; --out) out=$2; shift 2;; --grid) grid=$2; shift 2;;
  --densities) densities=$2; shift 2;; --kinds) kinds=$2; shift 2;; --methods) methods=$2; shift 2;;
  *) echo "unknown option $1" >&2; exit 2;; esac; done
[ -f "$out/results-own.jsonl" ] || { echo "run bench/merge-eval.sh --out $out first" >&2; exit 2; }
g() { ./graft --threads 2 "$@"; }
acc() { g eval --model "$1" --adapter "$2" --data "$out/data/$3/$4.csv" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['metrics']['accuracy'])"; }
if [ -n "$densities" ]; then results="$out/results-density.jsonl"; sweep="$out/density-sweep.jsonl"
else results="$out/results-lambda.jsonl"; sweep="$out/lambda-sweep.jsonl"; fi
: > "$results"; : > "$sweep"
# the own models' dev accuracy normalises the dev scores
declare -A own_dev
for kind in ${kinds//,/ }; do for t in ${tasks//,/ }; do own_dev[$kind-$t]=$(acc "$model" "$out/$kind-$t" "$t" dev); done; done
params() { case "$1" in task_arithmetic) echo "lambda: $2";; ties) echo "density: ${3:-0.2}, lambda: $2";; dare_ties) echo "density: ${3:-0.5}, lambda: $2, normalize: true";; esac; }
for kind in ${kinds//,/ }; do
  for method in ${methods//,/ }; do
    best=""; best_score=-1
    ds="${densities:-default}"; [ "$method" = task_arithmetic ] && ds=default
    for density in ${ds//,/ }; do
    d=""; [ "$density" = default ] || d=$density
    for lambda in ${grid//,/ }; do
      point="$lambda${d:+-d$d}"
      cfg="$out/sweep-$kind-$method-$point.yml"; dst="$out/sweep-$kind-$method-$point"; rm -rf "$dst"
      { echo "models:"; for t in ${tasks//,/ }; do [ "$kind" = full ] && echo "  - model: hf-$t" || echo "  - model: lora-$t"; done
        [ "$kind" = full ] && echo "base_model: base"
        if [ "$kind" = full ]; then echo "parameters: {$(params $method $lambda $d)}"; else echo "parameters: {rank: 8, $(params $method $lambda $d)}"; fi
        echo "merge_method: $method"; echo "seed: 1"; } > "$cfg"
      g merge --config "$cfg" --output "$dst" --no-input-hashes >/dev/null
      i=0; score=0
      for t in ${tasks//,/ }; do
        if [ "$kind" = full ]; then a=$(acc "$dst" "$dst/heads/$i-hf-$t" "$t" dev); else a=$(acc "$model" "$dst/heads/$i-lora-$t" "$t" dev); fi
        score=$(python3 -c "print($score + $a / ${own_dev[$kind-$t]} / 3)"); i=$((i + 1))
      done
      echo "{\"kind\":\"$kind\",\"method\":\"$method\",\"lambda\":$lambda,\"density\":\"$density\",\"dev_normalised\":$score}" | tee -a "$sweep"
      if python3 -c "import sys; sys.exit(0 if $score > $best_score else 1)"; then best=$point; best_score=$score; fi
      [ "$point" = "$best" ] || rm -rf "$dst"
    done
    done
    dst="$out/sweep-$kind-$method-$best"; i=0
    label="λ ${best%%-d*}"; [[ $best == *-d* ]] && label="density ${best##*-d}, $label"
    for t in ${tasks//,/ }; do
      if [ "$kind" = full ]; then a=$(acc "$dst" "$dst/heads/$i-hf-$t" "$t" test); else a=$(acc "$model" "$dst/heads/$i-lora-$t" "$t" test); fi
      echo "{\"kind\":\"$kind\",\"method\":\"$method ($label from dev)\",\"task\":\"$t\",\"accuracy\":$a}" | tee -a "$results"
      i=$((i + 1))
    done
  done
done
python3 bench/merge_table.py "$out" | tee "$out/merge-eval.md"
