#!/usr/bin/env bash
# int8 against fp32, both exported by graft export --format onnx and run in ONNX Runtime Java (Int8Bench):
#  - per bundled model: throughput on the 2,000 fortune quotes of bench/data/embed/texts.txt (length-sorted batches of
#    --batch texts, --threads intra-op threads), each graph in its own JVM, fp32 and int8 interleaved over rounds;
#    int8/fp32 ratio per round (median, range); peak RSS from /usr/bin/time; cosine of int8 to fp32 over the texts;
#  - accuracy: a head adapter on all-minilm-l6-v2 tuned on the manpages task (bench/make-tasks.py), exported fp32 and
#    int8, test accuracy of each graph's probabilities;
#  - retrieval: recall@10 of all-minilm-l6-v2 fp32 vs int8 on 1,000 fortune quotes split in halves (query = first
#    half, document = second half, 1,000 documents).
# int8 exports use the defaults (graft export --quantize int8, built-in calibration texts).
#
# Usage: bench/int8.sh [--models all-minilm-l6-v2,...] [--rounds 3] [--batch 32] [--threads 2] [--max-length 256]
#          [--no-tasks]
#   --models    bundled models to time (default: all five)
#   --no-tasks  skip the accuracy and retrieval checks
# Needs root once to apt-get the data. Set MVN_FLAGS=-o to build offline.
set -euo pipefail
cd "$(dirname "$0")/.."
models=all-minilm-l6-v2,bge-small-en,bge-small-en-v1.5,e5-small-v2,bge-small-zh
rounds=3; batch=32; threads=2; maxlen=256; tasks=1
while [ $# -gt 0 ]; do case "$1" in
  --models) models=$2; shift 2;; --rounds) rounds=$2; shift 2;; --batch) batch=$2; shift 2;;
  --threads) threads=$2; shift 2;; --max-length) maxlen=$2; shift 2;; --no-tasks) tasks=0; shift;;
  *) echo "unknown option $1" >&2; exit 2;; esac; done
bash bench/install-data.sh
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }
out=bench/out/int8
mkdir -p bench/data/embed "$out"
python3 bench/embed_texts.py
# package, not install: the bench module reads graft-core from the reactor; the CLI exports and tunes
mvn -q -B ${MVN_FLAGS:-} -Pbench -pl core,cli,bench -am package -DskipTests
touch cli/target/graft-cli.jar  # the jar plugin leaves an up-to-date jar untouched; ./graft would rebuild it
cp="bench/target/graft-bench.jar:$(cat bench/target/classpath.txt)"
bench() { java -Xmx2g -Dai.djl.offline=true -cp "$cp" dev.graft.bench.Int8Bench "$@"; }
export_both() {  # model output-dir [graft export options...]
  local m=$1 d=$2; shift 2
  rm -rf "$d/fp32" "$d/int8"
  ./graft --quiet export --model "$m" "$@" --format onnx --output "$d/fp32" >/dev/null
  ./graft --quiet export --model "$m" "$@" --format onnx --quantize int8 --output "$d/int8" >/dev/null
}
IFS=, read -ra mlist <<< "$models"
for m in "${mlist[@]}"; do
  echo "bench: exporting $m (fp32, int8)" >&2
  export_both "$m" "$out/$m"
done
results=$out/throughput.jsonl; : > "$results"
for r in $(seq 1 "$rounds"); do
  for m in "${mlist[@]}"; do
    for kind in fp32 int8; do
      /usr/bin/time -f '{"max_rss_kb": %M}' -o "$out/time.json" java -Xmx2g -Dai.djl.offline=true -cp "$cp" dev.graft.bench.Int8Bench \
        throughput --export "$out/$m/$kind" --texts bench/data/embed/texts.txt --batch "$batch" --threads "$threads" \
        --max-length "$maxlen" --dump "$out/$m/vectors-$kind.txt" 2>"$out/bench.err" | tail -1 > "$out/line.json" \
        || { echo "bench: $m $kind failed:" >&2; tail -5 "$out/bench.err" >&2; exit 1; }
      python3 -c "import json; a=json.load(open('$out/line.json')); a.update(json.load(open('$out/time.json'))); a.update(round=$r, model='$m', kind='$kind'); print(json.dumps(a))" >> "$results"
      tail -1 "$results"
    done
  done
done
cosines=$out/cosine.jsonl; : > "$cosines"
for m in "${mlist[@]}"; do
  bench cosine --a "$out/$m/vectors-fp32.txt" --b "$out/$m/vectors-int8.txt" 2>/dev/null \
    | python3 -c "import json,sys; a=json.loads(sys.stdin.readlines()[-1]); a['model']='$m'; print(json.dumps(a))" >> "$cosines"
done
checks=$out/checks.jsonl; : > "$checks"
if [ "$tasks" = 1 ]; then
  python3 bench/make-tasks.py --tasks manpages --out "$out/data" >&2
  echo "bench: tuning a head on manpages (all-minilm-l6-v2)" >&2
  rm -rf "$out/manpages-head"
  ./graft --quiet --threads "$threads" tune --model all-minilm-l6-v2 --train "$out/data/manpages/train.csv" \
    --eval "$out/data/manpages/dev.csv" --method head --max-length 64 --output "$out/manpages-head" >/dev/null
  export_both all-minilm-l6-v2 "$out/manpages" --adapter "$out/manpages-head"
  m=all-minilm-l6-v2
  [ -d "$out/$m/fp32" ] || export_both "$m" "$out/$m"
  for kind in fp32 int8; do
    bench accuracy --export "$out/manpages/$kind" --data "$out/data/manpages/test.csv" --threads "$threads" 2>/dev/null \
      | python3 -c "import json,sys; a=json.loads(sys.stdin.readlines()[-1]); a.update(check='manpages accuracy', kind='$kind'); print(json.dumps(a))" >> "$checks"
    bench recall --export "$out/$m/$kind" --texts bench/data/embed/texts.txt --pairs 1000 --threads "$threads" 2>/dev/null \
      | python3 -c "import json,sys; a=json.loads(sys.stdin.readlines()[-1]); a.update(check='fortune halves recall@10', kind='$kind'); print(json.dumps(a))" >> "$checks"
  done
fi
python3 - "$results" "$cosines" "$checks" "$rounds" "$out" <<'PY'
import datetime, json, os, statistics, subprocess, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
cos = {c["model"]: c for c in map(json.loads, open(sys.argv[2]))}
checks = [json.loads(l) for l in open(sys.argv[3])]
def fp32_kept(m):
    q = json.load(open(f"{sys.argv[5]}/{m}/int8/onnx_export.json")).get("quantization", {})
    return f"{len(q.get('fp32_products', []))}/{q.get('products', '?')}"
cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
mem = next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal"))
java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
r0 = rows[0]
out = [f"Machine: {len(os.sched_getaffinity(0))} cores, {cpu}, {int(mem)//1024} MiB RAM, {java}; {datetime.date.today()}",
       f"2,000 fortune quotes (bench/data/embed/texts.txt), ONNX Runtime Java on graft export --format onnx [--quantize int8] "
       f"(defaults), batch {r0['batch']}, {r0['threads']} threads, max length {r0['max_length']} tokens, "
       f"{sys.argv[4]} interleaved rounds (medians; ratios per round).", "",
       "| model | fp32 texts/s | int8 texts/s | int8 / fp32 (per-round range) | peak RSS fp32 / int8 (MiB) | products kept fp32 | cosine int8 to fp32 min / mean |",
       "|---|---|---|---|---|---|---|"]
for m in dict.fromkeys(r["model"] for r in rows):
    f = [r for r in rows if r["model"] == m and r["kind"] == "fp32"]
    i = [r for r in rows if r["model"] == m and r["kind"] == "int8"]
    ratios = [b["texts_per_s"] / a["texts_per_s"] for a, b in zip(f, i)]
    med = lambda xs, k: statistics.median(x[k] for x in xs)
    c = cos.get(m, {})
    out.append(f"| {m} | {med(f, 'texts_per_s'):.1f} | {med(i, 'texts_per_s'):.1f} | **{statistics.median(ratios):.2f}x** "
               f"({min(ratios):.2f}-{max(ratios):.2f}) | {med(f, 'max_rss_kb') / 1024:.0f} / {med(i, 'max_rss_kb') / 1024:.0f} | "
               f"{fp32_kept(m)} | {c.get('cosine_min', float('nan')):.4f} / {c.get('cosine_mean', float('nan')):.4f} |")
if checks:
    out += ["", "| check (all-minilm-l6-v2) | fp32 | int8 | int8 - fp32 (points) |", "|---|---|---|---|"]
    for name in dict.fromkeys(c["check"] for c in checks):
        v = {c["kind"]: c.get("accuracy", c.get("recall_at_10")) for c in checks if c["check"] == name}
        out.append(f"| {name} | {100 * v['fp32']:.2f} | {100 * v['int8']:.2f} | {100 * (v['int8'] - v['fp32']):+.2f} |")
open(f"{sys.argv[5]}/int8.md", "w").write("\n".join(out) + "\n")
print("\n".join(out))
PY
