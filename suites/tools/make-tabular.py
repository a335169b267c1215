#!/usr/bin/python3
"""make-tabular.py - produce suites/data/ for suites/tabular.yaml, once.

Reads the copies of five classic datasets that Debian's python3-sklearn
ships (/usr/lib/python3/dist-packages/sklearn/datasets/data/), gives their
columns readable names, adds an `id` column (the dataset's name and the
row's 1-based position in the source file) and writes a stratified 70/30
train/test split with a fixed seed as CSV.  Digits is written gzipped, so
the suite also exercises the compressed path.  The output is deterministic:
running this again writes byte-identical files.

Run from the repository's top directory with Debian's Python (the one that
has sklearn):

    /usr/bin/python3 suites/tools/make-tabular.py

Builds and tests never run this; its output is committed.
"""
import csv
import gzip
import io
import os
import sys

import numpy as np
from sklearn.model_selection import train_test_split

SRC = "/usr/lib/python3/dist-packages/sklearn/datasets/data"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")
SEED = 20261127  # fixed: the split is part of the suite
TEST_SIZE = 0.3

WINE = ["alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium",
        "total_phenols", "flavanoids", "nonflavanoid_phenols",
        "proanthocyanins", "color_intensity", "hue",
        "od280_od315_of_diluted_wines", "proline"]
CANCER_BASE = ["radius", "texture", "perimeter", "area", "smoothness",
               "compactness", "concavity", "concave_points", "symmetry",
               "fractal_dimension"]
CANCER = ([f"mean_{b}" for b in CANCER_BASE] +
          [f"{b}_error" for b in CANCER_BASE] +
          [f"worst_{b}" for b in CANCER_BASE])
IRIS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
DIABETES = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]


def read_sklearn_csv(name, opener=open):
    """sklearn's format: a first line 'n_samples,n_features,names...', then rows."""
    with opener(os.path.join(SRC, name), "rt") as f:
        rows = list(csv.reader(f))
    head, body = rows[0], rows[1:]
    n, nfeat = int(head[0]), int(head[1])
    assert len(body) == n, (name, len(body), n)
    return head[2:], [r[:nfeat] for r in body], [int(r[nfeat]) for r in body]


def number(s):
    """A number as short text: '151' for 1.51e+02, '0.1' for '0.1'."""
    v = float(s)
    return str(int(v)) if v.is_integer() else repr(v)


def split(y, stratify):
    idx = np.arange(len(y))
    train, test = train_test_split(idx, test_size=TEST_SIZE, random_state=SEED,
                                   stratify=stratify)
    return sorted(train.tolist()), sorted(test.tolist())


def write(name, header, rows, gz=False):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    data = buf.getvalue().encode("utf-8")
    path = os.path.join(OUT, name + (".gz" if gz else ""))
    if gz:
        with open(path, "wb") as f:
            # no name and no time in the header: the same bytes every run
            with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0,
                               compresslevel=9) as z:
                z.write(data)
    else:
        with open(path, "wb") as f:
            f.write(data)
    print(f"wrote {path} ({len(rows)} rows)", file=sys.stderr)


def emit(prefix, ids, features, targets, names, target_name, stratify, gz=False):
    y = np.array(targets if stratify is None else stratify)
    train, test = split(y, y)
    header = ["id"] + names + [target_name]
    for part, idx in (("train", train), ("test", test)):
        rows = [[ids[i]] + features[i] + [targets[i]] for i in idx]
        write(f"{prefix}-{part}.csv", header, rows, gz)


def main():
    os.makedirs(OUT, exist_ok=True)

    classes, X, y = read_sklearn_csv("iris.csv")
    emit("iris", [f"iris-{i + 1:03d}" for i in range(len(y))], X,
         [classes[c] for c in y], IRIS, "species", y)

    classes, X, y = read_sklearn_csv("wine_data.csv")
    emit("wine", [f"wine-{i + 1:03d}" for i in range(len(y))], X,
         [f"cultivar_{c + 1}" for c in y], WINE, "cultivar", y)

    classes, X, y = read_sklearn_csv("breast_cancer.csv")
    assert classes == ["malignant", "benign"], classes
    emit("breast_cancer", [f"bc-{i + 1:03d}" for i in range(len(y))], X,
         [classes[c] for c in y], CANCER, "diagnosis", y)

    with gzip.open(os.path.join(SRC, "digits.csv.gz"), "rt") as f:
        rows = list(csv.reader(f))
    X = [[number(v) for v in r[:64]] for r in rows]
    y = [int(float(r[64])) for r in rows]
    emit("digits", [f"digits-{i + 1:04d}" for i in range(len(y))], X,
         [str(c) for c in y], [f"pixel_{i}" for i in range(64)], "digit", y, gz=True)

    # diabetes: the raw (unscaled) features and the target, stratified on
    # target quartiles so both splits span the range
    with gzip.open(os.path.join(SRC, "diabetes_data_raw.csv.gz"), "rt") as f:
        X = [[number(v) for v in line.split()] for line in f if line.strip()]
    with gzip.open(os.path.join(SRC, "diabetes_target.csv.gz"), "rt") as f:
        t = [float(line) for line in f if line.strip()]
    assert len(X) == len(t) == 442
    bins = np.digitize(t, np.quantile(t, [0.25, 0.5, 0.75]))
    emit("diabetes", [f"diabetes-{i + 1:03d}" for i in range(len(t))], X,
         [number(v) for v in t], DIABETES, "progression", bins.tolist())


if __name__ == "__main__":
    main()
