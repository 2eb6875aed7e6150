#!/usr/bin/env bash
# Embedding throughput: graft (PyTorch engine), graft-ort (Graft's ONNX Runtime engine, --engine onnxruntime) vs ONNX Runtime (same ONNX file, same batches, same threads) vs langchain4j's embedAll,
# on 2,000 real fortune quotes. Each system runs in its own JVM, interleaved over rounds; peak RSS from /usr/bin/time.
# Usage: bench/embed-throughput.sh [--rounds 3] [--batch 32] [--threads 2]      (needs root once to apt-get the data)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3; batch=32; threads=2; maxlen=512
while [ $# -gt 0 ]; do case "$1" in --rounds) rounds=$2; shift 2;; --batch) batch=$2; shift 2;; --threads) threads=$2; shift 2;; --max-length) maxlen=$2; shift 2;; *) echo "unknown option $1" >&2; exit 2;; esac; done
bash bench/install-data.sh
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }
mkdir -p bench/data/embed bench/out
python3 - <<'PY'
import hashlib, os, re
root = "/usr/share/games/fortunes"
quotes = []
for name in sorted(os.listdir(root)):
    p = os.path.join(root, name)
    if os.path.isdir(p) or os.path.islink(p) or name.endswith((".dat", ".u8")):
        continue
    text = open(p, encoding="utf-8", errors="replace").read()
    quotes += [" ".join(q.split()) for q in re.split(r"^%\s*$", text, flags=re.M) if q.strip()]
quotes = sorted(set(quotes), key=lambda q: hashlib.sha1(q.encode()).hexdigest())[:2000]  # deterministic sample
open("bench/data/embed/texts.txt", "w", encoding="utf-8").write("\n".join(quotes) + "\n")
print(f"bench: {len(quotes)} fortune quotes, mean {sum(map(len, quotes)) / len(quotes):.0f} characters")
PY
mvn -q -B -Pbench -DskipTests install
cp="bench/target/graft-bench.jar:$(cat bench/target/classpath.txt)"
results=bench/out/embed-throughput.jsonl; : > "$results"
for r in $(seq 1 "$rounds"); do
  for s in graft graft-ort ort langchain4j; do
    /usr/bin/time -f '{"max_rss_kb": %M}' -o bench/out/time.json java -Xmx2g -Dai.djl.offline=true -cp "$cp" dev.graft.bench.EmbedBench \
      --system "$s" --texts bench/data/embed/texts.txt --batch "$batch" --threads "$threads" --max-length "$maxlen" --dump "bench/out/vectors-$s.txt" \
      2>/dev/null | tail -1 > bench/out/line.json
    python3 -c "import json; a=json.load(open('bench/out/line.json')); a.update(json.load(open('bench/out/time.json'))); a['round']=$r; print(json.dumps(a))" >> "$results"
    tail -1 "$results"
  done
done
python3 - "$results" "$rounds" <<'PY'
import json, statistics, subprocess, sys, datetime
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {}
for r in rows:
    by.setdefault(r["system"], []).append(r)
def med(s, k): return statistics.median(x[k] for x in by[s])
def ratio(a, b):
    per_round = [x["texts_per_s"] / y["texts_per_s"] for x, y in zip(by[a], by[b])]
    return statistics.median(per_round), min(per_round), max(per_round)
def load(f): return [list(map(float, l.split())) for l in open(f)]
g, o = load("bench/out/vectors-graft.txt"), load("bench/out/vectors-ort.txt")
l4j = load("bench/out/vectors-langchain4j.txt")
cos = lambda a, b: sum(x * y for x, y in zip(a, b))
cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
mem = next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal"))
java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
out = [f"Machine: {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores, {cpu}, {int(mem)//1024} MiB RAM, {java}; {datetime.date.today()}",
       f"2,000 fortune quotes, all-minilm-l6-v2, batch {rows[0]['batch']}, {rows[0]['threads']} threads, max length {rows[0]['max_length']} tokens, {sys.argv[2]} interleaved rounds (medians).", "",
       "| system | texts/s | peak RSS (MiB) |", "|---|---|---|"]
for s in ["graft", "graft-ort", "ort", "langchain4j"]:
    out.append(f"| {s} | {med(s, 'texts_per_s'):.1f} | {med(s, 'max_rss_kb') / 1024:.0f} |")
m, lo, hi = ratio("graft", "ort")
out.append(f"\ngraft / ONNX Runtime throughput: {m:.2f}x (per-round range {lo:.2f}-{hi:.2f})")
m, lo, hi = ratio("graft-ort", "ort")
out.append(f"graft --engine onnxruntime / ONNX Runtime throughput: {m:.2f}x (per-round range {lo:.2f}-{hi:.2f})")
m, lo, hi = ratio("graft", "langchain4j")
out.append(f"graft / langchain4j throughput: {m:.2f}x (per-round range {lo:.2f}-{hi:.2f})")
out.append(f"Agreement: min cosine graft vs ONNX Runtime {min(cos(a, b) for a, b in zip(g, o)):.6f}, graft vs langchain4j {min(cos(a, b) for a, b in zip(g, l4j)):.6f}")
open("bench/out/embed-throughput.md", "w").write("\n".join(out) + "\n")
print("\n".join(out))
PY
