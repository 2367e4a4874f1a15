#!/usr/bin/env python3
"""Format `raqib eval --json` output on one line: `evalfmt.py overall` or `evalfmt.py recall`."""
import json
import sys

d = json.load(sys.stdin)
o = d["overall"]
if sys.argv[1:] == ["recall"]:
    langs = " ".join("%s: recall %.4f (n=%d)" % (k, m["recall"], m["n"]) for k, m in sorted(d["by_language"].items()))
    print("%s | all: %.4f" % (langs, o["recall"]))
else:
    print("  n=%5d threshold=%.3f precision=%.4f recall=%.4f F1=%.4f FPR=%.4f ROC-AUC=%.4f PR-AUC=%.4f" % (
        o["n"], o["threshold"], o["precision"], o["recall"], o["f1"], o["false_positive_rate"],
        o["roc_auc"] or 0, o["pr_auc"] or 0))
