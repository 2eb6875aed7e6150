#!/usr/bin/env bash
# Embedding throughput: graft (PyTorch engine), graft-ort (Graft's ONNX Runtime engine, --engine onnxruntime) vs
# ONNX Runtime (same ONNX file, same tokenizer, same threads) vs langchain4j's embedAll,
# on two sets of 2,000 real fortune quotes: a hash-ordered sample, and a shuffled draw across all categories whose long
# tail (up to ~2,400 characters) is cut at --max-length tokens. Graft batches by a token budget (at most --batch texts
# and --max-batch-tokens padded tokens per batch); ONNX Runtime keeps fixed length-sorted batches of --batch texts.
# Each system runs in its own JVM, interleaved over rounds; ratios are per round; peak RSS from /usr/bin/time.
#
# Usage: bench/embed-throughput.sh [--rounds 3] [--batch 32] [--threads 2] [--max-length 256]
#          [--budgets default,none,512,2048] [--sets hash,shuffled] [--systems graft,graft-ort,ort,langchain4j]
#   --budgets  graft's --max-batch-tokens values, each run as its own system (graft@N) to choose the default by
#              measurement; 'none' = batches of --batch texts regardless of length (Graft before token budgets).
#              'default' = Graft's default (reported as graft). Default: the default budget only.
# Needs root once to apt-get the data. Set MVN_FLAGS=-o to build offline.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3; batch=32; threads=2; maxlen=256; budgets=default; sets=hash,shuffled; systems=graft,graft-ort,ort,langchain4j
while [ $# -gt 0 ]; do case "$1" in
  --rounds) rounds=$2; shift 2;; --batch) batch=$2; shift 2;; --threads) threads=$2; shift 2;;
  --max-length) maxlen=$2; shift 2;; --budgets) budgets=$2; shift 2;; --sets) sets=$2; shift 2;;
  --systems) systems=$2; shift 2;;
  *) echo "unknown option $1" >&2; exit 2;; esac; done
bash bench/install-data.sh
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }
mkdir -p bench/data/embed bench/out
python3 bench/embed_texts.py
# package, not install: the bench module reads graft-core from the reactor
mvn -q -B ${MVN_FLAGS:-} -Pbench -pl core,bench -am package -DskipTests
cp="bench/target/graft-bench.jar:$(cat bench/target/classpath.txt)"
runs=()  # "label system budget"
IFS=, read -ra wanted <<< "$systems"
for s in "${wanted[@]}"; do
  case "$s" in
    graft) IFS=, read -ra bs <<< "$budgets"
           for b in "${bs[@]}"; do
             if [ "$b" = default ]; then runs+=("graft graft default"); else runs+=("graft@$b graft $b"); fi
           done;;
    graft-ort|ort|langchain4j) runs+=("$s $s -");;
    *) echo "unknown system $s (expected graft, graft-ort, ort, langchain4j)" >&2; exit 2;;
  esac
done
results=bench/out/embed-throughput.jsonl; : > "$results"
IFS=, read -ra setlist <<< "$sets"
for r in $(seq 1 "$rounds"); do
  for set in "${setlist[@]}"; do
    case "$set" in hash) file=bench/data/embed/texts.txt;; shuffled) file=bench/data/embed/texts-shuffled.txt;;
      *) echo "unknown set $set (expected hash, shuffled)" >&2; exit 2;; esac
    for run in "${runs[@]}"; do
      read -r label system budget <<< "$run"
      extra=(); [ "$budget" = - ] || [ "$budget" = default ] || extra=(--max-batch-tokens "$budget")
      /usr/bin/time -f '{"max_rss_kb": %M}' -o bench/out/time.json java -Xmx2g -Dai.djl.offline=true -cp "$cp" dev.graft.bench.EmbedBench \
        --system "$system" --texts "$file" --batch "$batch" --threads "$threads" --max-length "$maxlen" "${extra[@]}" \
        --dump "bench/out/vectors-$set-$label.txt" 2>bench/out/embed-bench.err | tail -1 > bench/out/line.json \
        || { echo "bench: $label on $set failed:" >&2; tail -5 bench/out/embed-bench.err >&2; exit 1; }
      python3 -c "import json; a=json.load(open('bench/out/line.json')); a.update(json.load(open('bench/out/time.json'))); a.update(round=$r, set='$set', label='$label'); print(json.dumps(a))" >> "$results"
      tail -1 "$results"
    done
  done
done
python3 - "$results" "$rounds" <<'PY'
import datetime, json, os, statistics, subprocess, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
sets = list(dict.fromkeys(r["set"] for r in rows))
labels = list(dict.fromkeys(r["label"] for r in rows))
def by(s, l): return [r for r in rows if r["set"] == s and r["label"] == l]
def med(s, l, k): return statistics.median(x[k] for x in by(s, l))
def ratio(s, a, b):
    per_round = [x["texts_per_s"] / y["texts_per_s"] for x, y in zip(by(s, a), by(s, b))]
    return statistics.median(per_round), min(per_round), max(per_round)
def load(f): return [list(map(float, l.split())) for l in open(f)]
cos = lambda a, b: sum(x * y for x, y in zip(a, b))
cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
mem = next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal"))
java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
r0 = rows[0]
out = [f"Machine: {len(os.sched_getaffinity(0))} cores, {cpu}, {int(mem)//1024} MiB RAM, {java}; {datetime.date.today()}",
       f"2,000 fortune quotes per set, all-minilm-l6-v2, batch {r0['batch']} (graft: at most; ONNX Runtime: exactly), "
       f"{r0['threads']} threads, max length {r0['max_length']} tokens, {sys.argv[2]} interleaved rounds (medians; ratios per round).",
       "Sets: hash = hash-ordered sample; shuffled = shuffled across all categories, long tail cut at the max length."]
graft_labels = [l for l in labels if l.startswith("graft")]
budget_labels = [l for l in graft_labels if l != "graft-ort"]  # the PyTorch path's budgets
for s in sets:
    out += ["", f"### {s}", "", "| system | max batch tokens | texts/s | peak RSS (MiB) | / ONNX Runtime (per-round range) | / langchain4j |",
            "|---|---|---|---|---|---|"]
    def rel(l, peer, bold):
        if peer not in labels or l == peer:
            return ""
        m, lo, hi = ratio(s, l, peer)
        return (f"**{m:.2f}x**" if bold else f"{m:.2f}x") + f" ({lo:.2f}-{hi:.2f})"
    for l in labels:
        b = by(s, l)[0].get("max_batch_tokens")
        budget = "-" if not l.startswith("graft") else (str(b) if b is not None else "none (count only)")
        out.append(f"| {l} | {budget} | {med(s, l, 'texts_per_s'):.1f} | {med(s, l, 'max_rss_kb') / 1024:.0f} | "
                   f"{rel(l, 'ort', True)} | {rel(l, 'langchain4j', False)} |")
    if "ort" in labels:
        o = load(f"bench/out/vectors-{s}-ort.txt")
        agree = ", ".join(f"{l} {min(cos(a, b) for a, b in zip(load(f'bench/out/vectors-{s}-{l}.txt'), o)):.6f}" for l in graft_labels)
        out.append(f"\nMin cosine to ONNX Runtime over the set: {agree}")
if len(budget_labels) > 1:
    # the default budget should be good on every set: compare budgets by their geometric-mean throughput over the sets
    score = {l: [statistics.median(x['texts_per_s'] for x in by(s, l)) for s in sets] for l in budget_labels}
    best = {s: max(budget_labels, key=lambda l: score[l][i]) for i, s in enumerate(sets)}
    geo = {l: statistics.geometric_mean(v) for l, v in score.items()}
    out.append("\nBudgets: fastest per set " + ", ".join(f"{s}: {b}" for s, b in best.items())
               + "; fastest by geometric mean over the sets: " + max(geo, key=geo.get))
open("bench/out/embed-throughput.md", "w").write("\n".join(out) + "\n")
print("\n".join(out))
PY
