#!/usr/bin/env python3
"""Independent NumPy LogME (You et al., JMLR 2022, "Ranking and Tuning Pre-trained Models"), written from the paper
for bench/logme.sh: the evidence of Bayesian linear regression on the features, maximised over (alpha, beta) by the
paper's fixed-point iteration in the eigenbasis of F^T F, one-vs-rest over one-hot labels, averaged per example and
over classes. All classes iterate at once as vectors. Same stopping rule (relative change 1e-13) and the same closed-form
boundary limits (alpha -> inf; beta -> inf when n <= rank F) as Graft's Java version, so the two must agree to ~1e-12.

Usage: logme_numpy.py FEATURES.npy LABELS.npy [--runs 7] [--warmup 2]   -> one JSON line
"""
import json
import statistics
import sys
import time

import numpy as np


def logme(f, y):
    n, d = f.shape
    k = int(y.max()) + 1
    gram = f.T @ f                                   # [d, d]
    sigma, v = np.linalg.eigh(gram)                  # ascending
    sigma = np.clip(sigma[::-1], 0, None)
    v = v[:, ::-1]
    onehot_sums = np.zeros((k, d))
    np.add.at(onehot_sums, y, f)                     # F^T y_c for every class c
    counts = np.bincount(y, minlength=k).astype(np.float64)   # ||y_c||^2 for 0/1 targets
    keep = sigma > sigma[0] * 1e-13 * d
    s = sigma[keep]
    r = int(keep.sum())
    z2 = (onehot_sums @ v[:, keep]) ** 2             # [k, r]
    outside = np.maximum(counts - (z2 / s).sum(axis=1), 0)
    alpha = np.ones(k)
    beta = np.ones(k)
    active = np.ones(k, dtype=bool)
    for _ in range(10000):
        if not active.any():
            break
        a = alpha[active, None]
        b = beta[active, None]
        den = a + b * s
        gamma = (b * s / den).sum(axis=1)
        m2 = (b * b * z2[active] / den ** 2).sum(axis=1)
        res2 = outside[active] + (z2[active] / s * a * a / den ** 2).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            na = gamma / m2
            nb = (n - gamma) / res2
        ok = (na > 0) & (nb > 0) & (na < 1e300) & (nb < 1e300)
        idx = np.flatnonzero(active)
        done = ~ok | ((np.abs(na - alpha[active]) <= 1e-13 * na) & (np.abs(nb - beta[active]) <= 1e-13 * nb))
        alpha[idx[ok]] = na[ok]
        beta[idx[ok]] = nb[ok]
        active[idx[done]] = False
    den = alpha[:, None] + beta[:, None] * s
    m2 = (beta[:, None] ** 2 * z2 / den ** 2).sum(axis=1)
    res2 = outside + (z2 / s * alpha[:, None] ** 2 / den ** 2).sum(axis=1)
    logdet = (d - r) * np.log(alpha) + np.log(den).sum(axis=1)
    ev = (n / 2 * np.log(beta) + d / 2 * np.log(alpha) - n / 2 * np.log(2 * np.pi)
          - beta / 2 * res2 - alpha / 2 * m2 - logdet / 2)
    ev = np.where(np.isfinite(ev), ev, -np.inf)
    ev = np.maximum(ev, -n / 2 * (np.log(2 * np.pi * counts / n) + 1))     # alpha -> inf: w = 0
    if r >= n:                                                              # beta -> inf: exact fit
        mm = (z2 / s ** 2).sum(axis=1)
        a = r / mm
        ev = np.maximum(ev, -0.5 * np.log(s).sum() + r / 2 * np.log(a) - n / 2 * np.log(2 * np.pi) - a / 2 * mm)
    return float((ev / n).mean())


def main():
    args = sys.argv[1:]
    runs, warmup = 7, 2
    if "--runs" in args:
        runs = int(args[args.index("--runs") + 1])
    if "--warmup" in args:
        warmup = int(args[args.index("--warmup") + 1])
    f = np.load(args[0]).astype(np.float64, copy=False)
    y = np.load(args[1]).astype(np.int64, copy=False)
    times = []
    value = None
    for i in range(warmup + runs):
        t0 = time.perf_counter()
        value = logme(f, y)
        t1 = time.perf_counter()
        if i >= warmup:
            times.append(t1 - t0)
    print(json.dumps({"system": "numpy", "value": value, "median_s": statistics.median(times), "min_s": min(times),
                      "n": f.shape[0], "d": f.shape[1], "classes": int(y.max()) + 1, "numpy": np.__version__}))


if __name__ == "__main__":
    main()
