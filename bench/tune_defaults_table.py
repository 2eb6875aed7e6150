#!/usr/bin/env python3
"""Tables bench/tune-defaults.sh's results: per task, size and model, each method's test accuracy with default flags,
as % of the L-BFGS probe on the same features, and where its best holdout score fell in its budget.
Usage: tune_defaults_table.py results.jsonl"""
import collections
import json
import sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
probe = {r["key"].rsplit("/", 1)[0]: r["test_accuracy"] for r in rows if r["key"].endswith("/probe")}
runs = [r for r in rows if not r["key"].endswith("/probe")]
print("| task | train | model | method | lr × | test acc | % of probe | probe | updates (best at) | holdout |")
print("|---|---|---|---|---|---|---|---|---|---|")
ratios = collections.defaultdict(list)
for r in runs:
    task, size, model, method, mult = r["key"].split("/")
    p = probe.get(f"{task}/{size}/{model}")
    ratio = r["test_accuracy"] / p if p else float("nan")
    ratios[(method, mult)].append(ratio)  # before the label gains --auto's choice
    sel = r.get("selection") or {}
    hold = sel.get("examples", sel.get("kind", "")) if isinstance(sel, dict) else sel
    search = r.get("search")
    if search:  # --auto: the learning rate it kept
        mult = f"xauto ({search['trials'][search['best']]['learningRate']:.0e})"
    print(f"| {task} | {size} | {model} | {method} | {mult[1:]} | {r['test_accuracy']:.3f} | {100 * ratio:.1f}% | "
          f"{p if p is None else round(p, 3)} | {r.get('updates')} ({r.get('best_step')}) | {hold} |")
print()
print("| method | lr × | runs | mean % of probe | min % of probe |")
print("|---|---|---|---|---|")
for (method, mult), v in sorted(ratios.items()):
    print(f"| {method} | {mult[1:]} | {len(v)} | {100 * sum(v) / len(v):.1f}% | {100 * min(v):.1f}% |")
