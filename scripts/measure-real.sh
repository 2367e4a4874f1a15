#!/usr/bin/env bash
# Train on the real labelled tweets in ../shared/data, then measure: F1 and AUCs on the dev
# splits, false positives on the project's own hard negatives, how the dev accounts are
# ranked and flagged, and recall lost to evasion.
# Prints the figures that docs/benchmarks.md records. Skips where ../shared is absent.
#
# usage: scripts/measure-real.sh [extra raqib train options...]
set -euo pipefail
. "$(dirname "$0")/common.sh"
cargo build --release -q
RAQIB=target/release/raqib
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
JOINT=$WORK/joint.model
AR=$WORK/ar.model

# The project's synthetic starter corpus adds hard negatives (news, counter-speech,
# religious speech) that the labelled data has few of; corpus/hard_negatives.jsonl stays
# unseen and measures them.
# The starter corpus counts three times (`--weight`): a few hundred written posts against
# eighteen thousand collected ones (docs/benchmarks.md, "False positives on hard negatives").
STARTER=(corpus/starter.jsonl --weight corpus/starter.jsonl=3)
echo "== one joint model: train on en_train + ar_train + corpus/starter.jsonl (counted 3 times), stop early and calibrate on en_dev + ar_dev"
/usr/bin/time -f "train wall %es, peak RSS %MKB" \
  $RAQIB train --data "$DATA/en_train.csv" "$DATA/ar_train.csv" "${STARTER[@]}" \
  --dev "$DATA/en_dev.csv" "$DATA/ar_dev.csv" --out "$JOINT" "$@"
# ar_train's negatives are ordinary tweets: alone, it teaches that any mention of the group
# or of religion is propaganda. The project's synthetic hard negatives (corpus/starter.jsonl
# and, for an Arabic model, corpus/negatives_ar.jsonl: Arabic counter-speech, news and
# religious posts, which the joint model does without; corpus/hard_negatives.jsonl stays
# unseen) teach otherwise.
# `--pad-to 384`: an ar_dev tweet has about 330 to 460 features (median 390), so this model
# scores a tweet shorter than the median as if it were that long, and longer posts as
# before (docs/benchmarks.md, "Short posts").
echo "== an Arabic model: train on ar_train + corpus/starter.jsonl and negatives_ar.jsonl (counted 3 times), --pad-to 384, stop early and calibrate on ar_dev"
$RAQIB train --lr 0.3 --l2 1e-4 --pad-to 384 --data "$DATA/ar_train.csv" corpus/starter.jsonl corpus/negatives_ar.jsonl \
  --weight corpus/starter.jsonl=3 --weight corpus/negatives_ar.jsonl=3 --dev "$DATA/ar_dev.csv" --out "$AR"

# The routed pair: Arabic posts (by `lang`, else by script) to the Arabic model.
MODEL=(--model "$JOINT" --model "ar=$AR")
f1() { # file threshold-args...
  echo "  joint:  $($RAQIB eval --model "$JOINT" --data "$1" --json "${@:2}" | python3 scripts/evalfmt.py overall)"
  echo "  routed: $($RAQIB eval "${MODEL[@]}" --data "$1" --json "${@:2}" | python3 scripts/evalfmt.py overall)"
}
for split in en_dev ar_dev; do
  echo "== $split at the model's default threshold"; f1 "$DATA/$split.csv"
  echo "== $split at 0.5"; f1 "$DATA/$split.csv" --threshold 0.5
  # 0.5 is below the English model's prior (its dev split is 70% positive), where the flag
  # rule (the text's own evidence as well) holds back posts that only the base rate lifts;
  # by probability alone is what a classifier without that rule (fastText) is measured by.
  echo "== $split at 0.5, flagged by probability alone"; f1 "$DATA/$split.csv" --threshold 0.5 --by-probability
done
echo "== project hard negatives (news, counter-speech, religious speech; none trained on): joint, then routed"
$RAQIB eval --model "$JOINT" --data corpus/hard_negatives.jsonl
$RAQIB eval "${MODEL[@]}" --data corpus/hard_negatives.jsonl
echo "== project long posts (corpus/long_posts.jsonl: propaganda lines padded with everyday talk, long news, counter-speech, research, religious speech; none trained on): joint, then routed"
$RAQIB eval --model "$JOINT" --data corpus/long_posts.jsonl
$RAQIB eval "${MODEL[@]}" --data corpus/long_posts.jsonl
echo "== dev negatives of the hard-negative source (news, discussion, counter-speech about ISIS)"
python3 - "$DATA/en_dev.csv" > "$WORK/scraped_neg.jsonl" <<'PY'
import csv, json, sys
for r in csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")):
    if r["source"].startswith("isextreme") and r["label"] == "0":
        print(json.dumps({"id": r["id"], "text": r["text"], "label": 0, "lang": r["lang"] or None}, ensure_ascii=False))
PY
f1 "$WORK/scraped_neg.jsonl"

# Accounts: en_train and en_dev are split by account, so each account's posts are all in
# one split. The account flag rule's settings were chosen on en_train's accounts, each
# scanned by a model trained without it; en_dev's then measure them.
echo "== accounts of en_train, each scanned by a model trained on the other folds (5-fold by account)"
python3 scripts/account-rule-cv.py "$RAQIB" "$DATA" 5
echo "== accounts of en_dev, scanned with the joint model at its default threshold"
$RAQIB scan -q --model "$JOINT" "$DATA/en_dev.csv" --out "$WORK/accounts"
python3 scripts/measure-accounts.py "$DATA/en_dev.csv" "$WORK/accounts/accounts.csv"

echo "== recall on dev positives under evasion, at the default thresholds (routed models)"
python3 scripts/obfuscate.py "$WORK/obf" "$DATA/en_dev.csv" "$DATA/ar_dev.csv"
for v in clean diacritics tatweel letter_spacing other_separators reversed_words homoglyphs leetspeak regional_letters zero_width fancy_letters persian_letters; do
  printf '%-17s' "$v"
  $RAQIB eval "${MODEL[@]}" --data "$WORK/obf/$v.jsonl" --json | python3 scripts/evalfmt.py recall
done

echo "== for comparison, hard negatives flagged by models trained without the synthetic starter corpus"
$RAQIB train --data "$DATA/en_train.csv" "$DATA/ar_train.csv" --dev "$DATA/en_dev.csv" "$DATA/ar_dev.csv" --out "$WORK/plain.model" 2>/dev/null
$RAQIB train --lr 0.3 --l2 1e-4 --data "$DATA/ar_train.csv" --dev "$DATA/ar_dev.csv" --out "$WORK/ar_alone.model" 2>/dev/null
for m in plain ar_alone; do
  printf '%-10s' "$m"
  $RAQIB eval --model "$WORK/$m.model" --data corpus/hard_negatives.jsonl --json | python3 -c '
import json, sys
d = json.load(sys.stdin)["by_language"]
print("  ".join("%s: %d of %d flagged" % (k, m["confusion"]["fp"], m["n"]) for k, m in sorted(d.items())))'
done
