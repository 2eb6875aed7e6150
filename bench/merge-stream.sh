#!/usr/bin/env bash
# Streaming merge: TIES over 3 fine-tuned checkpoints + base, generated here (random bf16, multi-GiB, one file per
# model > 2 GiB by default) and deleted afterwards. Reports merge throughput (bytes of all inputs / merge time) as a
# fraction of the raw read throughput of the same files through the same mmap reader, measured in the same run with
# the same thread count, and each step's peak RSS (/usr/bin/time %M) against 3 x the largest tensor + 300 MB.
# Usage: bench/merge-stream.sh [--tensors 36] [--rows 4096] [--cols 8192] [--threads 2] [--dir /tmp/graft-merge-bench] [--xmx 256m]
set -euo pipefail
cd "$(dirname "$0")/.."
tensors=36; rows=4096; cols=8192; threads=2; dir=/tmp/graft-merge-bench; xmx=256m
while [ $# -gt 0 ]; do case "$1" in --tensors) tensors=$2; shift 2;; --rows) rows=$2; shift 2;; --cols) cols=$2; shift 2;;
  --threads) threads=$2; shift 2;; --dir) dir=$2; shift 2;; --xmx) xmx=$2; shift 2;; *) echo "unknown option $1" >&2; exit 2;; esac; done
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }
mvn -q -o -B -Pbench -pl core,bench -am package -DskipTests
cp="bench/target/graft-bench.jar:core/target/classes:$(cat bench/target/classpath.txt)"
rm -rf "$dir"; mkdir -p "$dir"; trap 'rm -rf "$dir"' EXIT
mkdir -p bench/out; results=bench/out/merge-stream.jsonl; : > "$results"
run() { # step, args...
  local step=$1; shift
  /usr/bin/time -f '{"max_rss_kb": %M, "wall_s": %e, "user_s": %U, "sys_s": %S}' -o bench/out/time.json java -Xmx"$xmx" -cp "$cp" dev.graft.bench.MergeBench "$step" "$@" | tail -1 > bench/out/line.json
  python3 -c "import json; a=json.load(open('bench/out/line.json')); a.update(json.load(open('bench/out/time.json'))); print(json.dumps(a))" | tee -a "$results"
}
run generate "$dir/models" 3 "$tensors" "$rows" "$cols"
ls -l "$dir"/models/*/model.safetensors
cat > "$dir/ties.yml" <<YML
models:
  - model: models/ft1
    parameters: {weight: 1.0, density: 0.2}
  - model: models/ft2
    parameters: {weight: 1.0, density: 0.2}
  - model: models/ft3
    parameters: {weight: 1.0, density: 0.2}
base_model: models/base
merge_method: ties
parameters: {lambda: 1.0}
YML
inputs=("$dir/models/base" "$dir/models/ft1" "$dir/models/ft2" "$dir/models/ft3")
run read "$threads" "${inputs[@]}"          # warm the page cache once, then measure read / merge / read
run read "$threads" "${inputs[@]}"
run merge "$dir/ties.yml" "$dir/merged" "$threads"
rm -rf "$dir/merged"
run read "$threads" "${inputs[@]}"
python3 - "$results" "$rows" "$cols" <<'PY'
import json, sys, subprocess, datetime
rows = [json.loads(l) for l in open(sys.argv[1])]
reads = [r for r in rows if r["step"] == "read"][1:]
merge = [r for r in rows if r["step"] == "merge"][0]
read_bytes = reads[0]["bytes"]
read_mbs = reads[0]["mb_per_s"]  # the read just before the merge; the one after is printed to show drift
merge_mbs = read_bytes / merge["seconds"] / 1e6
largest = int(sys.argv[2]) * int(sys.argv[3]) * 2
goal_kb = (3 * largest + 300e6) / 1024
cpu = subprocess.run("lscpu | grep 'Model name' | sed 's/.*: *//'", shell=True, capture_output=True, text=True).stdout.strip()
print(f"machine: {subprocess.run('nproc', capture_output=True, text=True).stdout.strip()} cores, {cpu}; {datetime.date.today()}")
print(f"inputs: 4 x {read_bytes / 4 / 2**30:.2f} GiB (bf16), largest tensor {largest / 2**20:.0f} MiB")
print(f"raw read (same mmap reader, same threads): {read_mbs:.0f} MB/s (runs: {', '.join(str(r['mb_per_s']) for r in reads)})")
print(f"TIES merge, 3 models + base: {merge_mbs:.0f} MB/s of input = {merge_mbs / read_mbs:.0%} of raw read (goal >= 50%)")
cpu = lambda r: r["user_s"] + r["sys_s"]
read_cpu = read_bytes / cpu(reads[0]) / 1e6
merge_cpu = read_bytes / cpu(merge) / 1e6
print(f"per CPU-second (less sensitive to other load on a shared machine): read {read_cpu:.0f} MB, merge {merge_cpu:.0f} MB"
      f" = {merge_cpu / read_cpu:.0%}; load average {open('/proc/loadavg').read().split()[0]}")
print(f"peak RSS: merge {merge['max_rss_kb'] / 1024:.0f} MiB, read {max(r['max_rss_kb'] for r in reads) / 1024:.0f} MiB;"
      f" goal < 3 x largest tensor + 300 MB = {goal_kb / 1024:.0f} MiB")
PY
