#!/usr/bin/python3
"""bootstrap-numpy.py - the comparison for bench/bootstrap-bench: the same
bootstrap of accuracy and macro-F1 (1,000,000 examples, 3 labels, 80% right)
done the usual way, by resampling examples with numpy.  Fewer resamples are
run and the time is scaled to 10,000.  Run by hand with Debian's python3-numpy:

    /usr/bin/python3 bench/bootstrap-numpy.py [-n EXAMPLES] [-B RESAMPLES_RUN] [-k LABELS]
"""

import argparse
import time

import numpy as np


def accuracy_and_macro_f1(yt, yp, k):
    cm = np.bincount(yt * k + yp, minlength=k * k).reshape(k, k).astype(float)
    tp = np.diag(cm)
    pred = cm.sum(axis=0)
    true = cm.sum(axis=1)
    present = (pred + true) > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(pred > 0, tp / pred, 0.0)
        r = np.where(true > 0, tp / true, 0.0)
        f = np.where(p + r > 0, 2 * p * r / (p + r), 0.0)
    return tp.sum() / cm.sum(), f[present].mean()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=1_000_000, help="examples")
    ap.add_argument("-B", type=int, default=20, help="resamples actually run")
    ap.add_argument("-k", type=int, default=3, help="labels")
    ap.add_argument("--target", type=int, default=10_000, help="resamples to scale to")
    args = ap.parse_args()

    rng = np.random.default_rng(42)
    y_true = rng.integers(0, args.k, args.n)
    right = rng.random(args.n) < 0.8
    y_pred = np.where(right, y_true,
                      (y_true + 1 + rng.integers(0, args.k - 1, args.n)) % args.k)

    t0 = time.perf_counter()
    acc = np.empty(args.B)
    f1 = np.empty(args.B)
    for b in range(args.B):
        idx = rng.integers(0, args.n, args.n)
        acc[b], f1[b] = accuracy_and_macro_f1(y_true[idx], y_pred[idx], args.k)
    elapsed = time.perf_counter() - t0
    per = elapsed / args.B
    print("numpy example resampling of accuracy and macro-F1: %d examples, %d labels"
          % (args.n, args.k))
    print("  %d resamples in %.2f s: %.2f ms each, so %.1f s for %d resamples"
          % (args.B, elapsed, per * 1e3, per * args.target, args.target))
    print("  accuracy se %.6f, macro-F1 se %.6f (from %d resamples)"
          % (acc.std(ddof=1), f1.std(ddof=1), args.B))


if __name__ == "__main__":
    main()
