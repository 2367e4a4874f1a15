#!/usr/bin/env bash
# How much of the English figures comes from traces of collection rather than content.
# Builds raqib as it was before its features ignored those traces (commit 82d5586), trains
# it on copies of the labelled data with each trace removed, and prints F1 at 0.5 and
# ROC-AUC on en_dev; then the same for the current build on the data as collected.
# The table in docs/benchmarks.md comes from this. Skips where ../shared is absent.
set -euo pipefail
. "$(dirname "$0")/common.sh"
WORK=$(mktemp -d)
trap 'git worktree remove --force "$WORK/old" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
git worktree add -q "$WORK/old" 82d5586
(cd "$WORK/old" && cargo build --release -q)
cargo build --release -q
OLD=$WORK/old/target/release/raqib
NEW=target/release/raqib
python3 - "$DATA" "$WORK" <<'PY'
import csv, re, sys
data, work = sys.argv[1], sys.argv[2]
rt = lambda t: re.sub(r"^RT @\w+:?\s*", "", t)
tco = lambda t: re.sub(r"https?://t\.co/\S*", "", t)
men = lambda t: re.sub(r"@\w+", "", t)
variants = {"as_collected": lambda t: t, "no_rt": rt, "no_tco": tco, "no_mentions": men,
            "no_all": lambda t: men(tco(rt(t))).replace("&amp;", "&")}
for name, fn in variants.items():
    for f in ["en_train", "en_dev", "ar_train", "ar_dev"]:
        with open(f"{data}/{f}.csv", newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        with open(f"{work}/{name}_{f}.csv", "w", newline="", encoding="utf-8") as g:
            w = csv.DictWriter(g, fieldnames=rows[0].keys())
            w.writeheader()
            for r in rows:
                r["text"] = fn(r["text"]) or "."
                w.writerow(r)
PY
run() { # binary variant label
  "$1" train --data "$WORK/$2_en_train.csv" "$WORK/$2_ar_train.csv" --dev "$WORK/$2_en_dev.csv" "$WORK/$2_ar_dev.csv" --out "$WORK/m.model" 2>/dev/null
  printf '%-55s' "$3"
  "$1" eval --model "$WORK/m.model" --data "$WORK/$2_en_dev.csv" --threshold 0.5 --json 2>/dev/null | python3 scripts/evalfmt.py overall
}
run "$OLD" as_collected "previous features, as collected"
run "$OLD" no_rt "previous features, without RT @user:"
run "$OLD" no_tco "previous features, without t.co links"
run "$OLD" no_mentions "previous features, without mentions"
run "$OLD" no_all "previous features, without all three"
run "$NEW" as_collected "current features (ignore the traces), as collected"
