#!/usr/bin/env bash
# Distil a retriever (issue 15, benchmark 3): bge-small-en-v1.5 (12 layers) -> all-minilm-l6-v2 (6 layers) with
# `graft distill` at default flags, from man-page texts without labels. The retrieval task: a man page's one-line
# description (whatis) as the query, the first lines of its DESCRIPTION section as the passage; 500 test pairs, the
# pages' texts for transfer are disjoint from them. Reports recall@1/@10 and MRR of the teacher, the student before and
# after, and the embedding throughput of student and teacher on PyTorch in the same run (an adapter is merged into the
# student's weights when exported, so the student's base model is what is served).
# Usage: bench/distill-retriever.sh [--pages 2000] [--test 500] [--threads 2] [--out bench/out/distill-retriever]
#                                   [--no-throughput | --throughput-only]   (accuracy may share the machine, timing not)
set -euo pipefail
cd "$(dirname "$0")/.."
pages=2000; test=500; threads=2; out=bench/out/distill-retriever; accuracy=1; throughput=1
teacher=bge-small-en-v1.5; student=all-minilm-l6-v2
while [ $# -gt 0 ]; do case "$1" in
  --no-throughput) throughput=0; shift;; --throughput-only) accuracy=0; shift;;
  --pages) pages=$2; shift 2;; --test) test=$2; shift 2;; --threads) threads=$2; shift 2;; --out) out=$2; shift 2;;
  *) echo "unknown option $1" >&2; exit 2;; esac; done
mkdir -p "$out"
command -v man >/dev/null && [ -d /usr/share/man/man1 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq man-db manpages >/dev/null
g() { ./graft --quiet --threads "$threads" "$@"; }
if [ ! -s "$out/test-queries.txt" ]; then
  python3 - "$pages" "$test" "$out" <<'PY'
import os, random, re, subprocess, sys
pages, test, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
lines = subprocess.run(["man", "-k", "."], capture_output=True, text=True).stdout.splitlines()
entries = {}
for l in lines:
    m = re.match(r"^(\S+) \((\w+)\)\s+- (.+)$", l)
    if m and len(m.group(3).split()) >= 3:
        entries.setdefault(m.group(3).strip(), (m.group(1), m.group(2)))
items = sorted((n, s, d) for d, (n, s) in entries.items())
random.Random(11).shuffle(items)
pairs, env = [], dict(os.environ, MANWIDTH="200", MAN_KEEP_FORMATTING="0")
for name, section, desc in items:
    if len(pairs) >= pages: break
    try:
        text = subprocess.run(["man", "-P", "cat", section, name], capture_output=True, text=True, env=env, timeout=10).stdout
    except subprocess.TimeoutExpired:
        continue
    text = re.sub(r".\x08", "", text)
    m = re.search(r"^DESCRIPTION\s*\n(.*?)(?=^\S)", text, flags=re.M | re.S)
    if not m: continue
    words = " ".join(m.group(1).split()).split()[:60]
    if len(words) < 15: continue
    pairs.append((desc.replace("\n", " "), " ".join(words)))
random.Random(12).shuffle(pairs)
t, rest = pairs[:test], pairs[test:]
def w(name, xs):
    with open(os.path.join(out, name), "w", encoding="utf-8") as f:
        f.writelines(x + "\n" for x in xs)
w("test-queries.txt", [q for q, _ in t]); w("test-passages.txt", [p for _, p in t])
w("transfer.txt", [x for q, p in rest for x in (q, p)])
print(f"{len(t)} test pairs, {2 * len(rest)} transfer texts", file=sys.stderr)
PY
fi
recall() { # label, queries.npy, passages.npy
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
import numpy as np
q, p = np.load(sys.argv[2]), np.load(sys.argv[3])
q /= np.linalg.norm(q, axis=1, keepdims=True); p /= np.linalg.norm(p, axis=1, keepdims=True)
s = q @ p.T
rank = (s > s[np.arange(len(s)), np.arange(len(s))][:, None]).sum(1) + 1
print(json.dumps({"model": sys.argv[1], "recall@1": float((rank <= 1).mean()), "recall@10": float((rank <= 10).mean()),
                  "mrr": float((1 / rank).mean())}))
PY
}
results="$out/results.jsonl"; touch "$results"
if [ "$accuracy" = 1 ]; then
grep -v '"model"' "$results" > "$results.tmp" || true; mv "$results.tmp" "$results"
for who in teacher student-before; do
  m=$teacher; [ "$who" = teacher ] || m=$student
  g embed --model "$m" --input "$out/test-queries.txt" --output "$out/$who-q.npy" >/dev/null
  g embed --model "$m" --input "$out/test-passages.txt" --output "$out/$who-p.npy" >/dev/null
  recall "$who" "$out/$who-q.npy" "$out/$who-p.npy" >> "$results"
done
rm -rf "$out/student"
g distill --teacher "$teacher" --model "$student" --unlabeled "$out/transfer.txt" --output "$out/student" > "$out/distill.log"
g embed --model "$student" --adapter "$out/student" --input "$out/test-queries.txt" --output "$out/after-q.npy" >/dev/null
g embed --model "$student" --adapter "$out/student" --input "$out/test-passages.txt" --output "$out/after-p.npy" >/dev/null
recall student-after "$out/after-q.npy" "$out/after-p.npy" >> "$results"
fi
[ "$throughput" = 1 ] || exit 0
grep -v '"throughput"' "$results" > "$results.tmp" || true; mv "$results.tmp" "$results"
# throughput on the same texts, same engine, one after the other (nothing else may run)
for m in $teacher $student; do
  g embed --model "$m" --engine pytorch --input "$out/transfer.txt" --output "$out/tp.npy" --json \
    | python3 -c "import json,sys; d=json.load(sys.stdin); print(json.dumps({'throughput': d['model'], 'texts': d['texts'], 'seconds': d['seconds']}))" >> "$results"
done
cat "$results"
python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
r = {x["model"]: x for x in rows if "model" in x}
tp = {x["throughput"]: x["texts"] / x["seconds"] for x in rows if "throughput" in x}
print("| model | recall@1 | recall@10 | MRR | recall@10 % of teacher |")
print("|---|---|---|---|---|")
for k in ("teacher", "student-before", "student-after"):
    x = r[k]
    print(f"| {k} | {100*x['recall@1']:.1f}% | {100*x['recall@10']:.1f}% | {x['mrr']:.3f} | {100*x['recall@10']/r['teacher']['recall@10']:.1f}% |")
t, s = tp.values()
print(f"\nthroughput (texts/s, PyTorch, incl. model load): teacher {t:.1f}, student {s:.1f}, ratio {s/t:.2f}x")
PY
