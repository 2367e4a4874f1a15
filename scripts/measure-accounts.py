#!/usr/bin/env python3
"""Account-level figures: how `raqib scan` ranks and flags the accounts of a labelled CSV.

usage: scripts/measure-accounts.py LABELLED.csv REPORT_DIR/accounts.csv

LABELLED.csv is a labelled split with a `username` column (en_dev.csv in ../shared/data:
split by account, so every account's posts are in one split); REPORT_DIR is what
`raqib scan --out REPORT_DIR LABELLED.csv` wrote. An account is positive when every one of
its posts is labelled 1, negative when none is (accounts with both are counted apart).
Prints, for each kind of account, how many the scan flagged; the ROC-AUC of the account
risk between positive and negative accounts; and the share of positives among the riskiest
k accounts (what a reviewer working down the ranking meets first).
"""
import collections
import csv
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    labelled, report = sys.argv[1], sys.argv[2]
    posts, positive, source = collections.Counter(), collections.Counter(), {}
    with open(labelled, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r.get("label") not in ("0", "1") or not r.get("username"):
                continue
            # raqib keys an account by its handle without the leading @.
            u = r["username"].lstrip("@")
            posts[u] += 1
            positive[u] += r["label"] == "1"
            source.setdefault(u, r.get("source") or "")
    if not posts:
        sys.exit(f"{labelled}: no labelled rows with a username; account figures need both")
    with open(report, newline="", encoding="utf-8") as fh:
        rows = {r["id"]: r for r in csv.DictReader(fh)}
    missing = [u for u in posts if u not in rows]
    if missing:
        sys.exit(f"{len(missing)} labelled accounts are not in {report}, e.g. {missing[0]}")

    def kind(u):
        p, n = positive[u], posts[u]
        return "positive" if p == n else "negative" if p == 0 else "mixed"

    groups = collections.defaultdict(list)
    for u in posts:
        groups[(kind(u), source[u])].append(u)
    print("accounts by kind and source: flagged / all (posts per account: median)")
    for (k, s), us in sorted(groups.items()):
        flagged = sum(rows[u]["flagged"] == "true" for u in us)
        sizes = sorted(posts[u] for u in us)
        print(f"  {k:8s} {s:40s} {flagged:4d} / {len(us):4d}  ({sizes[len(sizes) // 2]})")
    # (risk, positive, posts) of every account that is positive or negative.
    scored = [(float(rows[u]["risk"]), kind(u) == "positive", posts[u])
              for u in posts if kind(u) != "mixed"]
    for least in (1, 5):
        a = [r for r, p, n in scored if p and n >= least]
        b = [r for r, p, n in scored if not p and n >= least]
        if a and b:
            auc = sum((x > y) + 0.5 * (x == y) for x in a for y in b) / (len(a) * len(b))
            print(f"ROC-AUC of account risk, accounts with at least {least} post(s): "
                  f"{len(a)} positive against {len(b)} negative: {auc:.3f}")
    ranked = sorted(scored, key=lambda t: -t[0])
    for k in (5, 10, 20, sum(p for _, p, _ in scored)):
        if 0 < k <= len(ranked):
            share = sum(p for _, p, _ in ranked[:k]) / k
            print(f"positive among the {k} riskiest: {share:.2f}")
    # What a reviewer who reviews every post of each flagged account reaches: the posts'
    # labels are their account's (every tweet of a pro-ISIS account is labelled 1).
    on_flagged = [u for u in posts if rows[u]["flagged"] == "true"]
    pos_all = sum(positive.values())
    neg_all = sum(posts.values()) - pos_all
    pos_on = sum(positive[u] for u in on_flagged)
    neg_on = sum(posts[u] - positive[u] for u in on_flagged)
    print(f"posts of flagged accounts: {pos_on} of {pos_all} positive posts "
          f"({pos_on / max(pos_all, 1):.3f}), {neg_on} of {neg_all} negative posts "
          f"({neg_on / max(neg_all, 1):.3f})")
    most = max((int(rows[u]["flagged_posts"]) for u in posts if kind(u) == "negative"), default=0)
    print(f"most flagged posts on one negative account: {most}")


if __name__ == "__main__":
    main()
