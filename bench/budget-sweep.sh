#!/usr/bin/env bash
# Chooses Graft's default --max-batch-tokens by measurement: one JVM embeds both embedding text sets (hash-ordered and
# shuffled long-tailed, see embed_texts.py) once per batching config per repetition, configs in rotated order, and
# prints median texts/s with the per-repetition ratio to the first config (dev.graft.bench.BudgetSweep).
# Usage: bench/budget-sweep.sh [--configs none/32,512/32,1024/32,2048/32,4096/32] [--reps 3] [--limit 0] [--threads 2]
#   a config is MAX_BATCH_TOKENS/BATCH_SIZE ('none' = count-only batches); --limit N keeps every k-th text of each set.
# Needs root once to apt-get the data. Set MVN_FLAGS=-o to build offline.
set -euo pipefail
cd "$(dirname "$0")/.."
configs=none/32,512/32,1024/32,2048/32,4096/32; reps=3; limit=0; threads=2; maxlen=256
while [ $# -gt 0 ]; do case "$1" in
  --configs) configs=$2; shift 2;; --reps) reps=$2; shift 2;; --limit) limit=$2; shift 2;;
  --threads) threads=$2; shift 2;; --max-length) maxlen=$2; shift 2;;
  *) echo "unknown option $1" >&2; exit 2;; esac; done
bash bench/install-data.sh
mkdir -p bench/data/embed bench/out
python3 bench/embed_texts.py
mvn -q -B ${MVN_FLAGS:-} -Pbench -pl core,bench -am package -DskipTests
cp="bench/target/graft-bench.jar:$(cat bench/target/classpath.txt)"
java -Xmx2g -Dai.djl.offline=true -cp "$cp" dev.graft.bench.BudgetSweep \
  --texts bench/data/embed/texts.txt,bench/data/embed/texts-shuffled.txt --configs "$configs" --reps "$reps" \
  --limit "$limit" --threads "$threads" --max-length "$maxlen" 2>bench/out/budget-sweep.err | tee bench/out/budget-sweep.txt
