#!/usr/bin/env bash
# LogME: Graft (Java, EJML eigensolver) vs an independent NumPy implementation written from the paper
# (bench/logme_numpy.py), on the same features: values, relative difference, median times and their ratio.
# Default: 20,000 x 384 random clustered features, 30 classes (the issue's target: equal to 1e-8 relative, < 0.1 s).
# Usage: bench/logme.sh [--features F.npy --labels L.npy] [--n 20000] [--d 384] [--classes 30] [--runs 7] [--rounds 3]
set -euo pipefail
cd "$(dirname "$0")/.."
n=20000; d=384; k=30; runs=7; rounds=3; features=""; labels=""
while [ $# -gt 0 ]; do case "$1" in
  --features) features=$2; shift 2;; --labels) labels=$2; shift 2;; --n) n=$2; shift 2;; --d) d=$2; shift 2;;
  --classes) k=$2; shift 2;; --runs) runs=$2; shift 2;; --rounds) rounds=$2; shift 2;;
  *) echo "unknown option $1" >&2; exit 2;; esac; done
python3 -c "import numpy" 2>/dev/null || { apt-get install -y -qq python3-numpy >/dev/null; }
out=bench/out/logme; mkdir -p "$out"
if [ -z "$features" ]; then
  features=$out/features.npy; labels=$out/labels.npy
  python3 - "$n" "$d" "$k" "$features" "$labels" <<'PY'
import sys, numpy as np
n, d, k = map(int, sys.argv[1:4])
rng = np.random.default_rng(0)
centres = 0.3 * rng.standard_normal((k, d))
y = np.arange(n) % k
f = centres[y] + rng.standard_normal((n, d)) + 0.5   # a shared offset: features need not be centred
np.save(sys.argv[4], f); np.save(sys.argv[5], y.astype(np.int64))
print(f"bench: generated {n} x {d} features, {k} classes")
PY
fi
mvn -q -o -B -Pbench -pl core,bench -am -DskipTests package
cp="bench/target/graft-bench.jar:$(cat bench/target/classpath.txt)"
: > "$out/results.jsonl"
for r in $(seq 1 "$rounds"); do
  java -Xmx4g -cp "$cp" dev.graft.bench.LogMeBench --features "$features" --labels "$labels" --runs "$runs" >> "$out/results.jsonl"
  python3 bench/logme_numpy.py "$features" "$labels" --runs "$runs" >> "$out/results.jsonl"
done
python3 - "$out/results.jsonl" <<'PY'
import json, statistics, subprocess, sys, datetime
rows = [json.loads(l) for l in open(sys.argv[1])]
g = [r for r in rows if r["system"] == "graft"]; p = [r for r in rows if r["system"] == "numpy"]
vg, vp = g[-1]["value"], p[-1]["value"]
tg = statistics.median(r["median_s"] for r in g); tp = statistics.median(r["median_s"] for r in p)
cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
print(f"machine: {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores, {cpu}; load {open('/proc/loadavg').read().split()[0]}; {datetime.date.today()}")
print(f"features: {g[0]['n']} x {g[0]['d']}, {g[0]['classes']} classes; {len(g)} interleaved rounds, median of per-round medians")
print(f"LogME graft  {vg:.15f}  {tg:.4f} s")
print(f"LogME numpy  {vp:.15f}  {tp:.4f} s  (NumPy {p[0]['numpy']})")
print(f"relative difference {abs(vg - vp) / abs(vp):.2e}; time ratio graft/numpy {tg / tp:.2f}")
PY
