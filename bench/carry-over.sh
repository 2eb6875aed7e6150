#!/usr/bin/env bash
# Carry an adaptation from bge-small-en to bge-small-en-v1.5 (issue 15, benchmark 1), default flags throughout.
# For each task: a LoRA trained with labels on the source base A, then on base B = bge-small-en-v1.5:
#   (a) no transfer: a linear-probe head on the few seed examples only
#   (b) training-free: graft carry (the adapter applied to B unchanged), with its agreement check
#   (c) distillation without labels from A+adapter: on the task's own texts (labels removed), and on a mixed pool of
#       unrelated Debian text filtered by seeds (Trans-LoRA's discriminator)
#   (d) B fine-tuned with all labels (the reference)
# and for negative flips (benchmark 4): B trained with the labels and the source as teacher, plain and focal.
# and the negative control: the same adapter carried to e5-small-v2 (same shapes and tokenizer, another lineage).
# Reports test accuracy, % of (d), and the negative flip rate against the source model (graft compare).
# Usage: bench/carry-over.sh [--tasks packages,manpages] [--size 1000] [--seeds-per-class 5] [--threads 2]
#                            [--out bench/out/carry-over]
set -euo pipefail
cd "$(dirname "$0")/.."
tasks=packages,manpages; size=1000; seeds_per_class=5; threads=2; out=bench/out/carry-over
source_model=bge-small-en; target_model=bge-small-en-v1.5; control_model=e5-small-v2
while [ $# -gt 0 ]; do case "$1" in
  --tasks) tasks=$2; shift 2;; --size) size=$2; shift 2;; --seeds-per-class) seeds_per_class=$2; shift 2;;
  --threads) threads=$2; shift 2;; --out) out=$2; shift 2;; *) echo "unknown option $1" >&2; exit 2;; esac; done
mkdir -p "$out"
bash bench/install-data.sh
python3 bench/make-tasks.py --tasks manpages,fortunes,packages --max-per-class 400 --out "$out/data" >&2
results="$out/results.jsonl"; touch "$results"
g() { ./graft --quiet --threads "$threads" "$@"; }
compact() { python3 -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1]))))" "$1"; }
done_before() { grep -qF "\"key\": \"$1\"" "$results"; }
record() { # key, adapter dir, test file, [extra json]
  local acc nfr
  acc=$(g eval --adapter "$2" --data "$3" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['metrics']['accuracy'])")
  nfr=$(g compare --old "$src" --new "$2" --data "$3" --engine pytorch --show-flips 0 --json \
        | python3 -c "import json,sys; print(json.load(sys.stdin)['nfr'])")
  echo "{\"key\": \"$1\", \"test_accuracy\": $acc, \"nfr_vs_source\": $nfr${4:+, $4}}" >> "$results"
  tail -1 "$results" >&2
}
for task in ${tasks//,/ }; do
  d="$out/data/$task"; w="$out/$task"; mkdir -p "$w"
  python3 - "$d/train.csv" "$size" "$seeds_per_class" "$w" "$out/data" "$task" <<'PY'
import csv, random, sys, collections, glob, os
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8"))); n = int(sys.argv[2]); k = int(sys.argv[3]); w = sys.argv[4]
rng = random.Random(7); rng.shuffle(rows)
train, rest = rows[:n], rows[n:]
by = collections.defaultdict(list)
for r in train: by[r["label"]].append(r)
seeds = [r for label in sorted(by) for r in by[label][:k]]
def write(name, rs, fields=("text", "label")):
    with open(os.path.join(w, name), "w", newline="", encoding="utf-8") as f:
        c = csv.DictWriter(f, fieldnames=list(fields), extrasaction="ignore"); c.writeheader(); c.writerows(rs)
write("train.csv", train); write("seeds.csv", seeds)
write("texts.csv", train, ("text",))                      # the task's own texts, labels removed
# the pool: the task's other texts (unlabelled) mixed with 3x as many texts of the other Debian tasks
others = []
for t in sorted(os.listdir(sys.argv[5])):
    if t != sys.argv[6] and os.path.exists(os.path.join(sys.argv[5], t, "train.csv")):
        others += list(csv.DictReader(open(os.path.join(sys.argv[5], t, "train.csv"), encoding="utf-8")))
rng.shuffle(others)
pool = rest[:n] + others[:3 * n]; rng.shuffle(pool)
write("pool.csv", pool, ("text",))
PY
  src="$w/source-lora"; [ -f "$src/adapter_config.json" ] || g tune --model "$source_model" --train "$w/train.csv" --output "$src" >/dev/null
  key="$task/source"; done_before "$key" || { acc=$(g eval --adapter "$src" --data "$d/test.csv" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['metrics']['accuracy'])"); echo "{\"key\": \"$key\", \"test_accuracy\": $acc}" >> "$results"; }
  key="$task/d-labels"; dd="$w/d-labels"
  done_before "$key" || { [ -f "$dd/adapter_config.json" ] || g tune --model "$target_model" --train "$w/train.csv" --output "$dd" >/dev/null; record "$key" "$dd" "$d/test.csv"; }
  key="$task/a-seeds-head"; dd="$w/a-seeds-head"
  done_before "$key" || { [ -f "$dd/adapter_config.json" ] || g tune --model "$target_model" --method head --train "$w/seeds.csv" --output "$dd" >/dev/null; record "$key" "$dd" "$d/test.csv"; }
  key="$task/b-carry"; dd="$w/b-carry"
  done_before "$key" || { rm -rf "$dd"; g carry --adapter "$src" --to "$target_model" --texts "$w/texts.csv" --json --output "$dd" > "$w/carry.json"
    record "$key" "$dd" "$d/test.csv" "\"check\": $(compact "$w/carry.json")"; }
  key="$task/c-distill-texts"; dd="$w/c-distill-texts"
  done_before "$key" || { rm -rf "$dd"; g distill --teacher "$src" --model "$target_model" --unlabeled "$w/texts.csv" --output "$dd" >/dev/null; record "$key" "$dd" "$d/test.csv"; }
  key="$task/c-distill-filtered-pool"; dd="$w/c-distill-pool"
  done_before "$key" || { rm -rf "$dd"; g distill --teacher "$src" --model "$target_model" --filter-pool "$w/pool.csv" --seeds "$w/seeds.csv" --keep "$size" --output "$dd" > "$w/pool.log"; record "$key" "$dd" "$d/test.csv"; }
  # negative flips (benchmark 4): the carried model trained with the labels and the source as teacher, without and with
  # focal distillation (positive-congruent training, weight 1 + beta on the examples the source gets right)
  key="$task/nfr-distill-labels"; dd="$w/nfr-plain"
  done_before "$key" || { rm -rf "$dd"; g distill --teacher "$src" --model "$target_model" --train "$w/train.csv" --output "$dd" >/dev/null; record "$key" "$dd" "$d/test.csv"; }
  key="$task/nfr-distill-labels-focal"; dd="$w/nfr-focal"
  done_before "$key" || { rm -rf "$dd"; g distill --teacher "$src" --model "$target_model" --train "$w/train.csv" --focal-beta 5 --output "$dd" >/dev/null; record "$key" "$dd" "$d/test.csv"; }
  key="$task/control-carry-e5"; dd="$w/control-e5"
  done_before "$key" || { rm -rf "$dd"; g carry --adapter "$src" --to "$control_model" --texts "$w/texts.csv" --json --output "$dd" > "$w/control.json" || true
    if [ -f "$dd/adapter_config.json" ]; then record "$key" "$dd" "$d/test.csv" "\"check\": $(compact "$w/control.json")"; else echo "{\"key\": \"$key\", \"refused\": true}" >> "$results"; fi; }
done
python3 - "$results" <<'PY'
import json, sys
rows = {}
for l in open(sys.argv[1]):
    r = json.loads(l); rows[r["key"]] = r
tasks = sorted({k.split("/")[0] for k in rows})
print("| task | variant | test accuracy | % of (d) | NFR vs source | agreement check |")
print("|---|---|---|---|---|---|")
for t in tasks:
    ref = rows.get(t + "/d-labels", {}).get("test_accuracy")
    for k, r in rows.items():
        if not k.startswith(t + "/"): continue
        acc = r.get("test_accuracy"); check = r.get("check") or {}
        pct = f"{100 * acc / ref:.1f}%" if acc is not None and ref else ""
        nfr = f"{100 * r['nfr_vs_source']:.1f}%" if r.get("nfr_vs_source") is not None else ""
        agree = check.get("agreement") or {}
        shown = f"{agree['agreement']:.3f} of {agree['texts']} texts{' (warned)' if check.get('warning') else ''}" if agree else ""
        print(f"| {t} | {k.split('/', 1)[1]} | {'' if acc is None else f'{100 * acc:.1f}%'} | {pct} | {nfr} | {shown} |")
PY
