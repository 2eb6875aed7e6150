"""The two text sets of the embedding benchmarks (bench/embed-throughput.sh, bench/budget-sweep.sh), from Debian's
fortunes: bench/data/embed/texts.txt (a hash-ordered sample) and texts-shuffled.txt (shuffled across all categories).
"""
import hashlib, os, random, re
root = "/usr/share/games/fortunes"
quotes = []
for name in sorted(os.listdir(root)):  # one file per category
    p = os.path.join(root, name)
    if os.path.isdir(p) or os.path.islink(p) or name.endswith((".dat", ".u8")):
        continue
    text = open(p, encoding="utf-8", errors="replace").read()
    quotes += [" ".join(q.split()) for q in re.split(r"^%\s*$", text, flags=re.M) if q.strip()]
unique = sorted(set(quotes))
hashed = sorted(unique, key=lambda q: hashlib.sha1(q.encode()).hexdigest())[:2000]  # deterministic sample
shuffled = unique[:]
random.Random(14).shuffle(shuffled)  # every category, file order mixed; seed fixed so every run sees the same texts
shuffled = shuffled[:2000]
for name, qs in [("texts", hashed), ("texts-shuffled", shuffled)]:
    open(f"bench/data/embed/{name}.txt", "w", encoding="utf-8").write("\n".join(qs) + "\n")
    lengths = sorted(map(len, qs))
    print(f"bench: {name}: {len(qs)} fortune quotes, mean {sum(lengths) / len(lengths):.0f} characters, "
          f"99th percentile {lengths[len(lengths) * 99 // 100]}, longest {lengths[-1]}")
