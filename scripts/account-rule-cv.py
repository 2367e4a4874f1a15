#!/usr/bin/env python3
"""Choose the account flag rule on accounts no model or threshold was fitted to.

usage: scripts/account-rule-cv.py RAQIB DATA_DIR [FOLDS]

en_train.csv is split by account into FOLDS (default 5) folds. For each fold a model is
trained on the other folds (with ar_train.csv and corpus/starter.jsonl, counted three
times, stopping early,
calibrating and choosing its threshold on the dev splits, as scripts/measure-real.sh
does) and `raqib scan` scans the held-out fold. Every training account is thus scored by
a model that never saw it, at a threshold chosen on other accounts. The script prints how
many positive, negative and mixed accounts each account flag rule flags (the scan's own,
with its defaults; the risk alone, as `account-v1` had it; and the count rule of
`raqib scan` at other `--account-clean-rate` and `--account-chance` settings), for
accounts with at least one and at least five posts. The rule's defaults were chosen here;
scripts/measure-accounts.py then measures them on en_dev's accounts.

An account is positive when every post of it is labelled 1, negative when none is.
"""
import collections
import csv
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile


def fold_of(user, folds):
    return int(hashlib.sha256(user.encode()).hexdigest(), 16) % folds


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    raqib, data = sys.argv[1], sys.argv[2]
    folds = int(sys.argv[3]) if len(sys.argv) == 4 else 5
    with open(os.path.join(data, "en_train.csv"), newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames
        rows = [r for r in reader if r.get("username") and r.get("label") in ("0", "1")]
    if not rows:
        sys.exit("en_train.csv: no labelled rows with a username")
    posts, positive = collections.Counter(), collections.Counter()
    for r in rows:
        u = r["username"].lstrip("@")
        posts[u] += 1
        positive[u] += r["label"] == "1"

    # (user, posts, flagged posts, risk, flagged by the scan's rule, the post threshold) of
    # every account.
    scanned = []
    with tempfile.TemporaryDirectory() as work:
        for k in range(folds):
            paths = {}
            for part in ("train", "held"):
                paths[part] = os.path.join(work, f"{part}{k}.csv")
                with open(paths[part], "w", newline="", encoding="utf-8") as fh:
                    w = csv.DictWriter(fh, fieldnames=header)
                    w.writeheader()
                    for r in rows:
                        held = fold_of(r["username"].lstrip("@"), folds) == k
                        if held == (part == "held"):
                            w.writerow(r)
            model = os.path.join(work, f"m{k}.model")
            subprocess.run(
                [raqib, "train", "--data", paths["train"], os.path.join(data, "ar_train.csv"),
                 "corpus/starter.jsonl", "--weight", "corpus/starter.jsonl=3",
                 "--dev", os.path.join(data, "en_dev.csv"),
                 os.path.join(data, "ar_dev.csv"), "--out", model],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            out = os.path.join(work, f"scan{k}")
            subprocess.run([raqib, "scan", "-q", "--model", model, paths["held"], "--out", out],
                           check=True, stdout=subprocess.DEVNULL)
            with open(os.path.join(out, "summary.json"), encoding="utf-8") as fh:
                threshold = json.load(fh)["threshold"]
            with open(os.path.join(out, "accounts.csv"), newline="", encoding="utf-8") as fh:
                for a in csv.DictReader(fh):
                    scanned.append((a["id"], int(a["posts"]), int(a["flagged_posts"]),
                                    float(a["risk"]), a["flagged"] == "true", threshold))
            print(f"fold {k + 1} of {folds} scanned", file=sys.stderr)
    missing = set(posts) - {s[0] for s in scanned}
    if missing:
        sys.exit(f"{len(missing)} accounts missing from the scans, e.g. {min(missing)}")

    def kind(u):
        p, n = positive[u], posts[u]
        return "positive" if p == n else "negative" if p == 0 else "mixed"

    counts = collections.Counter(kind(s[0]) for s in scanned)
    counts5 = collections.Counter(kind(s[0]) for s in scanned if s[1] >= 5)
    print(f"accounts: {dict(counts)}; with at least 5 posts: {dict(counts5)}")
    negs = sorted((s[2], s[1]) for s in scanned if kind(s[0]) == "negative")[-5:]
    print("negative accounts with the most flagged posts (flagged of posts, chance at 5%):",
          ", ".join(f"{k} of {n} ({tail(k, n, 0.05):.2g})" for k, n in negs))

    def show(name, flag):
        line = f"{name:44s}"
        for least in (1, 5):
            got = collections.Counter(kind(s[0]) for s in scanned if s[1] >= least and flag(s))
            of = counts if least == 1 else counts5
            line += "  " + " ".join(
                f"{k[:3]} {got[k]:3d}/{of[k]:4d}" for k in ("positive", "negative", "mixed"))
        print(line)

    print(f"{'rule':44s}  {'all accounts':38s}  accounts with at least 5 posts")
    show("as scanned (this build's rule, defaults)", lambda s: s[4])
    show("risk alone (account-v1)", lambda s: s[3] >= s[5] and s[2] > 0)
    for rate in (0.02, 0.05, 0.1):
        for chance in (0.01, 0.001, 0.0001):
            show(f"at least 3, clean rate {rate:.0%}, chance {chance}",
                 lambda s, r=rate, c=chance: s[2] >= 3 and tail(s[2], s[1], r) < c)
    for share in (0.1, 0.2):
        show(f"at least 3 and {share:.0%} of posts", lambda s, x=share: s[2] >= 3 and s[2] >= x * s[1])


def tail(k, n, p):
    """P(X >= k) for X binomial(n, p), as raqib computes it."""
    if k == 0:
        return 1.0
    terms = (math.exp(math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
                      + i * math.log(p) + (n - i) * math.log1p(-p)) for i in range(k, n + 1))
    return min(1.0, math.fsum(terms))


if __name__ == "__main__":
    main()
