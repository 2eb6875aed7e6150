#!/usr/bin/env python3
"""Prints the merge evaluation table from the results-*.jsonl files of bench/merge-eval.sh (and bench/merge-lambda.sh).
Usage: python3 bench/merge_table.py OUT_DIR"""
import glob
import os
import json, sys, collections, datetime, subprocess
order = {"own": 0, "merge": 1, "lambda": 2}  # own models first, then the fixed settings, then λ chosen on dev
files = sorted(glob.glob(os.path.join(sys.argv[1], "results-*.jsonl")),
               key=lambda f: order.get(os.path.basename(f)[len("results-"):-len(".jsonl")], 3))
rows = [json.loads(l) for f in files for l in open(f)]
own = {(r["kind"], r["task"]): r["accuracy"] for r in rows if r["method"] == "own"}
tasks = sorted({r["task"] for r in rows})
print(f"{datetime.date.today()}, {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores. "
      "Normalised accuracy = merged backbone + the task's own head / the task's own fine-tuned model.\n")
print("| fine-tuning | method | " + " | ".join(tasks) + " | mean |"); print("|---|---|" + "---|" * (len(tasks) + 1))
by = collections.defaultdict(dict)
for r in rows:
    by[(r["kind"], r["method"])][r["task"]] = r["accuracy"]
for (kind, method), accs in by.items():
    if method == "own":
        print(f"| {kind} | own model (accuracy) | " + " | ".join(f"{accs[t]:.3f}" for t in tasks) + " | |"); continue
    norm = [accs[t] / own[(kind, t)] for t in tasks]
    print(f"| {kind} | {method} | " + " | ".join(f"{x:.1%}" for x in norm) + f" | {sum(norm) / len(norm):.1%} |")
