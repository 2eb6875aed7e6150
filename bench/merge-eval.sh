#!/usr/bin/env bash
# Merge evaluation: fine-tunes one base model on three real tasks (man-page sections, fortune categories, language of
# a fortune), with LoRA and with full fine-tuning, merges the three with every method, and reports each task's test
# accuracy with the merged backbone + that task's own head, normalised by the task's own fine-tuned model.
# Usage: bench/merge-eval.sh [--model all-minilm-l6-v2] [--train-per-class 250] [--epochs 3] [--out bench/out/merge-eval]
#                            [--stage all|tune|merge]
# --stage tune fine-tunes (and exports, and estimates Fishers) only; --stage merge reuses those outputs and merges.
set -euo pipefail
cd "$(dirname "$0")/.."
model=all-minilm-l6-v2; per_class=250; epochs=3; out=bench/out/merge-eval; tasks=manpages,fortunes,langid; stage=all
while [ $# -gt 0 ]; do case "$1" in --model) model=$2; shift 2;; --train-per-class) per_class=$2; shift 2;;
  --epochs) epochs=$2; shift 2;; --out) out=$2; shift 2;; --stage) stage=$2; shift 2;;
  *) echo "unknown option $1" >&2; exit 2;; esac; done
g() { ./graft --threads 2 "$@"; }
acc() { g eval --model "$1" --adapter "$2" --data "$out/data/$3/test.csv" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['metrics']['accuracy'])"; }
record() { echo "{\"kind\":\"$1\",\"method\":\"$2\",\"task\":\"$3\",\"accuracy\":$4}" | tee -a "$results"; }
if [ "$stage" != merge ]; then
rm -rf "$out"; mkdir -p "$out"
bash bench/install-data.sh
python3 bench/make-tasks.py --tasks "$tasks" --max-per-class $((per_class * 10 / 8)) --out "$out/data" >/dev/null
results="$out/results-own.jsonl"; : > "$results"
g convert --model "$model" --output "$out/base" >/dev/null
for kind in lora full; do
  for task in ${tasks//,/ }; do
    g tune --model "$model" --train "$out/data/$task/train.csv" --eval "$out/data/$task/dev.csv" --method "$kind" \
      --epochs "$epochs" --max-length 64 --batch-size 16 --output "$out/$kind-$task" >/dev/null 2>"$out/$kind-$task.err"
    record "$kind" own "$task" "$(acc "$model" "$out/$kind-$task" "$task")"
  done
done
# Full fine-tuning: each model's Fisher
for task in ${tasks//,/ }; do
  g fisher --model "$model" --adapter "$out/full-$task" --data "$out/data/$task/dev.csv" --max-examples 300 \
    --output "$out/hf-$task.fisher.safetensors" >/dev/null
done
fi
[ "$stage" = tune ] && exit 0
results="$out/results-merge.jsonl"; : > "$results"
# LoRA: every model-merge method on the dense deltas (back to rank 8 by SVD), and PEFT's combinations
lora_methods="linear task_arithmetic ties dare_linear dare_ties magnitude_prune breadcrumbs pcb layer_swap peft_linear peft_cat peft_svd peft_ties peft_dare_ties peft_magnitude_prune"
params() { case "$1" in
  linear) echo "{}";; task_arithmetic) echo "{lambda: 0.5}";; ties|pcb) echo "{density: 0.2, lambda: 1.0}";;
  dare_linear|magnitude_prune) echo "{density: 0.5, lambda: 0.5}";; dare_ties) echo "{density: 0.5, lambda: 1.0, normalize: true}";;
  breadcrumbs) echo "{density: 0.5, gamma: 0.01, lambda: 0.5}";; peft_*) echo "{density: 0.5, rank: 8}";; fisher|layer_swap) echo "{}";; esac; }
# layer swap: model i gives layers [2i, 2i+2) of the 6 (the other tensors come from the base, or the first model)
swap() { [ "$1" = layer_swap ] && echo "    parameters: {layer_start: $(($2 * 2)), layer_end: $(($2 * 2 + 2))}" || true; }
for method in $lora_methods; do
  cfg="$out/lora-$method.yml"
  { echo "models:"; i=0; for t in ${tasks//,/ }; do echo "  - model: lora-$t"; swap "$method" $i; i=$((i + 1)); done
    p=$(params "$method"); [[ $method == peft_* ]] || p="{rank: 8, ${p#\{}"; p="${p/, \}/\}}"
    echo "merge_method: $method"; echo "parameters: $p"; echo "seed: 1"; } > "$cfg"
  g merge --config "$cfg" --output "$out/merged-lora-$method" --no-input-hashes >/dev/null 2>"$out/merged-lora-$method.err" \
    || { echo "lora $method: merge failed: $(tail -1 "$out/merged-lora-$method.err")" >&2; continue; }
  i=0; for task in ${tasks//,/ }; do
    record lora "$method" "$task" "$(acc "$model" "$out/merged-lora-$method/heads/$i-lora-$task" "$task")"; i=$((i + 1))
  done
done
# Full fine-tuning: each model as a HF directory (with its head), merged; each task is served by the merged
# backbone + its own head (merged/heads/<i>-hf-<task>)
for task in ${tasks//,/ }; do
  rm -rf "$out/hf-$task"
  g export --model "$model" --adapter "$out/full-$task" --merge --output "$out/hf-$task" >/dev/null
done
for method in linear task_arithmetic ties dare_linear dare_ties magnitude_prune breadcrumbs pcb fisher layer_swap; do
  cfg="$out/full-$method.yml"
  { echo "models:"; i=0; for t in ${tasks//,/ }; do echo "  - model: hf-$t"; [ "$method" = fisher ] && echo "    fisher: hf-$t.fisher.safetensors"
      swap "$method" $i; i=$((i + 1)); done
    [ "$method" = fisher ] || [ "$method" = linear ] || echo "base_model: base"
    echo "merge_method: $method"; echo "parameters: $(params "$method")"; echo "seed: 1"; } > "$cfg"
  g merge --config "$cfg" --output "$out/merged-full-$method" --no-input-hashes >/dev/null 2>"$out/merged-full-$method.err" \
    || { echo "full $method: merge failed: $(tail -1 "$out/merged-full-$method.err")" >&2; continue; }
  i=0; for task in ${tasks//,/ }; do
    record full "$method" "$task" "$(acc "$out/merged-full-$method" "$out/merged-full-$method/heads/$i-hf-$task" "$task")"
    i=$((i + 1))
  done
done
# aTLAS (task addition): one coefficient per task vector and weight tensor, learned on 100 dev examples of each task
# through the task's own head (the fine-tuned adapter's; only its head is used)
for kind in lora full; do
  tvs=""; heads=""; devs=""
  for t in ${tasks//,/ }; do
    if [ "$kind" = full ]; then tvs+="$out/hf-$t,"; else tvs+="$out/lora-$t,"; fi
    heads+="$out/$kind-$t,"; devs+="$out/data/$t/dev.csv,"
  done
  g atlas --model "$model" --task-vectors "${tvs%,}" --heads "${heads%,}" --train "${devs%,}" --max-examples 100 \
    --steps 100 --max-length 64 --output "$out/atlas-$kind" >/dev/null 2>"$out/atlas-$kind.err" \
    || { echo "$kind atlas failed: $(tail -1 "$out/atlas-$kind.err")" >&2; continue; }
  i=0; for task in ${tasks//,/ }; do
    record "$kind" atlas "$task" "$(acc "$out/atlas-$kind" "$out/atlas-$kind/heads/$i-$kind-$task" "$task")"
    i=$((i + 1))
  done
done
python3 bench/merge_table.py "$out" | tee "$out/merge-eval.md"
