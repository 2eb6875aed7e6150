#!/usr/bin/env python3
"""The reference a default-flag fine-tune is judged against: a converged L-BFGS multinomial logistic regression
(scikit-learn) on the frozen features `graft features` exported, standardised, with its L2 strength chosen by 5-fold
cross-validation on the training features. Prints one JSON line: the key and the probe's test accuracy.
Usage: tune_defaults_probe.py TRAIN.npy TRAIN.csv TEST.npy TEST.csv KEY"""
import csv
import json
import sys

import numpy as np
from sklearn.linear_model import LogisticRegressionCV
from sklearn.preprocessing import StandardScaler


def labels(path):
    return [r["label"] for r in csv.DictReader(open(path, encoding="utf-8"))]


xtr, xte = np.load(sys.argv[1]), np.load(sys.argv[3])
ytr, yte = labels(sys.argv[2]), labels(sys.argv[4])
assert len(ytr) == len(xtr) and len(yte) == len(xte), "features and rows differ"
scaler = StandardScaler().fit(xtr)
folds = max(2, min(5, min(ytr.count(c) for c in set(ytr))))
clf = LogisticRegressionCV(Cs=np.logspace(-4, 2, 13), cv=folds, max_iter=5000, n_jobs=1)
clf.fit(scaler.transform(xtr), ytr)
acc = float(np.mean(clf.predict(scaler.transform(xte)) == np.array(yte)))
print(json.dumps({"key": sys.argv[5], "test_accuracy": acc, "C": float(clf.C_[0]), "train_examples": len(ytr)}))
