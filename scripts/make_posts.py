#!/usr/bin/env python3
"""Make N tweet-length posts for throughput benchmarks, as raqib JSON Lines and as plain
text lines (for fastText), with the same texts in the same order.

Texts are drawn from the labelled data (../shared/data) when present, else from the
project's corpus. Mentions and numbers are re-drawn per post so that the vocabulary has the
long tail of a live stream rather than a few thousand repeated texts; accounts follow a
Zipf-like law over --accounts accounts.

With --telegram, OUT.jsonl is instead one Telegram Desktop export (result.json) of one
channel whose N messages carry the same texts (every seventh as entities with a link), with
the fields Telegram Desktop writes (`date`, `text_entities`), for the reader that streams
such exports.

usage: make_posts.py N OUT.jsonl [OUT.txt] [--accounts K] [--telegram]
"""
import csv
import json
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def texts():
    data = Path(ROOT, "..", "shared", "data")
    out = []
    for f in ["en_train.csv", "ar_train.csv", "en_dev.csv", "ar_dev.csv"]:
        p = data / f
        if p.exists():
            with open(p, newline="", encoding="utf-8") as fh:
                out += [r["text"] for r in csv.DictReader(fh) if r["text"]]
    if not out:
        with open(ROOT / "corpus" / "starter.jsonl", encoding="utf-8") as fh:
            out = [json.loads(l).get("text") for l in fh]
        out = [t for t in out if t]
    return out


def main():
    args = sys.argv[1:]
    accounts = 50_000
    if "--accounts" in args:
        i = args.index("--accounts")
        accounts = int(args[i + 1])
        del args[i : i + 2]
    telegram = "--telegram" in args
    if telegram:
        args.remove("--telegram")
    n, jsonl = int(args[0]), args[1]
    txt = args[2] if len(args) > 2 else None
    pool = texts()
    r = random.Random(42)
    mention = re.compile(r"@\w+")
    number = re.compile(r"\d+")
    tf = open(txt, "w", encoding="utf-8") if txt else None
    with open(jsonl, "w", encoding="utf-8") as jf:
        if telegram:
            jf.write('{\n "name": "Bench Channel",\n "type": "public_channel",\n "id": 777,\n "messages": [\n')
        for i in range(n):
            t = pool[r.randrange(len(pool))]
            t = mention.sub(lambda m: "@u%d" % r.randrange(10_000_000), t)
            t = number.sub(lambda m: str(r.randrange(100_000)), t)
            acct = int(accounts * (r.random() ** 3))  # a few accounts post much
            if telegram:
                # As Telegram Desktop writes them: the date twice, the text, and the text
                # again as entities.
                if i % 7 == 0:
                    link = {"type": "link", "text": "https://t.me/c%d" % i}
                    text, entities = [t + " ", link], [{"type": "plain", "text": t + " "}, link]
                else:
                    text, entities = t, [{"type": "plain", "text": t}]
                ts = 1_600_000_000 + i
                m = {"id": i + 1, "type": "message",
                     "date": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)),
                     "date_unixtime": str(ts), "from": "User %d" % acct, "from_id": "user%d" % acct,
                     "text": text, "text_entities": entities}
                jf.write(("  " if i == 0 else ",\n  ") + json.dumps(m, ensure_ascii=False))
            else:
                jf.write(json.dumps({"id": str(i), "platform": "twitter", "account": "a%d" % acct,
                                     "created_at": 1_600_000_000 + i, "text": t}, ensure_ascii=False) + "\n")
            if tf:
                tf.write(t.replace("\n", " ").replace("\r", " ") + "\n")
        if telegram:
            jf.write("\n ]\n}\n")
    if tf:
        tf.close()


if __name__ == "__main__":
    main()
