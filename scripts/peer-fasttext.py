#!/usr/bin/env python3
"""raqib side by side with fastText, in one run on one machine with the same data.

Trains raqib, the fastText command line (Debian `fasttext`) and the fastText Python
package (PyPI `fasttext-numpy2`; `fasttext-wheel` crashes in predict under numpy 2) on
../shared/data/*_train.csv; measures F1 at 0.5 and ROC-AUC on the dev splits, training
time, and prediction throughput on N tweet-length posts (raqib: `raqib scan` end to end on
JSON Lines with reports written; fastText: `fasttext predict` on the same texts as plain
lines, and `model.predict` on a list in Python). Prints a table and the ratios.

fastText settings: "subwords" is the accuracy setting (-minn 2 -maxn 5 -wordNgrams 2
-dim 50 -epoch 25 -lr 0.5), "fast" drops subwords and shrinks the vectors (-minn 0 -maxn 0
-wordNgrams 2 -dim 10 -epoch 25 -lr 0.5). Both use -thread THREADS.

With --strip-artifacts, both tools get the same texts with the traces of collection removed
(a leading `RT @user:`, `t.co` links, links cut off by an ellipsis, mentions, `&amp;`): in the English data these mark the
positive source and not the negative one, so a model that sees them learns the source
(raqib's features ignore them anyway; see docs/benchmarks.md).

usage: scripts/peer-fasttext.py [--posts N] [--threads T] [--strip-artifacts]
Needs: apt-get install fasttext; python3 -m venv target/peers &&
       target/peers/bin/pip install fasttext-numpy2 (the script does the venv if missing).
"""
import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("RAQIB_DATA", ROOT / ".." / "shared" / "data"))
RAQIB = ROOT / "target" / "release" / "raqib"
FT_SETTINGS = {
    "subwords": ["-minn", "2", "-maxn", "5", "-wordNgrams", "2", "-dim", "50", "-epoch", "25", "-lr", "0.5"],
    "fast": ["-minn", "0", "-maxn", "0", "-wordNgrams", "2", "-dim", "10", "-epoch", "25", "-lr", "0.5"],
}


def run(cmd, **kw):
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if out.returncode != 0:
        sys.exit(f"failed ({out.returncode}): {' '.join(cmd[:3])} ...\n{out.stderr[-3000:]}")
    return time.perf_counter() - t, out


def rows(name):
    with open(DATA / name, newline="", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r["text"] and r["label"] in ("0", "1")]


STRIP = False


def strip_artifacts(t):
    t = re.sub(r"^RT @\w+:?\s*", "", t)
    t = re.sub(r"https?://t\.co/\S*", "", t)
    # Links cut off by a truncation mark (`https://…`, `http…`): raqib ignores them too.
    t = re.sub(r"(?<!\S)(?:https?|www\.)\S*?(?:…|\.\.+)(?!\S)", "", t)
    t = re.sub(r"@\w+", "", t)
    return t.replace("&amp;", "&")


def one_line(t):
    if STRIP:
        t = strip_artifacts(t)
    return " ".join(t.split()) or "."


def f1_auc(scored):
    tp = sum(1 for p, y in scored if p >= 0.5 and y)
    fp = sum(1 for p, y in scored if p >= 0.5 and not y)
    fn = sum(1 for p, y in scored if p < 0.5 and y)
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    s = sorted(scored, key=lambda x: x[0])
    # Rank-sum AUC with ties averaged.
    ranks, i = [0.0] * len(s), 0
    while i < len(s):
        j = i
        while j < len(s) and s[j][0] == s[i][0]:
            j += 1
        for k in range(i, j):
            ranks[k] = (i + j + 1) / 2
        i = j
    npos = sum(1 for _, y in s if y)
    nneg = len(s) - npos
    auc = (sum(r for r, (_, y) in zip(ranks, s) if y) - npos * (npos + 1) / 2) / (npos * nneg) if npos and nneg else 0.0
    return f1, auc


def peers_python():
    venv = ROOT / "target" / "peers"
    py = venv / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "fasttext-numpy2"], check=True)
    return py


PY_FT = r"""
import json, sys, time, fasttext
train, settings, threads, devs, posts = json.loads(sys.argv[1])
args = dict(minn=int(settings[1]), maxn=int(settings[3]), wordNgrams=int(settings[5]), dim=int(settings[7]),
            epoch=int(settings[9]), lr=float(settings[11]), thread=threads, verbose=0)
t = time.perf_counter(); m = fasttext.train_supervised(input=train, **args); train_s = time.perf_counter() - t
out = {"train_s": train_s, "dev": {}}
for name, path in devs.items():
    lines = [l.rstrip("\n").split(" ", 1) for l in open(path, encoding="utf-8")]
    labels, probs = m.predict([l[1] if len(l) > 1 else "" for l in lines], k=1)
    out["dev"][name] = [[float(p[0] if lab[0] == "__label__1" else 1 - p[0]), l[0] == "__label__1"] for lab, p, l in zip(labels, probs, lines)]
texts = [l.rstrip("\n") for l in open(posts, encoding="utf-8")]
t = time.perf_counter(); m.predict(texts, k=1); out["predict_s"] = time.perf_counter() - t
print(json.dumps(out))
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, default=1_000_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--strip-artifacts", action="store_true")
    a = ap.parse_args()
    global STRIP
    STRIP = a.strip_artifacts
    if not (DATA / "en_train.csv").exists():
        print(f"skipped: {DATA}/en_train.csv not found (the labelled data lives outside the repository)")
        return
    if not shutil.which("fasttext"):
        sys.exit("the fastText command is missing: apt-get install fasttext")
    subprocess.run(["cargo", "build", "--release", "-q"], cwd=ROOT, check=True)
    w = Path(tempfile.mkdtemp())
    train_rows = rows("en_train.csv") + rows("ar_train.csv")
    with open(w / "train.txt", "w", encoding="utf-8") as fh:
        for r in train_rows:
            fh.write(f"__label__{r['label']} {one_line(r['text'])}\n")
    devs = {}
    for split in ["en_dev", "ar_dev"]:
        devs[split] = str(w / f"{split}.txt")
        with open(devs[split], "w", encoding="utf-8") as fh:
            for r in rows(f"{split}.csv"):
                fh.write(f"__label__{r['label']} {one_line(r['text'])}\n")
    posts_jsonl, posts_txt = w / "posts.jsonl", w / "posts.txt"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_posts.py"), str(a.posts), str(posts_jsonl), str(posts_txt)], check=True)
    res = {}

    # raqib, on the same texts as fastText (one line each, stripped or not).
    csvs = {}
    for name in ["en_train", "ar_train", "en_dev", "ar_dev"]:
        csvs[name] = str(w / f"{name}.csv")
        with open(csvs[name], "w", newline="", encoding="utf-8") as fh:
            wr = csv.writer(fh)
            wr.writerow(["id", "text", "label", "lang"])
            for r in rows(f"{name}.csv"):
                wr.writerow([r["id"], one_line(r["text"]), r["label"], r["lang"]])
    model = w / "raqib.model"
    train_s, _ = run([str(RAQIB), "train", "--threads", str(a.threads), "--data", csvs["en_train"], csvs["ar_train"],
                      "--dev", csvs["en_dev"], csvs["ar_dev"], "--out", str(model)])
    r = {"train_s": train_s, "dev": {}}
    for split in devs:
        # By probability alone, as fastText flags: raqib's own rule (which also needs the
        # text's evidence) differs only below the model's prior; `measure-real.sh` shows both.
        _, out = run([str(RAQIB), "eval", "--model", str(model), "--data", csvs[split], "--threshold", "0.5",
                      "--by-probability", "--json"])
        o = json.loads(out.stdout)["overall"]
        r["dev"][split] = (o["f1"], o["roc_auc"])
    scan_s, out = run([str(RAQIB), "scan", "-q", "--json", "--threads", str(a.threads), "--model", str(model), str(posts_jsonl), "--out", str(w / "report")])
    r["predict_s"] = scan_s
    res["raqib"] = r

    # fastText command line and Python package
    py = peers_python()
    for name, settings in FT_SETTINGS.items():
        prefix = w / f"ft_{name}"
        train_s, _ = run(["fasttext", "supervised", "-input", str(w / "train.txt"), "-output", str(prefix), "-thread", str(a.threads), "-verbose", "0"] + settings)
        r = {"train_s": train_s, "dev": {}}
        for split, path in devs.items():
            _, out = run(["fasttext", "predict-prob", f"{prefix}.bin", path])
            labels = [l.split(" ", 1)[0] == "__label__1" for l in open(path, encoding="utf-8")]
            scored = []
            for line, y in zip(out.stdout.splitlines(), labels):
                lab, p = line.split()
                scored.append((float(p) if lab == "__label__1" else 1 - float(p), y))
            r["dev"][split] = f1_auc(scored)
        with open(os.devnull, "w") as null:
            t = time.perf_counter()
            subprocess.run(["fasttext", "predict", f"{prefix}.bin", str(posts_txt)], check=True, stdout=null)
            r["predict_s"] = time.perf_counter() - t
        res[f"fasttext CLI {name}"] = r
        _, out = run([str(py), "-c", PY_FT, json.dumps([str(w / "train.txt"), settings, a.threads, devs, str(posts_txt)])])
        d = json.loads(out.stdout)
        res[f"fasttext Python {name}"] = {"train_s": d["train_s"], "predict_s": d["predict_s"],
                                          "dev": {k: f1_auc([(p, bool(y)) for p, y in v]) for k, v in d["dev"].items()}}

    n = a.posts
    print(f"\n{len(train_rows)} training posts{' (collection artifacts stripped)' if STRIP else ''}; throughput on {n:,} tweet-length posts; {a.threads} threads; {os.cpu_count()} cores\n")
    print(f"{'tool':<26} {'EN F1':>7} {'EN AUC':>7} {'AR F1':>7} {'AR AUC':>7} {'train s':>8} {'posts/s':>11}")
    for k, r in res.items():
        (ef, ea), (af, aa) = r["dev"]["en_dev"], r["dev"]["ar_dev"]
        print(f"{k:<26} {ef:7.4f} {ea:7.4f} {af:7.4f} {aa:7.4f} {r['train_s']:8.2f} {n / r['predict_s']:11,.0f}")
    base = res["raqib"]
    print("\nraqib relative to each peer (x faster):")
    for k, r in res.items():
        if k != "raqib":
            print(f"  {k:<26} training {r['train_s'] / base['train_s']:6.1f}x   prediction {r['predict_s'] / base['predict_s']:6.1f}x")
    print("\n(raqib prediction is `raqib scan` end to end: JSON parsing, scoring, explanations for flagged posts, "
          "per-account aggregation and reports; fastText's is label prediction on plain text lines.)")
    shutil.rmtree(w, ignore_errors=True)


if __name__ == "__main__":
    main()
