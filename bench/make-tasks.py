#!/usr/bin/env python3
"""Builds Graft's real benchmark tasks from Debian packages (stdlib only).

Tasks, each written as train/dev/test CSV files (columns text,label) under bench/data/<task>/:
  fortunes  - a fortune quote -> its category (the file name under /usr/share/games/fortunes),
              classes with fewer than 100 quotes dropped
  manpages  - a man page's one-line description (whatis) -> its section digit
  langid    - a fortune quote -> its language (Debian's fortunes-de/-fr/-it/-es/-pl/-ru/-cs/-br packages)
  packages  - a Debian package's one-line description -> its archive section (the 20 largest sections of the
              main archive's package index in /var/lib/apt/lists; package names are left out, they give the answer away)

Splits are stratified 80/10/10 with a fixed seed, per class, after de-duplicating texts.
Usage: python3 bench/make-tasks.py [--out bench/data] [--max-per-class N] [--tasks fortunes,manpages,langid]
The packages must be installed (bench/install-data.sh does it, as root).
"""
import argparse
import csv
import glob
import hashlib
import os
import random
import re
import subprocess
import sys
from collections import defaultdict

FORTUNE_DIR = "/usr/share/games/fortunes"
LANG_PACKAGES = {"de": "fortunes-de", "fr": "fortunes-fr", "it": "fortunes-it", "es": "fortunes-es",
                 "pl": "fortunes-pl", "ru": "fortunes-ru", "cs": "fortunes-cs", "br": "fortunes-br"}


def read_fortune_file(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    for entry in re.split(r"^%\s*$", text, flags=re.M):
        entry = " ".join(entry.split())
        if entry:
            yield entry


def fortune_files(root):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != "off"]  # the "offensive" subfolder stays out
        for name in sorted(filenames):
            p = os.path.join(dirpath, name)
            if name.endswith((".dat", ".u8")) or os.path.islink(p):
                continue
            yield p


def fortunes_task():
    rows = []
    for p in fortune_files(FORTUNE_DIR):
        rel = os.path.relpath(p, FORTUNE_DIR)
        if os.sep in rel:  # localized fortunes live in subfolders (de/, fr/, ...): not categories
            continue
        rows += [(t, rel) for t in read_fortune_file(p)]
    return rows, 100


def manpages_task():
    out = subprocess.run(["whatis", "-w", "*"], capture_output=True, text=True, check=False).stdout
    rows = []
    for line in out.splitlines():
        m = re.match(r"^(\S+) \((\d)[^)]*\)\s+- (.+)$", line)
        if m:
            rows.append((m.group(3).strip(), m.group(2)))
    return rows, 100


def langid_task():
    rows = []
    for lang, pkg in LANG_PACKAGES.items():
        files = subprocess.run(["dpkg", "-L", pkg], capture_output=True, text=True, check=False).stdout.split()
        for p in files:
            if p.startswith(FORTUNE_DIR) and os.path.isfile(p) and not os.path.islink(p) and not p.endswith((".dat", ".u8")):
                rows += [(t, lang) for t in read_fortune_file(p) if len(t) <= 400]
    return rows, 100


def packages_task():
    lists = sorted(glob.glob("/var/lib/apt/lists/*_main_binary-*_Packages*"))
    rows = []
    for path in lists:
        text = subprocess.run(["/usr/lib/apt/apt-helper", "cat-file", path], capture_output=True, text=True,
                              check=False).stdout
        for stanza in text.split("\n\n"):
            fields = dict(re.findall(r"^(Description|Section): (.+)$", stanza, flags=re.M))
            if "Description" in fields and "Section" in fields:
                section = fields["Section"].split("/")[-1]  # contrib/net -> net
                rows.append((fields["Description"].strip(), section))
    counts = defaultdict(int)
    for _, section in rows:
        counts[section] += 1
    top = set(sorted(counts, key=lambda s: -counts[s])[:20])
    return [(t, s) for t, s in rows if s in top], 100


def split(rows, min_count, max_per_class, seed):
    by_label = defaultdict(list)
    seen = set()
    for text, label in rows:
        if text in seen:
            continue
        seen.add(text)
        by_label[label].append(text)
    parts = {"train": [], "dev": [], "test": []}
    for label in sorted(by_label):
        texts = by_label[label]
        if len(texts) < min_count:
            continue
        # order by a hash, not by file position, so the sample is spread over the whole file
        texts.sort(key=lambda t: hashlib.sha1(t.encode()).hexdigest())
        rng = random.Random(f"{seed}-{label}")
        rng.shuffle(texts)
        if max_per_class:
            texts = texts[:max_per_class]
        n = len(texts)
        n_test = max(1, n // 10)
        n_dev = max(1, n // 10)
        parts["test"] += [(t, label) for t in texts[:n_test]]
        parts["dev"] += [(t, label) for t in texts[n_test:n_test + n_dev]]
        parts["train"] += [(t, label) for t in texts[n_test + n_dev:]]
    for name in parts:
        random.Random(f"{seed}-{name}").shuffle(parts[name])
    return parts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "data"))
    ap.add_argument("--max-per-class", type=int, default=0)
    ap.add_argument("--tasks", default="fortunes,manpages,langid")
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()
    builders = {"fortunes": fortunes_task, "manpages": manpages_task, "langid": langid_task, "packages": packages_task}
    for task in args.tasks.split(","):
        rows, min_count = builders[task]()
        parts = split(rows, min_count, args.max_per_class, args.seed)
        if not parts["train"]:
            sys.exit(f"{task}: no data (are the Debian packages installed? run bench/install-data.sh as root)")
        d = os.path.join(args.out, task)
        os.makedirs(d, exist_ok=True)
        for name, items in parts.items():
            with open(os.path.join(d, name + ".csv"), "w", newline="", encoding="utf-8") as f:
                w = csv.writer(f)
                w.writerow(["text", "label"])
                w.writerows(items)
        labels = sorted({l for _, l in parts["train"]})
        print(f"{task}: {len(labels)} classes, train {len(parts['train'])}, dev {len(parts['dev'])}, "
              f"test {len(parts['test'])} -> {d}")


if __name__ == "__main__":
    main()
