#!/usr/bin/env python3
"""Linking speed side by side: datasketch's MinHash LSH on the same bios that raqib's
link benchmark indexes.

datasketch gets the job it is made for (bio similarity only): a MinHash of each suspended
account's bio words inserted into MinHashLSH with the same banding raqib uses for bios
(32 permutations, 16 bands of 2 rows), then one query per new account's bio. raqib's
figures (from `link_bench`) are for its whole linking: every blocking key (handle, name,
bio bands, channels, avatar), then scoring and reasons for each candidate.

Usage (from the repository root, with the peers venv of docs/benchmarks.md):
  cargo run --release -p raqib-link --example link_bench -- --suspended 100000 \
      --others 0 --dump target/linkdump
  target/peers/bin/python scripts/peer-link.py target/linkdump [QUERIES]
"""
import json
import re
import sys
import time

from datasketch import MinHash, MinHashLSH

WORD = re.compile(r"\w+", re.UNICODE)


def words(text):
    return {w.lower() for w in WORD.findall(text or "")}


def minhash(ws):
    m = MinHash(num_perm=32)
    for w in ws:
        m.update(w.encode("utf-8"))
    return m


def main():
    d = sys.argv[1]
    # Queries to time (datasketch answers about 100 a second here; see docs/benchmarks.md).
    n_queries = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    bios = [json.loads(l) for l in open(f"{d}/bios.jsonl")]
    queries = [json.loads(l) for l in open(f"{d}/queries.jsonl")][:n_queries]
    t = time.time()
    lsh = MinHashLSH(num_perm=32, params=(16, 2))
    with lsh.insertion_session() as s:
        for b in bios:
            ws = words(b["bio"])
            if len(ws) >= 3:
                s.insert(b["id"], minhash(ws))
    build = time.time() - t
    t = time.time()
    candidates = 0
    for q in queries:
        ws = words(q["bio"])
        if len(ws) >= 3:
            candidates += len(lsh.query(minhash(ws)))
    query = time.time() - t
    print(json.dumps({
        "suspended_bios": len(bios),
        "queries": len(queries),
        "datasketch_build_s": round(build, 2),
        "datasketch_query_s": round(query, 2),
        "datasketch_queries_per_s": round(len(queries) / query),
        "candidates_per_query": round(candidates / max(1, len(queries)), 1),
    }, indent=2))


if __name__ == "__main__":
    main()
