#!/usr/bin/env bash
# How long `graft rank --models all` takes on a few thousand real labelled texts, end to end, and the share spent
# extracting features (every bundled model embeds every text) against scoring them with every estimator.
# Data: Debian package descriptions -> section (bench/make-tasks.py's `packages` task, 20 classes).
# Usage: bench/rank-time.sh [--per-class 190] [--out bench/out/rank-time]
set -euo pipefail
cd "$(dirname "$0")/.."
per_class=190; out=bench/out/rank-time
while [ $# -gt 0 ]; do case "$1" in --per-class) per_class=$2; shift 2;; --out) out=$2; shift 2;;
  *) echo "unknown option $1" >&2; exit 2;; esac; done
mkdir -p "$out"
command -v /usr/bin/time >/dev/null || apt-get install -y -qq time >/dev/null
python3 bench/make-tasks.py --tasks packages --max-per-class "$per_class" --out "$out/data" >&2
./graft --version >/dev/null # build first, outside the timing
/usr/bin/time -f '{"wall_s": %e, "user_s": %U, "sys_s": %S, "max_rss_kb": %M}' -o "$out/time.json" \
  ./graft --quiet rank --models all --data "$out/data/packages/train.csv" --no-cache --json > "$out/rank.json"
python3 - "$out" <<'PY'
import json, os, sys, datetime, subprocess
out = sys.argv[1]
r = json.load(open(f"{out}/rank.json")); t = json.load(open(f"{out}/time.json"))
cpu = subprocess.run(["sh", "-c", "lscpu | sed -n 's/^Model name: *//p'"], capture_output=True, text=True).stdout.strip()
print(f"machine: {os.cpu_count()} cores, {cpu}; load {os.getloadavg()[0]:.2f}; {datetime.date.today()}")
print(f"graft rank --models all: {r['examples']} texts, {r['classes']} classes, {len(r['candidates'])} candidates")
w = t["wall_s"]; f = r["feature_seconds"]; e = r["estimator_seconds"]
print(f"end to end {w:.1f} s (peak RSS {t['max_rss_kb'] / 1024:.0f} MiB): features {f:.1f} s ({100 * f / w:.0f}%), "
      f"estimators {e:.1f} s ({100 * e / w:.0f}%), the rest (JVM start, loading models) {w - f - e:.1f} s")
print("slowest estimators: " + ", ".join(f"{k} {v:.2f} s" for k, v in sorted(r["metric_seconds"].items(), key=lambda kv: -kv[1])[:4]))
PY
